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
    """Poverty of the persons in `frame` (columns `size` and the family's `income` in baisa a month)."""
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

    Persons are ranked by that income (a family's members together); each decile holds a tenth of
    them. A person gains when their family's transfers are higher under the reform. Amounts are
    baisa a month per person (the family's transfers shared equally among its members).
    """
    ranked = frame.with_columns(
        (pl.col(before).cast(pl.Float64) / pl.col("size").cast(pl.Float64).pow(elasticity)).alias("__y")
    ).sort("__y", "family_id")
    per_person = 1 / pl.col("size").cast(pl.Float64)
    return (
        ranked.with_columns(
            (pl.int_range(0, pl.len(), dtype=pl.Int64) * 10 // pl.len() + 1).cast(pl.Int32).alias("decile")
        )
        .group_by("decile")
        .agg(
            pl.len().alias("persons"),
            (pl.col(baseline) * per_person).mean().alias("baseline_baisa"),
            (pl.col(reform) * per_person).mean().alias("reform_baisa"),
            ((pl.col(reform) - pl.col(baseline)) * per_person).mean().alias("change_baisa"),
            (pl.col(reform) > pl.col(baseline)).mean().alias("gainers"),
            (pl.col(reform) < pl.col(baseline)).mean().alias("losers"),
        )
        .sort("decile")
        .collect()
    )
