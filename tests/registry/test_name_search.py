"""The name index's tokens and a query's terms (pure: no database): one normalisation on both sides."""

from __future__ import annotations

import polars as pl
import pytest

from himaya.registry import query_forms
from himaya.registry.model import Search
from himaya.registry.name_search import (
    _arabic_words,
    _latin_word,
    name_terms,
    name_tokens,
    phone_forms,
    successor,
)
from himaya.registry.normalize import skeleton_latin
from himaya.synth.generate import SynthRequest, generate

NAMES = [f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")]


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate(SynthRequest(persons=3_000, seed=8)).people.select("person_id", "nationality", *NAMES)


def test_a_query_is_normalised_as_the_tokens_are(people: pl.DataFrame) -> None:
    """The plain-Python folds of a query equal the Polars folds of the tokens, on every name
    of a synthetic population and on the spellings clerks type."""
    typed = ["خَدِيجَة", "آل سعيد", "عبد   الرحمن", "وفاء بنت سالم", "ک\u200fخدیجه", "إيمان", "مؤمن", "الشبلى"]
    arabic = pl.concat([people[c] for c in NAMES[:4]]).drop_nulls().unique().to_list() + typed
    polars_words = pl.select(_arabic_words(pl.Series(arabic)).alias("w"))["w"].to_list()
    assert [query_forms.arabic_words(a) for a in arabic] == polars_words
    latin = pl.concat([people[c].str.split(" ") for c in NAMES[4:]]).explode().drop_nulls().unique().to_list()
    latin += ["Khadijah", "AL-SHIBLI", "Azzadjali", "Mohammed", "Al", "Sheikha", "Abdul-Rahman"]
    frame = pl.DataFrame({"w": latin}).with_columns(_latin_word(pl.col("w")).alias("t"))
    frame = frame.with_columns(skeleton_latin(pl.col("t")).alias("s"))
    assert [query_forms.latin_word(w) for w in latin] == frame["t"].to_list()
    assert [query_forms.skeleton_latin(t) if t else None for t in frame["t"]] == frame["s"].to_list()


def _matches(tokens: set[str], query: str) -> bool:
    return all(
        any(any(k.startswith(t.value) if t.prefix else k == t.value for k in tokens) for t in word)
        for word in name_terms(query)
    )


def test_every_person_is_found_by_their_names_in_either_script(people: pl.DataFrame) -> None:
    tokens = name_tokens(people, "person_id").group_by("person_id").agg("token")
    by_person = {r["person_id"]: set(r["token"]) for r in tokens.iter_rows(named=True)}
    arabic_only = people.with_columns(*(pl.lit(None, pl.String).alias(c) for c in NAMES[4:]))
    skeletons = name_tokens(arabic_only, "person_id").group_by("person_id").agg("token")
    arabic_tokens = {r["person_id"]: set(r["token"]) for r in skeletons.iter_rows(named=True)}
    transliterated = []
    for row in people.iter_rows(named=True):
        mine = by_person[row["person_id"]]
        assert _matches(mine, f"{row['family_name_ar']} {row['given_name_ar']}"), row
        assert _matches(mine, f"{row['given_name_ar'][:3]} {row['father_name_ar'] or ''}"), row
        assert _matches(mine, f"{row['given_name_en']} {row['family_name_en']}"), row
        # Registered in Arabic only, found by the Latin spelling's consonant skeleton (Omanis' names:
        # the skeleton knows Arabic names, not "Jose" written خوسيه).
        if row["nationality"] == "OM":
            latin = f"{row['given_name_en']} {row['father_name_en']} {row['family_name_en']}"
            transliterated.append(_matches(arabic_tokens[row["person_id"]], latin))
    assert sum(transliterated) / len(transliterated) >= 0.95


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("خديجة الشبلي", [["خديجه"], ["شبلي"]]),
        ("خديجه  بن  سالم آل", [["خديجه"], ["سالم"]]),
        ("Khadija Al-Shibli", [["khadija", "#xdj"], ["shibli", "#Sbl"]]),
        ("Al Bin", []),
    ],
)
def test_query_terms(query: str, words: list[list[str]]) -> None:
    assert [[t.value for t in word] for word in name_terms(query)] == words


def test_one_box_tells_numbers_from_names() -> None:
    assert Search.parse("+968 9123-4567") == Search(number="96891234567")
    assert Search.parse("71722468") == Search(number="71722468")
    assert Search.parse("خديجة 2") == Search(name="خديجة 2")
    assert phone_forms("91234567", "968") == ("+91234567", "+96891234567")
    assert phone_forms("00968 91234567", "968") == ("+96891234567",)


def test_a_prefix_is_a_range() -> None:
    words = ["خد", "خدى", "خدي", "خديجه", "خديييي", "خدً", "خذ", "khad", "khadija", "khae", "khb"]
    for prefix in ("خدي", "خد", "khad", "kha"):
        assert [w for w in words if prefix <= w < successor(prefix)] == [w for w in words if w.startswith(prefix)]


def test_tokens_by_row_id_are_those_by_civil_number_in_the_index_order(people: pl.DataFrame) -> None:
    """Row ids (the import's key) take the fast way (token rank and id in one integer): the same
    tokens, one row per person and token, sorted by token then key, as with text keys."""
    ids = people.with_columns(pl.col("person_id").cast(pl.Int64) * 3)  # civil numbers are digits: ids that sort alike
    by_text = name_tokens(people, "person_id").with_columns(pl.col("person_id").cast(pl.Int64) * 3)
    by_id = name_tokens(ids, "person_id")
    assert by_id.equals(by_text.sort("token", "person_id"))
    assert by_id.equals(by_id.unique(maintain_order=True))
    assert by_id["token"].to_list() == sorted(by_id["token"].to_list())
