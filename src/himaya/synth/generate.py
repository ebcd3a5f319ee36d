"""`himaya synth`: put the pieces together into a people table with registry columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from himaya.policy.packs.oman.registry import REGISTRY
from himaya.policy.table import to_file_form
from himaya.synth.assumptions import Assumptions
from himaya.synth.duplicates import add_duplicates
from himaya.synth.economy import CATEGORIES, economy
from himaya.synth.identity import civil_numbers, contact_columns, name_columns, place_of_family
from himaya.synth.population import (
    RELATIONSHIP_CODES,
    STATUS_CODES,
    People,
    form_families,
    lives_with_parent,
    sample_ages,
    sample_status,
    status_rates,
)
from himaya.synth.reference import omani_share, places, wpp_2025

Progress = Callable[[str], None]
REFERENCE_DATE = date(2025, 1, 1)  # the default day ages are counted on (WPP's pyramid gives the shape only)
STEPS = ("population", "families", "income", "names", "places and accounts", "table", "duplicates")


@dataclass(frozen=True)
class SynthRequest:
    persons: int
    seed: int
    governorate: str | None = None
    duplicates: float = 0.0
    as_of: date = REFERENCE_DATE
    assumptions: Assumptions = field(default_factory=Assumptions)


@dataclass(frozen=True)
class Synthetic:
    people: pl.DataFrame  # money in Int64 baisa; see `for_file` for the file form
    duplicate_pairs: pl.DataFrame | None  # original_person_id, duplicate_person_id, variations


class SynthError(ValueError):
    """A request the generator cannot honour (unknown governorate, negative size)."""


def national_split(assumptions: Assumptions, governorate: str | None) -> tuple[float, float]:
    """Omanis and expatriates living in the country (or in one governorate)."""
    geography = places()
    if governorate is None:
        return float(assumptions.omanis), float(assumptions.expatriates)
    inside = np.array([g == governorate for g in geography.governorate_en])
    if not inside.any():
        known = ", ".join(sorted(set(geography.governorate_en)))
        raise SynthError(f"unknown governorate {governorate!r}; one of: {known}")
    return (
        assumptions.omanis * float(geography.omani_weight[inside].sum()),
        assumptions.expatriates * float(geography.expatriate_weight[inside].sum()),
    )


def persons_at_scale(scale: float, assumptions: Assumptions, governorate: str | None = None) -> int:
    """How many persons `--scale` means: 1.0 is the whole resident population (of the governorate)."""
    omanis, expatriates = national_split(assumptions, governorate)
    return round(scale * (omanis + expatriates))


def _population(rng: np.random.Generator, request: SynthRequest) -> People:
    assumptions = request.assumptions
    omanis, expatriates = national_split(assumptions, request.governorate)
    n_omani = round(request.persons * omanis / (omanis + expatriates))
    n_expat = request.persons - n_omani
    pyramid, share = wpp_2025(), omani_share()
    parts = []
    for count, weights, expatriate in (
        (n_omani, pyramid.counts * share, False),
        (n_expat, pyramid.counts * (1 - share), True),
    ):
        age, birth, female = sample_ages(rng, pyramid, weights, count, request.as_of)
        status = sample_status(rng, age, female, status_rates(assumptions, expatriate=expatriate))
        empty = np.zeros(count, dtype=np.int64)
        part = People(age, birth, female, np.full(count, not expatriate), status, empty, empty.astype(np.int8), empty)
        children = (age < 18) if expatriate else lives_with_parent(rng, part, assumptions)
        form_families(rng, part, assumptions, children=children)
        parts.append(part)
    omani_part, expat_part = parts
    offset = len(omani_part)
    return People(
        age=np.concatenate([omani_part.age, expat_part.age]),
        birth=np.concatenate([omani_part.birth, expat_part.birth]),
        female=np.concatenate([omani_part.female, expat_part.female]),
        omani=np.concatenate([omani_part.omani, expat_part.omani]),
        status=np.concatenate([omani_part.status, expat_part.status]),
        head=np.concatenate([omani_part.head, expat_part.head + offset]),
        relationship=np.concatenate([omani_part.relationship, expat_part.relationship]),
        parent=np.concatenate([omani_part.parent, np.where(expat_part.parent >= 0, expat_part.parent + offset, -1)]),
    )


def _codes(
    people: People, countries: np.ndarray, country_codes: tuple[str, ...], resident: np.ndarray
) -> dict[str, pl.Series | np.ndarray]:
    """The columns after the ids, in the table's order; the coded text ones each gathered from its
    few values: a NumPy array of strings would be converted to Polars one string at a time (a third
    of the generator's time, once)."""
    n = len(people)
    return {
        "relationship": pl.Series(RELATIONSHIP_CODES).gather(people.relationship),
        "sex": pl.Series(["M", "F"]).gather(people.female.astype(np.int8)),
        "birth_date": pl.Series(people.birth).cast(pl.Date),
        "death_date": pl.repeat(None, n, dtype=pl.Date, eager=True),
        "nationality": pl.Series([*country_codes, "OM"]).gather(np.where(people.omani, len(country_codes), countries)),
        "resident": resident,
        "marital_status": pl.Series(STATUS_CODES).gather(people.status),
    }


def generate(request: SynthRequest, progress: Progress | None = None) -> Synthetic:
    """A synthetic people table; the same request gives the same table, row for row."""
    if request.persons < 1:
        raise SynthError(f"the population must have at least one person, not {request.persons}")
    if not 0 <= request.duplicates <= 0.5:
        raise SynthError(f"--duplicates is a share between 0 and 0.5, not {request.duplicates}")
    tell = progress or (lambda _: None)
    rng = np.random.default_rng(request.seed)
    assumptions = request.assumptions

    tell("population")
    people = _population(rng, request)
    tell("families")
    n = len(people)
    civil = civil_numbers(rng, n)
    country_codes = tuple(code for code, _ in assumptions.expatriate_countries)
    country_share = np.array([share for _, share in assumptions.expatriate_countries])
    countries = rng.choice(len(country_codes), size=n, p=country_share / country_share.sum())
    countries = countries[people.head]  # a family shares its nationality
    tell("income")
    means = economy(rng, people, assumptions)
    tell("names")
    name_cols = name_columns(rng, people, countries, country_codes)
    tell("places and accounts")
    wilayat = place_of_family(rng, people, request.governorate)
    contact = contact_columns(rng, people, assumptions)
    tell("table")
    geography = places()
    family_number = np.empty(n, dtype=np.int64)
    heads = np.flatnonzero(people.head == np.arange(n))
    family_number[heads] = rng.permutation(heads.size) + 1
    frame = pl.DataFrame(
        {
            "person_id": pl.Series(civil).cast(pl.String),
            "family_id": pl.Series(family_number[people.head]).cast(pl.String).str.zfill(8).str.replace(r"^", "F"),
            **_codes(people, countries, country_codes, means.resident),
            "has_children": means.has_children,
            "employed": means.employed,
            "disability_category": pl.Series([*CATEGORIES, None], dtype=pl.String).gather(
                np.where(means.disability_category < 0, len(CATEGORIES), means.disability_category)
            ),
            "disability_card": means.disability_card,
            "father_deceased": means.father_deceased,
            "mother_deceased": means.mother_deceased,
            **{name: pl.Series(values, dtype=pl.Int64) for name, values in means.money.items()},
            **name_cols,
            "governorate": pl.Series(geography.governorate_en, dtype=pl.String).gather(wilayat),
            "wilayat": pl.Series(geography.wilayat_en, dtype=pl.String).gather(wilayat),
            **contact,
            "__order": people.relationship,
            # The order of family_id and person_id as numbers: the same as the text's (8 digits
            # each, zero-filled), and far cheaper to sort.
            "__family": family_number[people.head],
            "__person": civil,
        }
    )
    frame = frame.sort("__family", "__order", "birth_date", "__person").drop("__family", "__order", "__person")
    tell("duplicates")
    pairs = None
    if request.duplicates > 0:
        frame, pairs = add_duplicates(rng, frame, request.duplicates)
    return Synthetic(frame, pairs)


def for_file(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The table as the people contract writes it (money as OMR text in CSV, Decimal in Parquet)."""
    return to_file_form(frame, REGISTRY, kind)
