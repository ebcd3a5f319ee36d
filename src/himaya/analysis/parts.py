"""One part of a simulation: what a table of whole families contributes to the country's figures.

A simulation runs the month under the baseline and the reform on a table of people, then measures.
The people of a dataset's file (whole families: docs/scale.md) are simulated alone, in this process
or on a worker of a Dask cluster; what each file gives back is small and adds up exactly:

- counts and amounts (integers): recipients and cost by programme, the citizens covered by group
  and by governorate, the persons;
- one row per family with members living in the country: its id, its size, its citizens, its
  income before transfers and its transfers under each design, the measures of poverty, inequality,
  deciles and targeting are then computed on all families together (`analysis/measures.py`).

One table is one part: `simulate` on a file is the same computation as on a dataset of one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from himaya.core.errors import InvalidInputError
from himaya.core.periods import Period
from himaya.policy.engine import evaluate
from himaya.policy.pack import AnalysisInputs, PolicyPack, Unit, amount_of
from himaya.policy.parameters import ParameterTree

# Life-cycle groups: children under 18, the elderly from 60, working age between; persons with
# disabilities are those the pack's analysis inputs say (Oman: a disability card), at any age.
CHILD_UNTIL = 18
ELDERLY_FROM = 60
DESIGNS = ("baseline", "reform")


@dataclass(frozen=True)
class Part:
    """What one table of whole families gives a simulation; parts add up (`simulate.combine`)."""

    persons: int  # rows of the table, living or not
    newest_birth: date | None  # the latest birth date in it (a population drawn long ago lacks the births since)
    sums: dict[str, int]  # "{design}.{programme}.recipients" and ".monthly": persons paid, amount a month
    coverage: pl.DataFrame  # group, persons, baseline_covered, reform_covered: counts of living citizens
    governorates: pl.DataFrame | None  # governorate, citizens, {design}_covered (counts), {design}_monthly_baisa
    # family, household (null where the table names none), size, citizens, first_citizen,
    # __before_income, __{design}_family_transfers
    families: pl.DataFrame


def _age_at(day: date) -> pl.Expr:
    born = pl.col("birth_date")
    before_birthday = (born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)) > (
        day.month * 100 + day.day
    )
    return pl.lit(day.year, pl.Int32) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def _amounts(people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, period: Period, prefix: str) -> pl.DataFrame:
    keys = [p.key for p in pack.programmes]
    wide = evaluate(people, pack, tree, period)
    return wide.select(amount_of(key).alias(f"{prefix}.{key}") for key in keys)


def simulate_part(
    people: pl.DataFrame,
    pack: PolicyPack,
    inputs: AnalysisInputs,
    baseline: ParameterTree,
    reform: ParameterTree,
    period: Period,
) -> Part:
    """The month under `baseline` and under `reform` on a table of whole families, summed up."""
    keys = [p.key for p in pack.programmes]
    family = pack.family_column
    person_level = [k for k in keys if pack.programme(k).unit is Unit.PERSON]
    family_level = [k for k in keys if pack.programme(k).unit is Unit.FAMILY]
    frame = pl.concat(
        [
            people,
            _amounts(people, pack, baseline, period, "baseline"),
            _amounts(people, pack, reform, period, "reform"),
        ],
        how="horizontal",
    ).lazy()
    living = (
        pl.col("resident")
        & (pl.col("death_date").is_null() | (pl.col("death_date") >= period.start))
        & (pl.col("birth_date") <= period.end)
    )
    # Families by a small integer: windows on it are several times faster than on text.
    frame = frame.with_columns(pl.col(family).cast(pl.Categorical).to_physical().alias("__family"))
    frame = frame.with_columns(
        _age_at(period.start).alias("__age"),
        living.alias("__living"),
        (pl.col("nationality") == inputs.citizenship).alias("__citizen"),
        inputs.disabled.fill_null(False).alias("__disabled"),
        *[pl.sum_horizontal([pl.col(f"{d}.{k}") for k in keys]).alias(f"__{d}_transfers") for d in DESIGNS],
        *[_covered(d, person_level, family_level) for d in DESIGNS],
    )
    places = ["governorate"] if "governorate" in people.columns else []
    household = inputs.household.name if inputs.household is not None else None
    kept: list[str | pl.Expr] = [
        pl.col(family).cast(pl.String).alias("family"),
        (pl.col(household) if household is not None and household in people.columns else pl.lit(None))
        .cast(pl.String)
        .alias("household"),
        "nationality",
        *inputs.income_columns,
        *places,
    ]
    frame = frame.select(*kept, pl.col("^(baseline|reform)\\..*$"), pl.col("^__.*$")).collect().lazy()
    newest = people["birth_date"].max() if people.height else None
    return Part(
        persons=people.height,
        newest_birth=newest if isinstance(newest, date) else None,
        sums=_sums(frame, keys),
        coverage=_coverage(frame),
        governorates=_governorates(frame) if places else None,
        families=_families(frame, inputs.income_columns, household or "household"),
    )


def _covered(design: str, person_level: list[str], family_level: list[str]) -> pl.Expr:
    """Receives a benefit of their own, or is in a family that receives a family benefit."""
    own = [pl.col(f"{design}.{k}") > 0 for k in person_level]
    family = [pl.col(f"{design}.{k}").sum().over("__family") > 0 for k in family_level]
    return pl.any_horizontal([*own, *family]).alias(f"__{design}_covered")


def _sums(frame: pl.LazyFrame, keys: list[str]) -> dict[str, int]:
    row = frame.select(
        *[
            expr
            for design in DESIGNS
            for key in keys
            for expr in (
                (pl.col(f"{design}.{key}") > 0).sum().cast(pl.Int64).alias(f"{design}.{key}.recipients"),
                pl.col(f"{design}.{key}").sum().cast(pl.Int64).alias(f"{design}.{key}.monthly"),
            )
        ]
    ).collect()
    return {name: int(value or 0) for name, value in row.row(0, named=True).items()}


def group_of(age: pl.Expr) -> pl.Expr:
    return (
        pl.when(age < CHILD_UNTIL)
        .then(pl.lit("children"))
        .when(age < ELDERLY_FROM)
        .then(pl.lit("working_age"))
        .otherwise(pl.lit("elderly"))
    )


def _coverage(frame: pl.LazyFrame) -> pl.DataFrame:
    """Citizens living in the country in each life-cycle group, and how many of them receive something
    (a benefit of their own, or a family benefit paid to their family)."""
    citizens = frame.filter(pl.col("__living") & pl.col("__citizen"))
    counts = [
        pl.len().cast(pl.Int64).alias("persons"),
        *[pl.col(f"__{d}_covered").sum().cast(pl.Int64).alias(f"{d}_covered") for d in DESIGNS],
    ]
    by_age = citizens.group_by(group_of(pl.col("__age")).alias("group")).agg(counts)
    disabled = citizens.filter(pl.col("__disabled")).select(pl.lit("disability").alias("group"), *counts)
    return pl.concat([by_age, disabled]).collect()


def _governorates(frame: pl.LazyFrame) -> pl.DataFrame:
    citizens = pl.col("__living") & pl.col("__citizen")
    return (
        frame.group_by(pl.col("governorate").fill_null("(unknown)"))
        .agg(
            citizens.sum().cast(pl.Int64).alias("citizens"),
            *[pl.col(f"__{d}_covered").filter(citizens).sum().cast(pl.Int64).alias(f"{d}_covered") for d in DESIGNS],
            *[pl.col(f"__{d}_transfers").sum().cast(pl.Int64).alias(f"{d}_monthly_baisa") for d in DESIGNS],
        )
        .collect()
    )


class SplitHouseholdError(InvalidInputError):
    """A family whose members name different households."""


def _families(frame: pl.LazyFrame, incomes: tuple[str, ...], household: str) -> pl.DataFrame:
    """One row per family with members living in the country: the household it lives in (the one its
    members name; SimulationError if they name two), its size (those members), its citizens among
    them, whether its first member (in the table's order) is one, its cash income before transfers
    and each design's transfers (the currency's smallest unit a month)."""
    cash = pl.sum_horizontal([pl.col(c).fill_null(0) for c in incomes])
    found = (
        frame.filter(pl.col("__living"))
        .group_by("family")
        .agg(
            pl.col("household").min(),
            pl.col("household").max().alias("__other_household"),
            pl.len().cast(pl.Int64).alias("size"),
            pl.col("__citizen").sum().cast(pl.Int64).alias("citizens"),
            pl.col("__citizen").first().alias("first_citizen"),
            cash.sum().cast(pl.Int64).alias("__before_income"),
            *[pl.col(f"__{d}_transfers").sum().cast(pl.Int64).alias(f"__{d}_family_transfers") for d in DESIGNS],
        )
        .collect()
    )
    split = found.filter(pl.col("household") != pl.col("__other_household")).sort("family")
    if split.height:
        family, first, other = split.select("family", "household", "__other_household").row(0)
        raise SplitHouseholdError(
            f"family {family}: its members name two households in {household}, {first} and {other}: "
            "a family lives in one household (give every member the same, or leave it empty)"
        )
    return found.drop("__other_household")
