"""Poverty and inequality over a whole population, vectorised: one row per person.

Incomes are per family (the registry's family unit shares its income), divided by the family's
adult equivalents, n ** elasticity (0.5 is the square-root scale), and counted for every member:
the measures are person-weighted. They are statistics, not payments, so they are floats; the
amounts they are built from are integer baisa.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


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


def poverty(frame: pl.LazyFrame, income: str, *, line: float, elasticity: float) -> Poverty:
    """Poverty of the persons in `frame`: columns `size`, `first` (one member of each family) and the
    family's `income` in baisa a month."""
    equivalents = pl.col("size").cast(pl.Float64).pow(elasticity)
    per_equivalent = pl.col(income).cast(pl.Float64) / equivalents
    shortfall = ((pl.lit(line) - per_equivalent) / line).clip(lower_bound=0)
    # The family's shortfall is counted once: the member with `first` set carries it.
    family_shortfall = pl.when(pl.col("first")).then((pl.lit(line) * equivalents - pl.col(income)).clip(0)).otherwise(0)
    row = frame.select(
        (per_equivalent < line).mean().alias("headcount"),
        shortfall.mean().alias("gap"),
        (per_equivalent < line).sum().alias("poor"),
        family_shortfall.sum().alias("shortfall"),
    ).collect()
    if row["headcount"][0] is None:  # nobody to measure
        return Poverty(0.0, 0.0, 0, 0)
    return Poverty(
        headcount=float(row["headcount"][0]),
        gap=float(row["gap"][0]),
        poor=int(row["poor"][0]),
        shortfall_baisa=round(float(row["shortfall"][0])),
    )


def gini(frame: pl.LazyFrame, income: str, *, elasticity: float) -> float:
    """The Gini coefficient of equivalised family income over persons (0: all equal; 1: one has all).

    With incomes sorted, G = 2 * sum(i * y_i) / (n * sum(y)) - (n + 1) / n, i from 1.
    """
    y = pl.col(income).cast(pl.Float64) / pl.col("size").cast(pl.Float64).pow(elasticity)
    row = (
        frame.select(y.alias("y"))
        .sort("y")
        .select(
            (pl.int_range(1, pl.len() + 1, dtype=pl.Int64).cast(pl.Float64) * pl.col("y")).sum().alias("weighted"),
            pl.col("y").sum().alias("total"),
            pl.len().cast(pl.Float64).alias("n"),
        )
        .collect()
    )
    n, total = float(row["n"][0]), float(row["total"][0] or 0.0)
    if n == 0 or total == 0:
        return 0.0
    return 2 * float(row["weighted"][0]) / (n * total) - (n + 1) / n


def deciles(frame: pl.LazyFrame, *, before: str, baseline: str, reform: str, elasticity: float) -> pl.DataFrame:
    """Gainers and losers by decile of equivalised family income before transfers.

    Families are ranked by that income and cut into tenths of the persons (a family falls in the
    decile of its middle member, so it is never split). A person gains when their family's
    transfers are higher under the reform. Amounts are baisa a month per person (the family's
    transfers shared equally among its members). Reads one row per family: those with `first` set.
    """
    size = pl.col("size").cast(pl.Float64)
    families = (
        frame.filter(pl.col("first"))
        .select("size", baseline, reform, (pl.col(before).cast(pl.Float64) / size.pow(elasticity)).alias("__y"))
        .sort("__y")
    )
    middle = pl.col("size").cum_sum() - size / 2  # persons ranked before the family's middle member
    decile = (middle * 10 / pl.col("size").sum()).floor().cast(pl.Int32).clip(0, 9) + 1
    return (
        families.with_columns(decile.alias("decile"))
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
