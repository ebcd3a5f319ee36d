"""`himaya synth --pack iraq --report`: the calibration table (published against synthetic, with
sources) and the governorates."""

from __future__ import annotations

import polars as pl
from rich.table import Table

from himaya.cli.app import out
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.iraq.generate import for_file
from himaya.synth.iraq.report import calibration_table, governorate_table

TOLERANCE = 0.15


def _shown(value: float, *, count: bool) -> str:
    return f"{value:,.0f}" if count else (f"{value:.1%}" if value < 1 else f"{value:.2f}")


def iraq_report(people: pl.DataFrame, pairs: pl.DataFrame | None, request: SynthRequest) -> None:
    assumptions = IraqAssumptions()
    pack = load_pack("iraq")
    table = validate_table(for_file(people, "parquet"), pack.schema, source="synthetic population")
    # The contract drops the household, which the poverty rate is measured on: put it back.
    table = table.join(people.select("person_id", "household_id"), on="person_id", how="left")
    scale = people.height / assumptions.population
    calibration = Table(
        title=f"Calibration of the synthetic Iraq (counts scaled by {scale:.4g}: the table's share of the census)"
    )
    for heading in ("figure", "published", "synthetic", "difference", "source"):
        calibration.add_column(heading, justify="left" if heading in ("figure", "source") else "right")
    for row in calibration_table(table, pack, scale=scale):
        style = "green" if abs(row.difference) <= TOLERANCE else "red"
        calibration.add_row(
            row.label,
            _shown(row.published, count=row.is_count),
            _shown(row.synthetic, count=row.is_count),
            f"[{style}]{row.difference:+.1%}[/{style}]",
            row.source,
        )
    out.print(calibration)
    places = Table(title="Governorates: share of persons, against the reference (CSO 2010 projections x 2024 census)")
    for heading in ("governorate", "synthetic", "reference"):
        places.add_column(heading, justify="left" if heading == "governorate" else "right")
    for g in governorate_table(people, assumptions):
        places.add_row(g.governorate, f"{g.share:.2%}", f"{g.reference_share:.2%}")
    out.print(places)
