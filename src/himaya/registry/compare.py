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
from typing import Any

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
_NONE: Any = None  # compared element by element with an object array
NEAR_SIMILARITY = 0.85  # Jaro-Winkler at or above: a typing slip rather than another name
_QUALITY = np.array([0, 3, 2, 2, 1, 0], dtype=np.int8)  # how well a level agrees, to pick an order


@dataclass(frozen=True)
class Prepared:
    """The people as matching sees them.

    `frame` has, per record (row number `i`): key, civil_number, sex, birth_date; the numbers
    `civil` and `born` (days); `mobile` and `iban` as ids (-1 unknown); per name part an id into
    a dictionary of distinct normalised names (0: unknown) and a skeleton key id for blocking.
    Names repeat enormously in a registry: normalising, and comparing, each distinct name (or
    pair of names) once is what makes millions of records affordable.
    """

    frame: pl.DataFrame
    personal: pl.DataFrame  # id, ar, en, ska, skl: given, father's and grandfather's names
    family: pl.DataFrame  # the same for family names (article removed)


def _dictionary(people: pl.DataFrame, parts: tuple[str, ...], family: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(raw spelling -> id) and (id -> normalised names, skeletons, key id), id 0 unknown."""
    raw = pl.concat(
        [people.select(pl.col(f"{p}_ar").alias("ar_raw"), pl.col(f"{p}_en").alias("en_raw")) for p in parts]
    ).unique()
    raw = raw.with_columns(
        (arabic_family if family else arabic)(pl.col("ar_raw")).alias("ar"),
        (latin_family if family else latin)(pl.col("en_raw")).alias("en"),
    )
    names = (
        raw.select("ar", "en")
        .unique()
        .filter(pl.col("ar").is_not_null() | pl.col("en").is_not_null())
        .sort("ar", "en", nulls_last=True)
        .with_columns(
            (pl.int_range(pl.len(), dtype=pl.Int32) + 1).alias("id"),
            skeleton_arabic(pl.col("ar")).alias("ska"),
            skeleton_latin(pl.col("en")).alias("skl"),
        )
        .with_columns(
            pl.coalesce("ska", "skl").rank("dense").cast(pl.Int32).alias("key_id"),
            pl.coalesce("ar", "en").rank("dense").cast(pl.Int32).alias("value_id"),
        )
    )
    unknown = pl.DataFrame(
        {"ar": [None], "en": [None], "id": [0], "ska": [None], "skl": [None], "key_id": [None], "value_id": [None]}
    )
    names = pl.concat([unknown.cast(names.schema), names])
    lookup = raw.join(
        names.select("ar", "en", "id", "key_id", "value_id"), on=["ar", "en"], how="left", nulls_equal=True
    )
    return lookup.select("ar_raw", "en_raw", pl.col("id").fill_null(0), "key_id", "value_id"), names.drop(
        "key_id", "value_id"
    )


def _ids(people: pl.DataFrame, lookup: pl.DataFrame, part: str) -> pl.DataFrame:
    keyed = people.select("sex", pl.col(f"{part}_ar").alias("ar_raw"), pl.col(f"{part}_en").alias("en_raw"))
    found = keyed.join(lookup, on=["ar_raw", "en_raw"], how="left", nulls_equal=True, maintain_order="left")
    # How often the name (its Arabic, or its Latin when there is no Arabic) is given in this part,
    # among the records of the same sex (pairs are always of one sex: Mohammed is a tenth of the
    # men, not a twentieth of everyone): agreeing on a rare name is stronger evidence than
    # agreeing on Mohammed (term frequency).
    share = pl.len().over("value_id", "sex") / pl.len().over("sex")
    return found.select(
        pl.col("id").alias(f"{part}_id"),
        pl.col("key_id").alias(f"{part}_key"),
        pl.when(pl.col("value_id").is_not_null()).then(share).cast(pl.Float64).alias(f"{part}_frequency"),
    )


def _code(column: str) -> pl.Expr:
    return pl.col(column).rank("dense").cast(pl.Int32).fill_null(0).alias(column)


def prepare(people: pl.DataFrame) -> Prepared:
    """`people` has key, civil_number, sex, birth_date, the names in both scripts and, when known,
    mobile and iban."""
    texts = [f"{p}_{s}" for p in PARTS for s in ("ar", "en")] + ["civil_number"]
    texts += [c for c in ("mobile", "iban") if c in people.columns]
    people = people.with_columns(pl.col(texts).cast(pl.String), pl.col("birth_date").cast(pl.Date))
    personal_lookup, personal = _dictionary(people, PARTS[:3], family=False)
    family_lookup, family = _dictionary(people, PARTS[3:], family=True)
    contacts = [pl.col(c) if c in people.columns else pl.lit(None, pl.String).alias(c) for c in ("mobile", "iban")]
    base = people.select(
        pl.int_range(pl.len(), dtype=pl.Int32).alias("i"),
        "key",
        "civil_number",
        "sex",
        "birth_date",
        pl.col("civil_number").cast(pl.Int64, strict=False).fill_null(-1).alias("civil"),
        (pl.col("birth_date") - pl.date(1800, 1, 1)).dt.total_days().cast(pl.Int32).fill_null(-1).alias("born"),
        pl.col("birth_date").dt.year().cast(pl.Int32).fill_null(0).alias("year"),
        pl.col("birth_date").dt.month().cast(pl.Int8).fill_null(0).alias("month"),
        pl.col("birth_date").dt.day().cast(pl.Int8).fill_null(0).alias("day"),
        # Registries heap birth dates (1 January for whoever did not know the day): sharing one of
        # those is weaker evidence than sharing another day (term frequency, as for the names).
        pl.when(pl.col("birth_date").is_not_null())
        .then(pl.len().over("birth_date", "sex") / pl.len().over("sex"))
        .cast(pl.Float64)
        .alias("birth_date_frequency"),
        *contacts,
    ).with_columns(_code("mobile"), _code("iban"))
    ids = [_ids(people, personal_lookup, part) for part in PARTS[:3]] + [_ids(people, family_lookup, PARTS[3])]
    return Prepared(pl.concat([base, *ids], how="horizontal"), personal, family)


@dataclass(frozen=True)
class Side:
    """One name part of one side of every pair, as numpy object arrays (None when unknown)."""

    ar: np.ndarray
    en: np.ndarray
    ska: np.ndarray
    skl: np.ndarray


def _similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaro-Winkler of each pair; 0 where either is unknown."""
    known = _known(a) & _known(b)
    result = np.zeros(a.size, dtype=np.float32)
    if known.any():
        result[known] = cpdist(list(a[known]), list(b[known]), scorer=JaroWinkler.similarity, workers=-1)
    return result


def _known(values: np.ndarray) -> np.ndarray:
    return np.asarray(np.not_equal(values, _NONE), dtype=bool)


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(_known(a) & _known(b) & (a == b), dtype=bool)


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


def _dictionary_side(names: pl.DataFrame, ids: np.ndarray) -> Side:
    def column(kind: str) -> np.ndarray:
        return np.asarray(names[kind].to_numpy()[ids])

    return Side(column("ar"), column("en"), column("ska"), column("skl"))


def part_levels(names: pl.DataFrame, ids_a: np.ndarray, ids_b: np.ndarray) -> np.ndarray:
    """Levels of one name part for every pair, each distinct pair of names compared once."""
    if ids_a.size == 0:
        return np.zeros(0, dtype=np.int8)
    code = ids_a.astype(np.int64) * (names.height + 1) + ids_b.astype(np.int64)
    distinct, inverse = np.unique(code, return_inverse=True)
    first, second = distinct // (names.height + 1), distinct % (names.height + 1)
    levels = name_levels(_dictionary_side(names, first), _dictionary_side(names, second))
    return levels[inverse]


def compare_names(prepared: Prepared, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """Levels of the four name parts and of the middle names' order."""
    frame = prepared.frame

    def ids(part: str, rows: np.ndarray) -> np.ndarray:
        return np.asarray(frame[f"{part}_id"].to_numpy()[rows])

    personal = prepared.personal
    given = part_levels(personal, ids("given_name", left), ids("given_name", right))
    family = part_levels(prepared.family, ids("family_name", left), ids("family_name", right))
    father_a, father_b = ids("father_name", left), ids("father_name", right)
    grand_a, grand_b = ids("grandfather_name", left), ids("grandfather_name", right)
    straight = (part_levels(personal, father_a, father_b), part_levels(personal, grand_a, grand_b))
    crossed = (part_levels(personal, father_a, grand_b), part_levels(personal, grand_a, father_b))
    swapped = (_QUALITY[crossed[0]] + _QUALITY[crossed[1]]) > (_QUALITY[straight[0]] + _QUALITY[straight[1]])
    has_arabic = _known(personal["ar"].to_numpy())
    given_a, given_b = has_arabic[ids("given_name", left)], has_arabic[ids("given_name", right)]
    return {
        "given_name": given,
        "father_name": np.where(swapped, crossed[0], straight[0]).astype(np.int8),
        "grandfather_name": np.where(swapped, crossed[1], straight[1]).astype(np.int8),
        "family_name": family,
        "name_order": swapped.astype(np.int8),
        "given_arabic": (given_a & given_b).astype(np.int8),
        "latin_only": (~given_a & ~given_b).astype(np.int8),
    }


def _date_levels(born: tuple[np.ndarray, np.ndarray], ymd: tuple[np.ndarray, ...]) -> np.ndarray:
    """Birth date levels, from days since 1800 and (year, month, day) of both sides."""
    days_a, days_b = born[0].astype(np.int64), born[1].astype(np.int64)
    ya, yb, ma, mb, da, db = (x.astype(np.int64) for x in ymd)
    gap = np.abs(days_a - days_b)
    same_year = ya == yb
    levels = np.full(gap.size, 7, dtype=np.int8)
    conditions = [
        (gap <= 3 * 366, 6),
        (same_year & ((ma == mb) | (da == db)), 5),
        ((np.abs(ya - yb) == 1) & (ma == mb) & (da == db), 4),
        (gap <= 2, 3),
        (same_year & (da == mb) & (ma == db), 2),
        (gap == 0, 1),
    ]
    for condition, level in conditions:  # weakest first: the strongest that holds wins
        levels[condition] = level
    levels[(days_a < 0) | (days_b < 0)] = 0
    return levels


def _civil_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """differ 0, one digit 1, two adjacent digits transposed 2, consecutive (within 2) 3."""
    width = 8
    digits_a = [((a // 10**k) % 10).astype(np.int8) for k in range(width)]
    digits_b = [((b // 10**k) % 10).astype(np.int8) for k in range(width)]
    differing = sum(((x != y).astype(np.int8) for x, y in zip(digits_a, digits_b, strict=True)), np.int8(0))
    transposed = np.zeros(a.size, dtype=bool)
    for k in range(width - 1):
        swapped = (digits_a[k] == digits_b[k + 1]) & (digits_a[k + 1] == digits_b[k])
        transposed |= swapped & (differing == 2) & (digits_a[k] != digits_a[k + 1])
    levels = np.zeros(a.size, dtype=np.int8)
    levels[transposed] = 2
    levels[differing == 1] = 1
    levels[np.abs(a - b) <= 2] = 3
    levels[(a < 0) | (b < 0)] = 0
    return levels


def _contact_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    levels = np.where(a == b, 1, 2).astype(np.int8)
    levels[(a == 0) | (b == 0)] = 0
    return levels


def compare(prepared: Prepared, left: np.ndarray, right: np.ndarray) -> pl.DataFrame:
    """Every comparison's level for the pairs (left[k], right[k]) of prepared rows."""
    frame = prepared.frame

    def both(column: str) -> tuple[np.ndarray, np.ndarray]:
        values = frame[column].to_numpy()
        return values[left], values[right]

    levels = {
        "left": left.astype(np.int32),
        "right": right.astype(np.int32),
        "birth_date": _date_levels(both("born"), (*both("year"), *both("month"), *both("day"))),
        "civil_number": _civil_levels(*both("civil")),
        "mobile": _contact_levels(*both("mobile")),
        "iban": _contact_levels(*both("iban")),
    }
    return pl.DataFrame(levels | compare_names(prepared, left, right))
