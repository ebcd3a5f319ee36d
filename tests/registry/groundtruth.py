"""A ground truth for duplicate detection, independent of `himaya synth --duplicates`.

A registry of families (father, mother, children named after the father and grandfather, a tribe,
family mobiles), then second registrations of some persons with one kind of variation each (see
`variations.KINDS`), and hard non-duplicates: twins (same family and birth date, consecutive civil
numbers, different given names, some look-alike, some in Arabic only), fathers and sons named after
the grandfather, and people with common names in other families. Seeded: the same seed, the same set.

With `wide`, the families' names come from longer lists (names.py's `*_MORE` after the usual
ones: 130 male and 47 female given names, 90 tribes): the tail a national registry has.

`build(persons, per_kind, seed)` returns the people (key, civil_number, sex, birth_date, names in both
scripts, mobile, iban) and the truth: (original_person_id, duplicate_person_id, kind, duplicate),
`duplicate` false for the hard non-duplicates.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from tests.registry.names import (
    FEMALE,
    FEMALE_MORE,
    LOOK_ALIKE,
    LOOK_ALIKE_LATIN,
    MALE,
    MALE_MORE,
    TRIBES,
    TRIBES_MORE,
    parse,
)
from tests.registry.variations import KINDS, Record

PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
_EPOCH = date(1940, 1, 1)


def _ranked(rng: np.random.Generator, size: int, count: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** 0.7
    return rng.choice(count, size=size, p=weights / weights.sum())


def _latin(rng: np.random.Generator, variants: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Mostly the common spelling, sometimes another (vectorised: a table of names x spellings)."""
    table = np.array([[v[min(k, len(v) - 1)] for k in range(4)] for v in variants])
    counts = np.array([len(v) for v in variants])
    choice = np.where(rng.random(index.size) < 0.85, 0, rng.integers(0, 4, index.size))
    return np.asarray(table[index, np.minimum(choice, counts[index] - 1)])


def _background(rng: np.random.Generator, persons: int, wide: bool) -> pl.DataFrame:
    """Families: father, mother and children; vectorised, so millions cost seconds."""
    male, female, tribes = parse(MALE), parse(FEMALE), parse(TRIBES)
    if wide:  # the longer tail of names.py, after the lists' own names
        male, female, tribes = male + parse(MALE_MORE), female + parse(FEMALE_MORE), tribes + parse(TRIBES_MORE)
    m_ar = np.array([a for a, _ in male])
    m_en = np.array([v for _, v in male], dtype=object)
    f_ar = np.array([a for a, _ in female])
    f_en = np.array([v for _, v in female], dtype=object)
    t_ar = np.array([a for a, _ in tribes])
    t_en = np.array([v for _, v in tribes], dtype=object)
    families = max(1, persons // 4)
    father_given, father_father, father_grand = (_ranked(rng, families, len(male)) for _ in range(3))
    tribe = _ranked(rng, families, len(tribes))
    father_born = rng.integers(0, 45 * 365, families)
    children = rng.integers(0, 5, families)
    child_of = np.repeat(np.arange(families), children)
    child_sex = rng.random(child_of.size) < 0.5  # True: male
    # Brothers (and sisters) never share a given name: the k-th child of a family steps through the list.
    order = np.arange(child_of.size) - np.repeat(np.cumsum(children) - children, children)
    child_given = np.where(
        child_sex,
        (_ranked(rng, families, len(male))[child_of] + 7 * order) % len(male),
        (_ranked(rng, families, len(female))[child_of] + 5 * order) % len(female),
    )
    child_born = father_born[child_of] + rng.integers(20 * 365, 40 * 365, child_of.size)
    mother_given, mother_father, mother_grand = (_ranked(rng, families, n) for n in (len(female), len(male), len(male)))
    mother_tribe = _ranked(rng, families, len(tribes))
    mobile = 90_000_000 + rng.choice(9_999_999, size=2 * families, replace=False)
    frames = []
    for role, count in (("father", families), ("mother", families), ("child", child_of.size)):
        if role == "father":
            g, f, h, t, sex = father_given, father_father, father_grand, tribe, np.ones(count, bool)
            born, phone = father_born, mobile[:families]
        elif role == "mother":
            g, f, h, t, sex = mother_given, mother_father, mother_grand, mother_tribe, np.zeros(count, bool)
            born, phone = father_born + rng.integers(0, 10 * 365, count), mobile[families:]
        else:
            g, f, h, t, sex = child_given, father_given[child_of], father_father[child_of], tribe[child_of], child_sex
            born, phone = child_born, np.where(rng.random(count) < 0.6, mobile[:families][child_of], 0)
        given_ar = np.where(sex, m_ar[np.minimum(g, len(male) - 1)], f_ar[np.minimum(g, len(female) - 1)])
        given_en = np.where(
            sex, _latin(rng, m_en, np.minimum(g, len(male) - 1)), _latin(rng, f_en, np.minimum(g, len(female) - 1))
        )
        frames.append(
            pl.DataFrame(
                {
                    "sex": np.where(sex, "M", "F"),
                    "birth_days": born,
                    "given_name_ar": given_ar,
                    "father_name_ar": m_ar[f],
                    "grandfather_name_ar": m_ar[h],
                    "family_name_ar": t_ar[t],
                    "given_name_en": given_en,
                    "father_name_en": _latin(rng, m_en, f),
                    "grandfather_name_en": _latin(rng, m_en, h),
                    "family_name_en": _latin(rng, t_en, t),
                    "mobile_number": phone,
                    "has_iban": (rng.random(count) < (0.0 if role == "child" else 0.6)),
                }
            )
        )
    people = pl.concat(frames).head(persons)
    return _identifiers(rng, people)


def _identifiers(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    drawn = np.unique(rng.integers(10_000_000, 99_999_999, int(people.height * 1.2) + 10))
    civil = rng.permutation(drawn)[: people.height]
    iban = [f"OM{n:02d}0{n:018d}" for n in range(people.height)]  # distinct, shape only
    return people.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("key"),
        pl.Series("civil_number", civil.astype(str)),
        "sex",
        (pl.lit(_EPOCH) + pl.duration(days=pl.col("birth_days"))).alias("birth_date"),
        *(f"{p}_{s}" for s in ("ar", "en") for p in PARTS),
        pl.when(pl.col("mobile_number") > 0).then("+968" + pl.col("mobile_number").cast(pl.String)).alias("mobile"),
        pl.when(pl.col("has_iban")).then(pl.Series(iban)).alias("iban"),
    )


def _record(row: dict[str, object]) -> Record:
    return Record(dict(row))


def _hard_negatives(
    rng: np.random.Generator, people: pl.DataFrame, taken: set[str], per_kind: int, twins_count: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Twins, fathers and sons, common names: new records and their pairs (duplicate false)."""
    males = people.filter(pl.col("sex") == "M", pl.col("birth_date") < date(1990, 1, 1))
    picked = males.sample(twins_count + 2 * per_kind + 8, seed=int(rng.integers(1 << 31))).to_dicts()
    added: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    male_names = dict(parse(MALE))
    for n, base in enumerate(picked[:twins_count]):  # twins: two new children of the same father
        alike = n % 3 == 0
        arabic_only = n % 5 == 1
        if alike:
            first, second = LOOK_ALIKE[n % len(LOOK_ALIKE)]
        else:
            first, second = rng.choice([a for a, _ in parse(MALE)], 2, replace=False)
        born = base["birth_date"] + timedelta(days=int(rng.integers(20 * 365, 35 * 365)))
        number = int(rng.integers(10_000_000, 99_999_990))
        while str(number) in taken or str(number + 1) in taken:
            number += 2
        twins = []
        for offset, given in enumerate((str(first), str(second))):
            latin = male_names.get(given, (LOOK_ALIKE_LATIN.get(given, ""),))[0]
            child = {
                **base,
                "civil_number": str(number + offset),
                "birth_date": born,
                "given_name_ar": given,
                "father_name_ar": base["given_name_ar"],
                "grandfather_name_ar": base["father_name_ar"],
                "given_name_en": None if arabic_only else latin,
                "father_name_en": None if arabic_only else base["given_name_en"],
                "grandfather_name_en": None if arabic_only else base["father_name_en"],
                "family_name_en": None if arabic_only else base["family_name_en"],
                "iban": None,
            }
            taken.add(child["civil_number"])
            twins.append(child)
        added += twins
        kind = "twins_look_alike" if alike else "twins_arabic_only" if arabic_only else "twins"
        truth.append(_pair(twins[0], twins[1], kind, False))
    for base in picked[twins_count : twins_count + per_kind]:  # a son named after his grandfather
        son = {
            **base,
            "civil_number": _fresh(rng, taken),
            "birth_date": base["birth_date"] + timedelta(days=int(rng.integers(22 * 365, 38 * 365))),
            "given_name_ar": base["father_name_ar"],
            "father_name_ar": base["given_name_ar"],
            "grandfather_name_ar": base["father_name_ar"],
            "given_name_en": base["father_name_en"],
            "father_name_en": base["given_name_en"],
            "grandfather_name_en": base["father_name_en"],
            "iban": None,
        }
        added.append(son)
        truth.append(_pair(base, son, "father_and_son", False))
    tribes = parse(TRIBES)
    for base in picked[twins_count + per_kind :]:  # the same three names in another family
        other = tribes[int(rng.integers(len(tribes)))]
        namesake = {
            **base,
            "civil_number": _fresh(rng, taken),
            "birth_date": base["birth_date"] + timedelta(days=int(rng.integers(2 * 365, 20 * 365))),
            "family_name_ar": other[0],
            "family_name_en": other[1][0],
            "mobile": None,
            "iban": None,
        }
        added.append(namesake)
        truth.append(_pair(base, namesake, "common_names", False))
    return added, truth


def _fresh(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        number = str(int(rng.integers(10_000_000, 99_999_999)))
        if number not in taken:
            taken.add(number)
            return number


def _pair(original: dict[str, object], other: dict[str, object], kind: str, duplicate: bool) -> dict[str, object]:
    return {
        "original_person_id": original["civil_number"],
        "duplicate_person_id": other["civil_number"],
        "kind": kind,
        "duplicate": duplicate,
    }


def build(
    persons: int = 30_000, per_kind: int = 32, seed: int = 21, *, twins: int = 120, wide: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """People with duplicates and hard non-duplicates added, and the truth of every pair."""
    rng = np.random.default_rng(seed)
    people = _background(rng, persons, wide)
    taken = set(people["civil_number"].to_list())
    added, truth = _hard_negatives(rng, people, taken, per_kind, twins)
    used = {str(p["original_person_id"]) for p in truth}  # one variation per person: pairs stay pairs
    adults = people.filter(pl.col("birth_date") < date(2000, 1, 1))
    for kind, vary in KINDS.items():
        eligible = adults.filter(~pl.col("civil_number").is_in(list(used)))
        eligible = eligible.filter(vary.eligible) if vary.eligible is not None else eligible
        for row in eligible.sample(per_kind, seed=int(rng.integers(1 << 31))).to_dicts():
            used.add(str(row["civil_number"]))
            copy = vary.apply(rng, _record(row), taken)
            copy.values.setdefault("civil_number", None)
            if copy.values["civil_number"] == row["civil_number"]:
                copy.values["civil_number"] = _fresh(rng, taken)
            added.append(copy.values)
            truth.append(_pair(row, copy.values, kind, True))
    extra = pl.DataFrame(added, schema=people.schema | {"key": pl.Int64}).with_columns(
        (pl.int_range(pl.len()) + people.height).cast(pl.Int64).alias("key")
    )
    return pl.concat([people, extra]), pl.DataFrame(truth)
