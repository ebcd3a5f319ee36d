"""The pairs of a person's name tokens (pure: no database): every pair of one script, once, keyed
the same way on the import's side (Polars) and the query's (plain Python)."""

from __future__ import annotations

from itertools import combinations

import polars as pl
import pytest

from himaya.registry import name_pairs as module
from himaya.registry.name_pairs import is_arabic, name_pairs, pair_key, pair_keys, token_hash
from himaya.registry.name_search import name_tokens
from himaya.synth.generate import SynthRequest, generate


def test_the_hash_is_stable() -> None:
    """Keys are stored: a hash that changed with a version of Python or of a library would lose
    every pair written before it (these values are blake2b's, and must never change)."""
    assert token_hash("محمد") == token_hash("محمد") < 2**31
    assert [token_hash(t) for t in ("محمد", "balushi", "#mhmd")] == [331747564, 1817096456, 1061666926]


def test_a_key_is_the_same_in_either_order_and_fits_64_bits() -> None:
    assert pair_key("خديجه", "شبلي") == pair_key("شبلي", "خديجه")
    assert pair_key("خديجه", "شبلي") != pair_key("خديجه", "سالم")
    assert 0 <= pair_key("zzzz", "yyyy") < 2**63


def test_the_pairs_of_two_words_or_none_where_the_pairs_cannot_answer() -> None:
    assert pair_keys({"محمد", "محمود"}, {"بلوشي"}) == tuple(
        sorted({pair_key("محمد", "بلوشي"), pair_key("محمود", "بلوشي")})
    )
    assert pair_keys({"khadija", "#xdj"}, {"shibli", "#sbl"}) is not None
    assert pair_keys({"محمد"}, {"محمد", "محمدي"}) is None  # one token matches both words
    assert pair_keys({"خديجه"}, {"shibli"}) is None  # two scripts: their tokens are not paired
    assert pair_keys(set(), {"shibli"}) is None


def test_every_pair_of_a_persons_tokens_of_one_script_once() -> None:
    people = generate(SynthRequest(persons=400, seed=3)).people
    people = people.with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    tokens = name_tokens(people.drop("person_id"), "id")
    pairs = name_pairs(tokens, "id")
    assert pairs.equals(pairs.sort("pair", "id")) and not pairs.is_duplicated().any()
    expected = set()
    for (person,), held in tokens.group_by(["id"]):
        for a, b in combinations(sorted(set(held["token"])), 2):
            if is_arabic(a) == is_arabic(b):
                expected.add((int(person), pair_key(a, b)))  # type: ignore[call-overload]
    assert set(pairs.select("id", "pair").iter_rows()) == expected
    assert pairs.height > 5 * people.height  # 6 a script for 4 words (an expatriate has fewer names)


def test_pairs_in_parts_are_the_pairs_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A big import pairs its people in parts: the same pairs as at once."""
    people = generate(SynthRequest(persons=300, seed=4)).people.with_row_index("id")
    tokens = name_tokens(people.with_columns(pl.col("id").cast(pl.Int64)).drop("person_id"), "id")
    whole = name_pairs(tokens, "id")
    monkeypatch.setattr(module, "CHUNK", 500)
    assert name_pairs(tokens, "id").equals(whole)
