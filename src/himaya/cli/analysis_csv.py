"""The tables of `himaya simulate --output DIR` as CSV files for a spreadsheet."""

from __future__ import annotations

import polars as pl

from himaya.analysis.simulate import Simulation


def simulation_csv(result: Simulation) -> dict[str, pl.DataFrame]:
    """The simulation's tables for a spreadsheet, one file each: money in the pack's currency, exact
    to its smallest unit (columns `_omr` for Oman, `_iqd` for Iraq)."""
    money = result.currency
    code = money.code.lower()

    def _money(amount: pl.Expr) -> pl.Expr:
        """An exact amount with the currency's decimals (a Decimal, written 1234.500 in CSV for OMR)."""
        return (amount.cast(pl.Decimal(38, 0)) / money.per_unit).cast(pl.Decimal(38, money.decimals))

    programmes = result.programmes.select(
        "programme",
        "name_en",
        "name_ar",
        "baseline_recipients",
        "reform_recipients",
        *[
            _money(factor * pl.col(f"{state}_monthly_baisa")).alias(f"{state}_{period}_{code}")
            for period, factor in (("monthly", 1), ("annual", 12))
            for state in ("baseline", "reform")
        ],
        _money(12 * (pl.col("reform_monthly_baisa") - pl.col("baseline_monthly_baisa"))).alias(f"annual_change_{code}"),
    )
    deciles = result.deciles.with_columns(
        _money(pl.col(c)).alias(c.replace("_baisa", f"_{code}")) for c in result.deciles.columns if c.endswith("_baisa")
    ).drop(c for c in result.deciles.columns if c.endswith("_baisa"))
    tables = {
        "simulation-programmes.csv": programmes,
        "simulation-coverage.csv": result.coverage,
        "simulation-deciles.csv": deciles,
    }
    if result.targeting is not None:
        tables["simulation-targeting.csv"] = result.targeting
    if result.governorates is not None:
        places = result.governorates
        tables["simulation-governorates.csv"] = places.with_columns(
            _money(pl.col(c)).alias(c.replace("_baisa", f"_{code}")) for c in places.columns if c.endswith("_baisa")
        ).drop(c for c in places.columns if c.endswith("_baisa"))
    return tables
