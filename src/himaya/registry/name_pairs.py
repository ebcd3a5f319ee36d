"""Pairs of a person's name tokens, so that a search of two common words is answered from the
people who have both rather than from everyone who has the rarer one.

On a million people, given names like محمد and tribes like البلوشي are each held by tens of
thousands, but the two together by a few hundred: the name index (`name_search.name_tokens`) alone
makes a search of two such words cost in proportion to the tens of thousands. So each person also
has one row per pair of their distinct tokens of one script (Arabic tokens together; Latin tokens
and skeletons together: a query word of one script only ever matches tokens of that script), keyed
by one integer made from the two tokens' hashes (`pair_key`): about 12 pairs a person, 8 bytes a
key, where the texts would take several times the room.

The key is a hash: two pairs may share one. The pairs only propose people; the search still checks
every word against the name index (`db/name_match.py`), so a shared key costs a probe, never a
wrong answer. What the pairs must never do is miss someone: every pair of tokens a search may ask
for is there (`pair_keys` refuses the query words whose pairs are not kept: a token matching both
words, or words of two scripts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import polars as pl

HASH_BITS = 31  # two of them make a key that fits a signed 64-bit integer
_HASH_MASK = (1 << HASH_BITS) - 1
CHUNK = 2_000_000  # tokens paired at once (`name_pairs`)


def token_hash(token: str) -> int:
    """A stable 31-bit hash of a token (the same in every process and version: not Python's `hash`)."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") & _HASH_MASK


def is_arabic(token: str) -> bool:
    """The script a token is kept with: Arabic when it begins with a letter of the Arabic block."""
    return "\u0600" <= token[:1] <= "\u06ff"


def pair_key(first: str, second: str) -> int:
    """The key of two tokens, in either order."""
    low, high = sorted((token_hash(first), token_hash(second)))
    return (low << HASH_BITS) | high


def pair_keys(first: Iterable[str], second: Iterable[str]) -> tuple[int, ...] | None:
    """The keys of every pair of a token of `first` and one of `second` (the tokens two query words
    match), or None where the pairs kept cannot answer: a token in both (a person with it matches
    both words with one token, and no pair holds a token with itself) or tokens of two scripts."""
    a, b = set(first), set(second)
    if not a or not b or a & b or len({is_arabic(t) for t in a | b}) > 1:
        return None
    return tuple(sorted({pair_key(x, y) for x in a for y in b}))


def name_pairs(tokens: pl.DataFrame, key: str) -> pl.DataFrame:
    """The pairs (`key`, `pair`) of each person's distinct tokens of one script, from the name
    index's rows (`key`, `token`), each once, in the order of the pairs' index (pair, then key)."""
    if tokens.is_empty():
        return pl.DataFrame(schema={key: tokens.schema[key], "pair": pl.Int64})
    words = tokens.select(pl.col("token").unique()).with_row_index("rank")
    words = words.with_columns(
        pl.Series("hash", [token_hash(t) for t in words.get_column("token")], pl.Int64),
        pl.col("token").str.contains("^[\u0600-\u06ff]").alias("arabic"),
    )
    held = tokens.join(words, on="token").select(key, "rank", "hash", "arabic")
    # A person's tokens joined with themselves: done in parts of people, so that a million people's
    # (about 30 rows each before the filter) never stand in memory at once.
    parts = max(1, held.height // CHUNK) if held.schema[key] == pl.Int64 else 1
    pieces = [_pairs(held.filter(pl.col(key) % parts == part) if parts > 1 else held, key) for part in range(parts)]
    return pl.concat(pieces).sort("pair", key)


def _pairs(held: pl.DataFrame, key: str) -> pl.DataFrame:
    low, high = pl.min_horizontal("hash", "hash_b"), pl.max_horizontal("hash", "hash_b")
    return (
        held.lazy()
        .join(held.lazy(), on=[key, "arabic"], suffix="_b")
        .filter(pl.col("rank") < pl.col("rank_b"))
        .select(key, (low * (1 << HASH_BITS) + high).alias("pair"))
        .unique()
        .collect()
    )
