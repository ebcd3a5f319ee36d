"""The comparison of two records, field by field, as levels a Fellegi-Sunter model weighs.

Each name part is compared in Arabic with Arabic first (normalised, then its consonant skeleton),
with Latin and the skeleton across scripts as a second opinion; a side with nothing to compare
gives the level "missing" (weight 0), never a match or a mismatch. The father's and grandfather's
names are compared as a set: when they agree better swapped, the swapped pairing is used and the
order is a comparison of its own. Dates know the clerk's errors (day and month swapped, a day off,
a year off, one part mistyped); civil numbers know a slipped digit, two digits transposed and the
consecutive numbers that twins are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from himaya.registry.normalize import (
    arabic,
    arabic_family,
    latin,
    latin_family,
    skeleton_arabic,
    skeleton_latin,
)

PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
NAME_LEVELS = ("missing", "exact", "ar_skeleton", "skeleton", "near", "differ")
MISSING, EXACT, AR_SKELETON, SKELETON, NEAR, DIFFER = range(6)
DATE_LEVELS = ("missing", "exact", "day_month_swapped", "days_apart", "year_off", "one_part", "years_apart", "far")
CIVIL_LEVELS = ("differ", "one_digit", "transposed", "consecutive")
CONTACT_LEVELS = ("missing", "same", "differ")
ORDER_LEVELS = ("in_order", "swapped")
NEAR_SIMILARITY = 0.85  # Jaro-Winkler at or above: a typing slip rather than another name
_QUALITY = np.array([0, 3, 2, 2, 1, 0], dtype=np.int8)  # how well a level agrees, to pick an order


def prepare(people: pl.DataFrame) -> pl.DataFrame:
    """Normalised names, skeletons and identifiers; a row number `i` that pairs refer to.

    `people` has key, civil_number, sex, birth_date, the names in both scripts and, when known,
    mobile and iban."""
    columns = [
        pl.col(c) if c in people.columns else pl.lit(None, pl.String).alias(c) for c in ("mobile", "iban")
    ]
    names = []
    for part in PARTS:
        ar = (arabic_family if part == "family_name" else arabic)(pl.col(f"{part}_ar"))
        en = (latin_family if part == "family_name" else latin)(pl.col(f"{part}_en"))
        names += [ar.alias(f"{part}_ar"), en.alias(f"{part}_en")]
    prepared = people.select(
        pl.int_range(pl.len(), dtype=pl.Int32).alias("i"), "key", "civil_number", "sex", "birth_date", *columns, *names
    )
    return prepared.with_columns(
        col
        for part in PARTS
        for col in (
            skeleton_arabic(pl.col(f"{part}_ar")).alias(f"{part}_ska"),
            skeleton_latin(pl.col(f"{part}_en")).alias(f"{part}_skl"),
        )
    ).with_columns(
        pl.coalesce(f"{part}_ska", f"{part}_skl").alias(f"{part}_key") for part in PARTS
    )


@dataclass(frozen=True)
class Side:
    """One name part of one side of every pair, as numpy object arrays (None when unknown)."""

    ar: np.ndarray
    en: np.ndarray
    ska: np.ndarray
    skl: np.ndarray


def side(frame: pl.DataFrame, part: str, suffix: str) -> Side:
    def column(kind: str) -> np.ndarray:
        return frame[f"{part}_{kind}_{suffix}"].to_numpy()

    return Side(column("ar"), column("en"), column("ska"), column("skl"))


def _similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaro-Winkler of each pair; 0 where either is unknown."""
    known = _known(a) & _known(b)
    result = np.zeros(a.size, dtype=np.float32)
    if known.any():
        result[known] = cpdist(list(a[known]), list(b[known]), scorer=JaroWinkler.similarity, workers=-1)
    return result


def _known(values: np.ndarray) -> np.ndarray:
    return np.not_equal(values, None)


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _known(a) & _known(b) & (a == b)


def name_levels(a: Side, b: Side) -> np.ndarray:
    """The level of each pair for one name part (see NAME_LEVELS)."""
    both_ar = _known(a.ar) & _known(b.ar)
    both_en = _known(a.en) & _known(b.en)
    a_sk = [a.ska, a.skl]
    b_sk = [b.ska, b.skl]
    skeleton_equal = np.zeros(a.ar.size, dtype=bool)
    skeleton_known = np.zeros(a.ar.size, dtype=bool)
    for left in a_sk:
        for right in b_sk:
            skeleton_equal |= _equal(left, right)
            skeleton_known |= _known(left) & _known(right)
    ar_exact = _equal(a.ar, b.ar)
    en_exact = _equal(a.en, b.en)
    a_key = np.where(_known(a.ska), a.ska, a.skl)
    b_key = np.where(_known(b.ska), b.ska, b.skl)
    near_other = np.maximum(_similarity(a.en, b.en), _similarity(a_key, b_key)) >= NEAR_SIMILARITY
    near_ar = (_similarity(a.ar, b.ar) >= NEAR_SIMILARITY) | en_exact
    # Arabic on both sides decides; Latin and the skeletons only where one side has no Arabic.
    levels = np.full(a.ar.size, MISSING, dtype=np.int8)
    other = ~both_ar & (both_en | skeleton_known)
    levels[other] = DIFFER
    levels[other & near_other] = NEAR
    levels[other & skeleton_equal] = SKELETON
    levels[other & en_exact] = EXACT
    levels[both_ar] = DIFFER
    levels[both_ar & near_ar] = NEAR
    levels[both_ar & _equal(a.ska, b.ska)] = AR_SKELETON
    levels[ar_exact] = EXACT
    return levels


def compare_names(pairs: pl.DataFrame) -> dict[str, np.ndarray]:
    """Levels of the four name parts and of the middle names' order, for `pairs` with every
    prepared column suffixed _a and _b."""
    sides = {part: (side(pairs, part, "a"), side(pairs, part, "b")) for part in PARTS}
    given = name_levels(*sides["given_name"])
    family = name_levels(*sides["family_name"])
    (father_a, father_b), (grand_a, grand_b) = sides["father_name"], sides["grandfather_name"]
    straight = (name_levels(father_a, father_b), name_levels(grand_a, grand_b))
    crossed = (name_levels(father_a, grand_b), name_levels(grand_a, father_b))
    swapped = (_QUALITY[crossed[0]] + _QUALITY[crossed[1]]) > (_QUALITY[straight[0]] + _QUALITY[straight[1]])
    return {
        "given_name": given,
        "father_name": np.where(swapped, crossed[0], straight[0]).astype(np.int8),
        "grandfather_name": np.where(swapped, crossed[1], straight[1]).astype(np.int8),
        "family_name": family,
        "name_order": swapped.astype(np.int8),
        "given_arabic": (_known(sides["given_name"][0].ar) & _known(sides["given_name"][1].ar)).astype(np.int8),
        "latin_only": (~_known(sides["given_name"][0].ar) & ~_known(sides["given_name"][1].ar)).astype(np.int8),
    }


def _date_level() -> pl.Expr:
    a, b = pl.col("birth_date_a"), pl.col("birth_date_b")
    days = (a - b).dt.total_days().abs()
    same_year = a.dt.year() == b.dt.year()
    swapped = same_year & (a.dt.day() == b.dt.month()) & (a.dt.month() == b.dt.day())
    year_off = ((a.dt.year() - b.dt.year()).abs() == 1) & (a.dt.month() == b.dt.month()) & (a.dt.day() == b.dt.day())
    one_part = same_year & ((a.dt.month() == b.dt.month()) | (a.dt.day() == b.dt.day()))
    return (
        pl.when(a.is_null() | b.is_null())
        .then(0)
        .when(days == 0)
        .then(1)
        .when(swapped)
        .then(2)
        .when(days <= 2)
        .then(3)
        .when(year_off)
        .then(4)
        .when(one_part)
        .then(5)
        .when(days <= 3 * 366)
        .then(6)
        .otherwise(7)
        .cast(pl.Int8)
    )


def _civil_level() -> pl.Expr:
    a, b = pl.col("civil_number_a"), pl.col("civil_number_b")
    width = 8
    digits = pl.sum_horizontal([(a.str.slice(i, 1) != b.str.slice(i, 1)).cast(pl.Int8) for i in range(width)])
    transposed = pl.any_horizontal(
        [
            (a.str.slice(0, i) + a.str.slice(i + 1, 1) + a.str.slice(i, 1) + a.str.slice(i + 2)) == b
            for i in range(width - 1)
        ]
    )
    gap = (a.cast(pl.Int64, strict=False) - b.cast(pl.Int64, strict=False)).abs()
    return (
        pl.when(gap <= 2)
        .then(3)
        .when(digits == 1)
        .then(1)
        .when(transposed & (a != b))
        .then(2)
        .otherwise(0)
        .fill_null(0)
        .cast(pl.Int8)
    )


def _contact_level(field: str) -> pl.Expr:
    a, b = pl.col(f"{field}_a"), pl.col(f"{field}_b")
    return pl.when(a.is_null() | b.is_null()).then(0).when(a == b).then(1).otherwise(2).cast(pl.Int8)


def compare(prepared: pl.DataFrame, left: np.ndarray, right: np.ndarray) -> pl.DataFrame:
    """Every comparison's level for the pairs (left[k], right[k]) of prepared rows."""
    index_a, index_b = pl.Series(left, dtype=pl.Int32), pl.Series(right, dtype=pl.Int32)
    pairs = pl.concat(
        [
            prepared.drop("i", "sex").select(pl.all().gather(index_a).name.suffix("_a")),
            prepared.drop("i", "sex").select(pl.all().gather(index_b).name.suffix("_b")),
        ],
        how="horizontal",
    )
    names = compare_names(pairs)
    levels = pairs.select(
        pl.col("key_a").alias("a"),
        pl.col("key_b").alias("b"),
        "civil_number_a",
        "civil_number_b",
        _date_level().alias("birth_date"),
        _civil_level().alias("civil_number"),
        _contact_level("mobile").alias("mobile"),
        _contact_level("iban").alias("iban"),
    )
    return levels.with_columns(pl.Series(name, values) for name, values in names.items())
