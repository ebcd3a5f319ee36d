"""Finding people registered twice: blocking, comparison, a score, and pairs for a person to review.

Blocking keeps the comparisons few: two records are compared only when they share the sex and
either the birth date (or a birth date one day apart), the whole normalised Arabic name, or
seven of the eight digits of the civil number. Each candidate pair is then scored from its name
parts (normalised Arabic equal, or Latin similar), its birth dates and its civil numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz.distance import JaroWinkler

from himaya.registry.normalize import arabic, latin

PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
KEY = "key"  # a unique id of the record in the registry


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = 0.85  # pairs at or above are reported
    name_weight: float = 0.6
    date_weight: float = 0.3
    identifier_weight: float = 0.1  # a civil number one digit apart, or the same mobile or IBAN


def _prepared(people: pl.DataFrame) -> pl.DataFrame:
    """Normalised names and the blocking keys; `people` has key, civil_number, sex, birth_date, the
    names and, when known, mobile and iban."""
    return people.select(
        KEY,
        "civil_number",
        "sex",
        "birth_date",
        *(pl.col(c) if c in people.columns else pl.lit(None, pl.String).alias(c) for c in ("mobile", "iban")),
        *(arabic(pl.col(f"{p}_ar")).alias(f"{p}_ar") for p in PARTS),
        *(latin(pl.col(f"{p}_en")).alias(f"{p}_en") for p in PARTS),
    ).with_columns(
        pl.concat_str([pl.col(f"{p}_ar") for p in PARTS], separator=" ").alias("name_ar"),
        pl.concat_str([pl.col(f"{p}_en") for p in PARTS], separator=" ").alias("name_en"),
    )


def _pairs_on(
    left: pl.DataFrame, right: pl.DataFrame, left_on: list[str | pl.Expr], right_on: list[str | pl.Expr]
) -> pl.DataFrame:
    return (
        left.select(KEY, *left_on)
        .join(right.select(pl.col(KEY).alias("other"), *right_on), left_on=left_on, right_on=right_on)
        .filter(pl.col(KEY) != pl.col("other"))
        .select(pl.min_horizontal(KEY, "other").alias("a"), pl.max_horizontal(KEY, "other").alias("b"))
    )


def candidate_pairs(prepared: pl.DataFrame) -> pl.DataFrame:
    """Every pair (a < b) that shares a block.

    Birth-date blocks also share the family name (in either script, normalised): without it a
    national registry's blocks hold dozens of people born the same day, and the pairs grow with
    the square of that.
    """
    next_day = prepared.with_columns((pl.col("birth_date") + pl.duration(days=1)).alias("next_day"))
    blocks = []
    for family in ("family_name_ar", "family_name_en"):
        known = prepared.filter(pl.col(family).is_not_null())
        blocks.append(_pairs_on(known, known, ["sex", "birth_date", family], ["sex", "birth_date", family]))
        shifted = next_day.filter(pl.col(family).is_not_null())
        blocks.append(_pairs_on(shifted, known, ["sex", "next_day", family], ["sex", "birth_date", family]))
    named = prepared.filter(pl.col("name_ar").is_not_null())
    blocks.append(_pairs_on(named, named, ["sex", "name_ar"], ["sex", "name_ar"]))
    for position in range(8):  # one digit masked: numbers that differ in at most that digit
        mask = pl.col("civil_number").str.slice(0, position) + "_" + pl.col("civil_number").str.slice(position + 1)
        masked = prepared.select(KEY, "sex", mask.alias("mask"))
        blocks.append(_pairs_on(masked, masked, ["sex", "mask"], ["sex", "mask"]))
    return pl.concat(blocks).unique()


def score_pairs(prepared: pl.DataFrame, pairs: pl.DataFrame, settings: DedupSettings) -> pl.DataFrame:
    """Score candidate pairs; keep those at or above the threshold, best first."""
    side = prepared.drop("sex")
    joined = pairs.join(side.rename(lambda c: f"{c}_a"), left_on="a", right_on=f"{KEY}_a").join(
        side.rename(lambda c: f"{c}_b"), left_on="b", right_on=f"{KEY}_b"
    )
    # Cheap filter before any string similarity: at least two name parts agree in Arabic or Latin.
    agreeing = pl.sum_horizontal(
        [
            ((pl.col(f"{p}_ar_a") == pl.col(f"{p}_ar_b")) | (pl.col(f"{p}_en_a") == pl.col(f"{p}_en_b")))
            .fill_null(False)
            .cast(pl.Int8)
            for p in PARTS
        ]
    )
    joined = joined.filter(agreeing >= 2)
    part_scores = []
    for part in PARTS:
        similarity = [
            None
            if (ar_a is None or ar_b is None) and (not en_a or not en_b)
            else 1.0
            if ar_a is not None and ar_a == ar_b
            else JaroWinkler.similarity(en_a or "", en_b or "")
            for ar_a, ar_b, en_a, en_b in joined.select(
                f"{part}_ar_a", f"{part}_ar_b", f"{part}_en_a", f"{part}_en_b"
            ).iter_rows()
        ]
        part_scores.append(pl.Series(f"{part}_score", similarity, dtype=pl.Float64))
    joined = joined.with_columns(part_scores)
    parts = [pl.col(f"{p}_score") for p in PARTS]
    days = (pl.col("birth_date_a") - pl.col("birth_date_b")).dt.total_days().abs()
    digits = pl.sum_horizontal(
        [
            (pl.col("civil_number_a").str.slice(i, 1) != pl.col("civil_number_b").str.slice(i, 1)).cast(pl.Int8)
            for i in range(8)
        ]
    )
    # Fewer name parts known on both sides is weaker evidence (an expatriate's two-part name).
    known = pl.sum_horizontal([part.is_not_null().cast(pl.Int8) for part in parts])
    coverage = pl.when(known >= 4).then(1.0).when(known == 3).then(0.85).otherwise(0.7)
    name = (0.5 * pl.min_horizontal(parts) + 0.5 * pl.mean_horizontal(parts)).fill_null(0.0) * coverage
    date = pl.when(days == 0).then(1.0).when(days == 1).then(0.9).when(days <= 366).then(0.2).otherwise(0.0)
    same_contact = (pl.col("mobile_a") == pl.col("mobile_b")).fill_null(False) | (
        pl.col("iban_a") == pl.col("iban_b")
    ).fill_null(False)
    identifier = pl.when((digits <= 1) | same_contact).then(1.0).otherwise(0.0)
    score = settings.name_weight * name + settings.date_weight * date + settings.identifier_weight * identifier
    reasons = pl.concat_str(
        [
            pl.when(pl.min_horizontal(parts) == 1.0).then(pl.lit("names agree")).otherwise(pl.lit("names similar")),
            pl.when(days == 0)
            .then(pl.lit("same birth date"))
            .when(days == 1)
            .then(pl.lit("birth dates one day apart"))
            .otherwise(pl.lit("birth dates differ")),
            pl.when(digits == 0)
            .then(pl.lit("same civil number"))
            .when(digits == 1)
            .then(pl.lit("civil numbers differ in one digit"))
            .otherwise(None),
            pl.when(same_contact).then(pl.lit("same mobile or IBAN")).otherwise(None),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    return (
        joined.with_columns(score.round(4).alias("score"), reasons.alias("reasons"))
        .filter(pl.col("score") >= settings.threshold)
        .select("a", "b", pl.col("civil_number_a"), pl.col("civil_number_b"), "score", "reasons")
        .sort(["score", "a", "b"], descending=[True, False, False])
    )


def find_duplicates(people: pl.DataFrame, settings: DedupSettings | None = None) -> pl.DataFrame:
    """Scored pairs of records that are probably the same person, best first."""
    chosen = settings or DedupSettings()
    prepared = _prepared(people)
    return score_pairs(prepared, candidate_pairs(prepared), chosen)


@dataclass(frozen=True)
class Quality:
    true_pairs: int
    found: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def measure(found: pl.DataFrame, truth: pl.DataFrame) -> Quality:
    """Precision and recall of `found` (civil_number_a/_b) against the ground truth of `himaya synth`."""

    def keyed(frame: pl.DataFrame, first: str, second: str) -> set[tuple[str, str]]:
        return {tuple(sorted(pair)) for pair in frame.select(first, second).iter_rows()}

    expected = keyed(truth, "original_person_id", "duplicate_person_id")
    reported = keyed(found, "civil_number_a", "civil_number_b")
    return Quality(true_pairs=len(expected), found=len(reported), correct=len(expected & reported))
