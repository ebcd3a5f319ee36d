"""Poverty and inequality over a whole population, vectorised: one row per family.

Incomes are per family (the registry's family unit shares its income), divided by the family's
adult equivalents, n ** elasticity (0.5 is the square-root scale), and counted for every member:
the measures are person-weighted. They are statistics, not payments, so they are floats; the
amounts they are built from are integer baisa.

Every measure is a function of the set of families, not of their order, so that a population read
as one table and read as the files of a dataset, in any order, give the same figures to the last
bit: counts and amounts are exact integers; a sum of floats is exactly rounded (`math.fsum`, the
same whatever the order of its terms); the deciles rank families of equal income by their id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

FAMILY = "family"  # the family's id: the order of families of equal income
HOUSEHOLD = "household"  # the household a family lives in (null: none named)


@dataclass(frozen=True)
class Poverty:
    headcount: float  # share of persons below the line
    gap: float  # mean shortfall below the line as a share of the line, over all persons (FGT1)
    poor: int  # persons below the line
    shortfall_baisa: int  # what would lift every family to the line, per month

    def as_dict(self) -> dict[str, float | int]:
        return {
            "headcount": self.headcount,
            "gap": self.gap,
            "poor_persons": self.poor,
            "monthly_shortfall_baisa": self.shortfall_baisa,
        }


def exact_sum(column: pl.Series) -> float:
    """The sum of a float column, exactly rounded: the same for its values in any order."""
    return math.fsum(column.drop_nulls().to_list())


def _per_equivalent(income: str, elasticity: float) -> pl.Expr:
    return pl.col(income).cast(pl.Float64) / pl.col("size").cast(pl.Float64).pow(elasticity)


def poverty(
    families: pl.LazyFrame | pl.DataFrame,
    income: str,
    *,
    line: float,
    elasticity: float,
    persons: str = "size",
    counted: pl.Expr | None = None,
) -> Poverty:
    """Poverty of the persons in `families` (one row per family): `size` (its members living in the
    country, the adult equivalents' n), the family's `income` in baisa a month, and `persons`, the
    members counted (all of them, or the citizens only). The shortfall is counted once a family,
    for the families `counted` selects (all by default)."""
    frame = families.lazy()
    equivalents = pl.col("size").cast(pl.Float64).pow(elasticity)
    per_equivalent = _per_equivalent(income, elasticity)
    weight = pl.col(persons).cast(pl.Int64)
    poor = per_equivalent < line
    share = ((pl.lit(line) - per_equivalent) / line).clip(lower_bound=0)
    row = frame.select(weight.sum().alias("persons"), weight.filter(poor).sum().alias("poor")).collect()
    total, poor_count = int(row["persons"][0] or 0), int(row["poor"][0] or 0)
    if total == 0:  # nobody to measure
        return Poverty(0.0, 0.0, 0, 0)
    gaps = frame.filter(poor & (weight > 0)).select(weight.cast(pl.Float64) * share).collect().to_series()
    owed = pl.lit(line) * equivalents - pl.col(income)
    shortfalls = frame.filter((owed > 0) & (counted if counted is not None else pl.lit(True))).select(owed).collect()
    return Poverty(
        headcount=poor_count / total,
        gap=exact_sum(gaps) / total,
        poor=poor_count,
        shortfall_baisa=round(exact_sum(shortfalls.to_series())),
    )


def gini(families: pl.LazyFrame | pl.DataFrame, income: str, *, elasticity: float) -> float:
    """The Gini coefficient of equivalised family income over persons (0: all equal; 1: one has all).

    With the persons' incomes sorted, G = 2 * sum(i * y_i) / (n * sum(y)) - (n + 1) / n, i from 1.
    Persons of equal income share their ranks: each distinct income y, held by c persons ranked
    after r others, adds y * (c * r + c * (c + 1) / 2), whatever the order of the families."""
    by_income = (
        families.lazy()
        .select(_per_equivalent(income, elasticity).alias("y"), pl.col("size").cast(pl.Int64))
        .group_by("y")
        .agg(pl.col("size").sum().alias("c"))
        .sort("y")
        .with_columns((pl.col("c").cum_sum() - pl.col("c")).alias("r"))
        .select(
            "c",
            (pl.col("y") * pl.col("c").cast(pl.Float64)).alias("total"),
            (pl.col("y") * (pl.col("c") * pl.col("r") + pl.col("c") * (pl.col("c") + 1) // 2).cast(pl.Float64)).alias(
                "weighted"
            ),
        )
        .collect()
    )
    n, total = float(by_income["c"].sum() or 0), exact_sum(by_income["total"])
    if n == 0 or total == 0:
        return 0.0
    return 2 * exact_sum(by_income["weighted"]) / (n * total) - (n + 1) / n


def deciles(
    families: pl.LazyFrame | pl.DataFrame, *, before: str, baseline: str, reform: str, elasticity: float
) -> pl.DataFrame:
    """Gainers and losers by decile of equivalised family income before transfers.

    Families are ranked by that income, families of equal income by their id (`family`), and cut
    into tenths of the persons (a family falls in the decile of its middle member, so it is never
    split). A person gains when their family's transfers are higher under the reform. Amounts are
    baisa a month per person (the family's transfers shared equally among its members)."""
    size = pl.col("size").cast(pl.Float64)
    ranked = (
        families.lazy()
        .filter(pl.col("size") > 0)
        .select(FAMILY, "size", baseline, reform, (pl.col(before).cast(pl.Float64) / size.pow(elasticity)).alias("__y"))
        .sort("__y", FAMILY)
    )
    middle = pl.col("size").cum_sum() - size / 2  # persons ranked before the family's middle member
    decile = (middle * 10 / pl.col("size").sum()).floor().cast(pl.Int32).clip(0, 9) + 1
    return (
        ranked.with_columns(decile.alias("decile"))
        .group_by("decile")
        .agg(
            pl.col("size").sum().cast(pl.Int64).alias("persons"),
            (pl.col(baseline).sum() / size.sum()).alias("baseline_baisa"),
            (pl.col(reform).sum() / size.sum()).alias("reform_baisa"),
            ((pl.col(reform) - pl.col(baseline)).sum() / size.sum()).alias("change_baisa"),
            (size.filter(pl.col(reform) > pl.col(baseline)).sum() / size.sum()).alias("gainers"),
            (size.filter(pl.col(reform) < pl.col(baseline)).sum() / size.sum()).alias("losers"),
        )
        .sort("decile")
        .collect()
    )


def by_household(families: pl.DataFrame, *, sums: tuple[str, ...]) -> pl.DataFrame:
    """The families as the households they live in: one row per household (its id in `family`), the
    `sums` of its families added up (sizes, citizens, incomes, transfers), its first citizen flag the
    first family's by id; a family that names no household is one of its own. The same households
    whatever the order of the families, and whichever parts of a dataset they came from.

    >>> families = pl.DataFrame({"family": ["F1", "F2", "F3"], "household": ["D1", "D1", None],
    ...     "size": [3, 2, 4], "first_citizen": [True, False, True], "income": [300, 0, 80]})
    >>> by_household(families, sums=("size", "income")).sort("family").rows()
    [('D1', 5, 300, True), ('F3', 4, 80, True)]
    """
    unit = pl.coalesce(pl.col(HOUSEHOLD), pl.col(FAMILY))
    return (
        families.with_columns(unit.alias("__unit"), pl.col(HOUSEHOLD).is_null().alias("__alone"))
        .group_by("__unit", "__alone")  # a family alone never merges with a household of the same id
        .agg(
            *[pl.col(c).sum() for c in sums],
            pl.col("first_citizen").sort_by(FAMILY).first(),
        )
        .rename({"__unit": FAMILY})
        .drop("__alone")
    )
