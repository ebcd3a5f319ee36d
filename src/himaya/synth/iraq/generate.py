"""`himaya synth --pack iraq`: a synthetic Iraq as the Iraq pack's people table (with registry columns).

The shared machinery draws ages, marital status and families (`himaya.synth.population`), names
(`himaya.synth.identity`) and civil numbers; this module gives it Iraq's data and assumptions and
adds Iraq's columns (`economy`)."""

from __future__ import annotations

import numpy as np
import polars as pl

from himaya.policy.packs.iraq.schema import DISABILITY_CATEGORIES, REGISTRY
from himaya.policy.table import to_file_form
from himaya.synth.assumptions import by_age
from himaya.synth.generate import Progress, SynthError, Synthetic, SynthRequest
from himaya.synth.identity import civil_numbers, name_columns
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.iraq.contact import contact_columns
from himaya.synth.iraq.economy import LEVELS, Economy, economy
from himaya.synth.iraq.reference import districts, names, wpp_2025
from himaya.synth.population import (
    DIVORCED,
    RELATIONSHIP_CODES,
    STATUS_CODES,
    WIDOWED,
    People,
    form_families,
    households,
    lives_with_parent,
    sample_ages,
    sample_status,
)

STEPS = ("population", "families", "income", "names", "table")
NATIONAL_ID = (100_000_000_000, 1_000_000_000_000)  # 12 digits, as the unified national card's number


def _shares(a: IraqAssumptions, governorate: str | None) -> np.ndarray:
    """The share of Iraq's population in each district (of the governorate asked for)."""
    places = districts(a.kri_share)
    weight = places.weight.copy()
    if governorate is not None:
        inside = np.array([g == governorate for g in places.governorate_en])
        if not inside.any():
            known = ", ".join(sorted(set(places.governorate_en)))
            raise SynthError(f"unknown governorate {governorate!r}; one of: {known}")
        weight[~inside] = 0
    return weight


def persons_at_scale(scale: float, a: IraqAssumptions, governorate: str | None = None) -> int:
    """1.0 is the census population of Iraq (or of the governorate)."""
    return round(scale * a.population * float(_shares(a, governorate).sum()))


def _people(rng: np.random.Generator, n: int, request: SynthRequest, a: IraqAssumptions) -> tuple[People, np.ndarray]:
    """The persons, their families (as the Law registers them) and the household each family lives in."""
    pyramid = wpp_2025()
    age, birth, female = sample_ages(rng, pyramid, pyramid.counts, n, request.as_of)
    rates = {
        name: by_age(getattr(a, name))
        for name in ("men_married", "men_widowed", "men_divorced", "women_married", "women_widowed", "women_divorced")
    }
    status = sample_status(rng, age, female, rates)
    empty = np.zeros(n, dtype=np.int64)
    people = People(age, birth, female, np.ones(n, dtype=bool), status, empty, empty.astype(np.int8), empty)
    form_families(rng, people, a, children=lives_with_parent(rng, people, a))
    return people, households(rng, people, by_age(a.join_parents), a.join_gap)


def _codes(codes: tuple[str, ...], index: np.ndarray) -> pl.Series:
    """codes[index] as a text column, one gather (no Python string per person)."""
    return pl.Series(codes, dtype=pl.String).gather(index)


def _sp_category(people: People, means: Economy) -> pl.Series:
    """The Law's group a person belongs to, where the registry would know it (an attribute)."""
    female, status = people.female, people.status
    code = np.select(
        [means.disability >= 0, female & (status == WIDOWED), female & (status == DIVORCED)],
        [0, 1, 2],
        -1,
    )
    return pl.Series(["disabled", "widow", "divorcee", None], dtype=pl.String).gather(np.where(code < 0, 3, code))


def _columns(
    rng: np.random.Generator,
    people: People,
    household: np.ndarray,
    means: Economy,
    place: np.ndarray,
    a: IraqAssumptions,
    seed: int,
) -> dict[str, pl.Series]:
    n = len(people)
    places = districts(a.kri_share)
    person_id = pl.Series(civil_numbers(rng, n, *NATIONAL_ID)).cast(pl.String)
    number = np.empty(n, dtype=np.int64)
    heads = np.flatnonzero(people.head == np.arange(n))
    number[heads] = rng.permutation(heads.size) + 1
    dwelling = np.empty(n, dtype=np.int64)
    hosts = np.flatnonzero(household == np.arange(n))
    dwelling[hosts] = rng.permutation(hosts.size) + 1
    disability = pl.Series([*DISABILITY_CATEGORIES, None], dtype=pl.String)
    level = pl.Series([*LEVELS, None], dtype=pl.String)
    cared = means.cares_for
    return {
        "person_id": person_id,
        "family_id": pl.Series(number[people.head]).cast(pl.String).str.zfill(9).str.replace(r"^", "H"),
        "household_id": pl.Series(dwelling[household]).cast(pl.String).str.zfill(9).str.replace(r"^", "D"),
        "relationship": _codes(RELATIONSHIP_CODES, people.relationship),
        "sex": _codes(("M", "F"), people.female.astype(np.int8)),
        "birth_date": pl.Series(people.birth).cast(pl.Date),
        "death_date": pl.Series([None] * n, dtype=pl.Date),
        "nationality": _codes(("IQ",), np.zeros(n, dtype=np.int8)),
        "resident": pl.Series(rng.random(n) < a.resident),
        "marital_status": _codes(STATUS_CODES, people.status),
        "governorate": pl.Series(places.governorate_en, dtype=pl.String).gather(place),
        "district": pl.Series(places.district_en, dtype=pl.String).gather(place),
        "disability_category": disability.gather(
            np.where(means.disability < 0, len(DISABILITY_CATEGORIES), means.disability)
        ),
        **{name: pl.Series(values, dtype=pl.Int64) for name, values in means.money.items()},
        "pmt_pc_welfare": pl.Series(means.score, dtype=pl.Int64).set(pl.Series(means.score < 0), None),
        "sp_category": _sp_category(people, means),
        "school_level": level.gather(np.where(means.school_level < 0, len(LEVELS), means.school_level)),
        **{name: pl.Series(values, dtype=pl.Boolean) for name, values in means.flags.items()},
        "ration_card": pl.Series(rng.random(n) < a.ration_card),
        "cares_for": person_id.gather(np.maximum(cared, 0)).set(pl.Series(cared < 0), None),
        "kinship_degree": pl.Series(["1", None], dtype=pl.String).gather(np.where(cared >= 0, 0, 1)),
        **name_columns(rng, people, np.zeros(n, dtype=np.int64), (), names()),
        **contact_columns(seed, people.age, a),
        # Sort keys as numbers (the ids' text sorts the same way, zero-padded), dropped after sorting.
        "__household": pl.Series(dwelling[household]),
        "__family": pl.Series(number[people.head]),
        "__order": pl.Series(people.relationship),
    }


def generate(request: SynthRequest, progress: Progress | None = None, a: IraqAssumptions | None = None) -> Synthetic:
    """A synthetic Iraq; the same request gives the same table, row for row."""
    if request.persons < 1:
        raise SynthError(f"the population must have at least one person, not {request.persons}")
    if request.duplicates:
        raise SynthError("--duplicates is not available for --pack iraq yet")
    a = a or IraqAssumptions()
    tell = progress or (lambda _: None)
    rng = np.random.default_rng(request.seed)
    weight = _shares(a, request.governorate)
    tell("population")
    people, household = _people(rng, request.persons, request, a)
    tell("families")
    place = rng.choice(weight.size, size=len(people), p=weight / weight.sum())[household]
    federal = districts(a.kri_share).federal[place]
    tell("income")
    means = economy(rng, people, household, a, federal)
    tell("names")
    columns = _columns(rng, people, household, means, place, a, request.seed)
    tell("table")
    frame = (
        pl.DataFrame(columns)
        .sort("__household", "__family", "__order", "birth_date", "person_id")
        .drop("__household", "__family", "__order")
    )
    return Synthetic(frame, None)


def for_file(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The table as the Iraq pack's registry contract writes it (whole dinars)."""
    return to_file_form(frame, REGISTRY, kind)
