"""Duplicate detection against the independent ground truth (tests/registry/groundtruth.py), and
the pieces it rests on: normalisation, the skeleton across scripts, dates, twins."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from himaya.registry.blocking import candidate_pairs
from himaya.registry.compare import _date_levels, prepare
from himaya.registry.dedup import DedupResult, dedup
from himaya.registry.normalize import arabic, arabic_family, latin_family, skeleton_arabic, skeleton_latin
from tests.registry.groundtruth import build
from tests.registry.variations import KINDS


@pytest.fixture(scope="module")
def truth_and_result() -> tuple[pl.DataFrame, DedupResult]:
    people, truth = build(30_000, per_kind=32, seed=21)
    return truth, dedup(people)


def _pair_key(a: str, b: str) -> pl.Expr:
    return pl.min_horizontal(a, b) + "-" + pl.max_horizontal(a, b)


def per_kind(truth: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Per kind: pairs, merged, sent to review; and the recall of the band merge."""
    found = pairs.select(_pair_key("civil_number_a", "civil_number_b").alias("pair"), "band")
    joined = truth.with_columns(_pair_key("original_person_id", "duplicate_person_id").alias("pair")).join(
        found, on="pair", how="left"
    )
    return (
        joined.group_by("kind", "duplicate")
        .agg(
            pl.len().alias("pairs"),
            (pl.col("band") == "merge").sum().alias("merged"),
            (pl.col("band") == "review").sum().alias("review"),
        )
        .with_columns((pl.col("merged") / pl.col("pairs")).alias("recall"))
        .sort("duplicate", "kind", descending=[True, False])
    )


def test_the_targets_hold_on_the_ground_truth(truth_and_result: tuple[pl.DataFrame, DedupResult]) -> None:
    truth, result = truth_and_result
    table = per_kind(truth, result.pairs)
    duplicates = table.filter("duplicate")
    assert set(duplicates["kind"]) == set(KINDS)
    merged = result.pairs.filter(pl.col("band") == "merge")
    true_pairs = set(
        truth.filter("duplicate").select(_pair_key("original_person_id", "duplicate_person_id")).to_series().to_list()
    )
    merged_pairs = merged.select(_pair_key("civil_number_a", "civil_number_b")).to_series().to_list()
    correct = sum(pair in true_pairs for pair in merged_pairs)
    precision, recall = correct / len(merged_pairs), correct / len(true_pairs)
    assert precision >= 0.98, precision
    assert recall >= 0.95, recall
    weak = duplicates.filter(pl.col("recall") < 0.80)
    assert weak.is_empty(), weak
    negatives = table.filter(~pl.col("duplicate"))
    assert set(negatives["kind"]) >= {
        "twins",
        "twins_look_alike",
        "twins_arabic_only",
        "father_and_son",
        "common_names",
    }
    assert negatives["merged"].sum() == 0, negatives
    assert negatives.filter(pl.col("kind") == "twins")["pairs"].item() > 0


def test_blocking_keeps_the_true_pairs_and_reports_its_comparisons(
    truth_and_result: tuple[pl.DataFrame, DedupResult],
) -> None:
    truth, result = truth_and_result
    blocking = result.blocking
    assert blocking.comparisons == len(set(zip(blocking.left.tolist(), blocking.right.tolist(), strict=True)))
    assert sum(blocking.per_rule.values()) >= blocking.comparisons > 0
    people, _ = build(30_000, per_kind=32, seed=21)
    frame = prepare(people).frame.select("i", "civil_number")
    pairs = pl.DataFrame({"left": blocking.left, "right": blocking.right})
    numbered = pairs.join(frame.rename({"i": "left", "civil_number": "a"}), on="left").join(
        frame.rename({"i": "right", "civil_number": "b"}), on="right"
    )
    compared = set(numbered.select(_pair_key("a", "b")).to_series().to_list())
    expected = truth.filter("duplicate").select(_pair_key("original_person_id", "duplicate_person_id"))
    completeness = np.mean([pair in compared for pair in expected.to_series().to_list()])
    assert completeness >= 0.99


def test_the_ground_truth_is_seeded() -> None:
    first, _ = build(2_000, per_kind=2, seed=5, twins=4)
    again, _ = build(2_000, per_kind=2, seed=5, twins=4)
    other, _ = build(2_000, per_kind=2, seed=6, twins=4)
    assert first.equals(again)
    assert not first.equals(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("وفاء", "وفا"),
        ("بن سالم", "سالم"),
        ("ابن سالم", "سالم"),
        ("کریم", "كريم"),
        ("مح\u200fمد\u200c", "محمد"),
        ("عبد الله", "عبدالله"),
        ("فاطِمَة", "فاطمه"),
    ],
)
def test_arabic_spellings_fold(one: str, other: str) -> None:
    frame = pl.DataFrame({"a": [one], "b": [other]}).select(arabic(pl.col("a")), arabic(pl.col("b")).alias("b"))
    assert frame["a"][0] == frame["b"][0]


def test_the_article_goes_from_family_names() -> None:
    frame = pl.DataFrame({"ar": ["العبري", "عبري", "آل سعيد"], "en": ["Al Ajmi", "Ajmi", "Azzadjali"]})
    out = frame.select(arabic_family(pl.col("ar")), latin_family(pl.col("en")))
    assert out["ar"].to_list() == ["عبري", "عبري", "سعيد"]
    assert out["en"].to_list() == ["ajmi", "ajmi", "zadjali"]


def test_the_skeleton_meets_across_scripts() -> None:
    pairs = [("محمد", "Mohammed"), ("البلوشي", "Al Balushi"), ("خلفان", "Khalfan"), ("قاسم", "Gasim")]
    frame = pl.DataFrame({"ar": [a for a, _ in pairs], "en": [e for _, e in pairs]})
    out = frame.select(
        skeleton_arabic(arabic_family(pl.col("ar"))).alias("a"), skeleton_latin(latin_family(pl.col("en"))).alias("e")
    )
    assert out["a"].to_list() == out["e"].to_list()


def test_dates_know_the_clerks_errors() -> None:
    start = date(1800, 1, 1)
    first = [date(1997, 2, 5)] * 6
    # same day; day and month swapped; a day off; a year off; the month mistyped; another generation
    second = [date(1997, 2, 5), date(1997, 5, 2), date(1997, 2, 6), date(1998, 2, 5), date(1997, 9, 5)]
    second.append(date(1960, 1, 1))

    def parts(values: list[date]) -> tuple[np.ndarray, ...]:
        return tuple(np.array([getattr(v, field) for v in values]) for field in ("year", "month", "day"))

    born = (np.array([(v - start).days for v in first]), np.array([(v - start).days for v in second]))
    (ya, ma, da), (yb, mb, db) = parts(first), parts(second)
    assert _date_levels(born, (ya, yb, ma, mb, da, db)).tolist() == [1, 2, 3, 4, 5, 7]


def _twins(given: tuple[str, str], *, latin: bool) -> pl.DataFrame:
    rows = []
    for n, name in enumerate(given):
        rows.append(
            {
                "key": n,
                "civil_number": str(40_000_000 + n),
                "sex": "M",
                "birth_date": date(2010, 3, 4),
                "given_name_ar": name,
                "father_name_ar": "سالم",
                "grandfather_name_ar": "علي",
                "family_name_ar": "الهنائي",
                "given_name_en": {"حمد": "Hamad", "حمود": "Hamood", "ياسر": "Yasser"}[name] if latin else None,
                "father_name_en": "Salim" if latin else None,
                "grandfather_name_en": "Ali" if latin else None,
                "family_name_en": "Al Hinai" if latin else None,
                "mobile": "+96891234567",
                "iban": None,
            }
        )
    return pl.DataFrame(rows)


def _in_a_registry(records: pl.DataFrame) -> pl.DataFrame:
    """The records among 5,000 others: the model learns its weights from the registry."""
    people, _ = build(5_000, per_kind=4, seed=3, twins=0)
    added = records.with_columns(pl.col("key") + people.height).select(people.columns).cast(people.schema)  # type: ignore[arg-type]
    return pl.concat([people, added])


def _involving(pairs: pl.DataFrame, numbers: set[str]) -> pl.DataFrame:
    return pairs.filter(pl.col("civil_number_a").is_in(numbers) & pl.col("civil_number_b").is_in(numbers))


def test_twins_are_never_merged() -> None:
    numbers = {"40000000", "40000001"}
    different = dedup(_in_a_registry(_twins(("حمد", "ياسر"), latin=False))).pairs
    assert _involving(different, numbers).is_empty()
    look_alike = _involving(dedup(_in_a_registry(_twins(("حمد", "حمود"), latin=True))).pairs, numbers)
    assert look_alike["band"].to_list() == ["review"]
    assert "possible twins" in look_alike["reasons"][0]


def test_the_model_is_estimated_from_the_data(truth_and_result: tuple[pl.DataFrame, DedupResult]) -> None:
    _, result = truth_and_result
    weights = result.model.weights()
    assert weights["given_name"][1] > 2 > -2 > weights["given_name"][5]  # exact, differ
    assert weights["birth_date"][2] > 5  # day and month swapped is a clerk's error, not chance
    described = result.model.describe()
    assert len(described) == sum(len(w) for w in weights.values())


def test_blocking_on_an_empty_registry() -> None:
    people = _in_a_registry(_twins(("حمد", "ياسر"), latin=True)).head(0)
    assert candidate_pairs(prepare(people).frame).comparisons == 0
    assert dedup(people).pairs.is_empty()
