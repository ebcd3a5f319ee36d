"""The people whose names match a query's words, through the name index (`name_token`) and its
pairs (`name_pair`), never a scan of the people.

A search costs in proportion to the people it starts from. When one of the words is rare (held by
fewer than `RARE_ENOUGH` people), that word drives: its people are read from the index and the other
words probed person by person. When every word is common (محمد, البلوشي, Mohammed Ali: tens of
thousands each on a million people), the pair of two of them held together by the fewest people
drives: each word is first spelled out as the tokens it matches (a prefix, as the few distinct
tokens beginning with it, read from the index one by one), the pairs of those tokens are looked up
by their keys, and every word, those two included, is then checked against the name index, exactly
as when a word drives. Both ways find the same people: the pairs hold every pair of a person's
tokens of one script, and a query whose pairs they cannot answer (a token matching two of its
words, words of two scripts, a prefix matching too many tokens) is driven by its rarest word.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from sqlalchemy import Connection, FromClause, Select, and_, exists, func, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from himaya.db.search_tables import name_pair, name_token
from himaya.registry.name_pairs import pair_keys
from himaya.registry.name_search import Term, successor

RARE_ENOUGH = 2_000  # tokens counted per word to find the rarest (an index range each)
SPELLED = 64  # distinct tokens a query word may match for its pairs to be looked up
PAIR_KEYS = 1_024  # keys looked up for two words at most

# The distinct tokens in a range, one index step each (a loose index scan: a DISTINCT would read
# every person holding them), stopping after `cap` of them.
_SPELLED = text(
    "WITH RECURSIVE found(token, n) AS ("
    " SELECT (SELECT t.token FROM name_token t WHERE t.token >= :low AND t.token < :high"
    " ORDER BY t.token LIMIT 1), 1"
    " UNION ALL"
    " SELECT (SELECT t.token FROM name_token t WHERE t.token > found.token AND t.token < :high"
    " ORDER BY t.token LIMIT 1), found.n + 1"
    " FROM found WHERE found.token IS NOT NULL AND found.n <= :cap"
    ") SELECT token FROM found WHERE token IS NOT NULL"
)


def matching(table: FromClause, terms: tuple[Term, ...]) -> ColumnElement[bool]:
    """The token of `table` matches one of the word's terms: a range for a prefix, else equality."""
    token = table.c.token
    return or_(*(and_(token >= t.value, token < successor(t.value)) if t.prefix else token == t.value for t in terms))


def named(
    connection: Connection,
    words: tuple[tuple[Term, ...], ...],
    *,
    rare_enough: int | None = None,
    pairs: bool = True,
) -> Select[Any]:
    """The ids of the people with a token matching each word (see the module's text; `pairs=False`
    and `rare_enough` are for the tests, which hold the two ways to one answer)."""
    keys, ordered = plan(connection, words, rare_enough=rare_enough or RARE_ENOUGH, pairs=pairs)
    if keys is not None:
        driver: FromClause = name_pair.alias("p")
        query = select(driver.c.person_id).where(driver.c.pair.in_(keys))
        checked = ordered  # every word: a key is two hashes, which another pair may share
    else:
        driver = name_token.alias("t0")
        query = select(driver.c.person_id).where(matching(driver, ordered[0]))
        checked = ordered[1:]
    for number, terms in enumerate(checked, start=1):
        other = name_token.alias(f"t{number}")
        query = query.where(exists().where(other.c.person_id == driver.c.person_id, matching(other, terms)))
    return query.distinct()


def plan(
    connection: Connection, words: tuple[tuple[Term, ...], ...], *, rare_enough: int, pairs: bool
) -> tuple[tuple[int, ...] | None, tuple[tuple[Term, ...], ...]]:
    """The pair keys that drive (or None: a word drives) and the words, rarest first. Each word's
    tokens are counted up to `rare_enough`; when every word reaches it, the rarest pair drives if
    the pairs can answer, else the words at the cap are counted again up to twenty times more, so
    that a full name of common words still drives from its rarest."""
    if len(words) == 1:
        return None, words
    counts = [_frequency(connection, w, rare_enough) for w in words]
    if pairs and min(counts) >= rare_enough:
        keys = _rarest_pair(connection, words, rare_enough)
        if keys is not None:
            return keys, words
    if sum(c >= rare_enough for c in counts) > 1:
        counts = [
            _frequency(connection, w, rare_enough * 20) if c >= rare_enough else c
            for w, c in zip(words, counts, strict=True)
        ]
    return None, tuple(w for _, w in sorted(zip(counts, words, strict=True), key=lambda pair: pair[0]))


def _frequency(connection: Connection, terms: tuple[Term, ...], cap: int) -> int:
    """The index's rows matching the word, counted up to `cap` (an index range)."""
    few = select(name_token.c.person_id).where(matching(name_token, terms)).limit(cap).subquery()
    return int(connection.execute(select(func.count()).select_from(few)).scalar_one())


def _rarest_pair(connection: Connection, words: tuple[tuple[Term, ...], ...], cap: int) -> tuple[int, ...] | None:
    """The keys of the two words held together by the fewest people (counted up to `cap`), or None
    when no two words' pairs can answer."""
    spelled = [_spelled(connection, w) for w in words]
    best: tuple[int, tuple[int, ...]] | None = None
    for first, second in combinations(spelled, 2):
        keys = pair_keys(first, second) if first is not None and second is not None else None
        if keys is None or len(keys) > PAIR_KEYS:
            continue
        few = select(name_pair.c.person_id).where(name_pair.c.pair.in_(keys)).limit(cap).subquery()
        count = int(connection.execute(select(func.count()).select_from(few)).scalar_one())
        if best is None or count < best[0]:
            best = (count, keys)
    return None if best is None else best[1]


def _spelled(connection: Connection, terms: tuple[Term, ...]) -> set[str] | None:
    """The tokens the word matches (an exact term as it is: a token nobody holds finds nobody), or
    None when its prefixes match more than `SPELLED` distinct tokens."""
    tokens = {t.value for t in terms if not t.prefix}
    for term in (t for t in terms if t.prefix):
        found = connection.execute(
            _SPELLED, {"low": term.value, "high": successor(term.value), "cap": SPELLED}
        ).scalars()
        tokens.update(found)
        if len(tokens) > SPELLED:
            return None
    return tokens
