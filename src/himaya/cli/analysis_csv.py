"""The tables of `himaya simulate --output DIR` as CSV files for a spreadsheet."""

from __future__ import annotations

import polars as pl

from himaya.analysis.simulate import Simulation


def _omr_column(baisa: pl.Expr) -> pl.Expr:
    """Baisa as an exact OMR amount with 3 decimals (a Decimal, written 1234.500 in CSV)."""
    return (baisa.cast(pl.Decimal(38, 0)) / 1000).cast(pl.Decimal(38, 3))


def simulation_csv(result: Simulation) -> dict[str, pl.DataFrame]:
    """The simulation's tables for a spreadsheet, one file each: money in OMR to the baisa."""
    programmes = result.programmes.select(
        "programme",
        "name_en",
        "name_ar",
        "baseline_recipients",
        "reform_recipients",
        *[
            _omr_column(factor * pl.col(f"{state}_monthly_baisa")).alias(f"{state}_{period}_omr")
            for period, factor in (("monthly", 1), ("annual", 12))
            for state in ("baseline", "reform")
        ],
        _omr_column(12 * (pl.col("reform_monthly_baisa") - pl.col("baseline_monthly_baisa"))).alias(
            "annual_change_omr"
        ),
    )
    deciles = result.deciles.with_columns(
        _omr_column(pl.col(c)).alias(c.replace("_baisa", "_omr"))
        for c in result.deciles.columns
        if c.endswith("_baisa")
    ).drop(c for c in result.deciles.columns if c.endswith("_baisa"))
    tables = {
        "simulation-programmes.csv": programmes,
        "simulation-coverage.csv": result.coverage,
        "simulation-deciles.csv": deciles,
    }
    if result.governorates is not None:
        places = result.governorates
        tables["simulation-governorates.csv"] = places.with_columns(
            _omr_column(pl.col(c)).alias(c.replace("_baisa", "_omr")) for c in places.columns if c.endswith("_baisa")
        ).drop(c for c in places.columns if c.endswith("_baisa"))
    return tables
