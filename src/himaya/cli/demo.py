"""`himaya demo`: the main job on a small people table, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from himaya import bootstrap
from himaya.cli.app import PeriodArg, app, out, reported
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.explain import explain, render
from himaya.policy.packs import load_pack

EXAMPLE = Path(__file__).resolve().parents[1] / "policy" / "packs" / "oman" / "examples" / "people.csv"


@app.command()
def demo(
    period: PeriodArg = Period(2026, 1),
    people: Annotated[
        Path, typer.Option("--people", help="People table to use instead of the bundled example.")
    ] = EXAMPLE,
) -> None:
    """Run the month's entitlements on a small people table and show totals and one explanation."""
    with reported():
        pack = load_pack()
        table = bootstrap.load_people(people, pack)
        result = entitlements(table, pack, pack.parameters, period)
        out.print(
            f"[bold]Himaya demo[/bold] — {pack.title.en}, period {period}: {table.height} persons in "
            f"{table['family_id'].n_unique()} families, from {people}"
        )
        summary = (
            result.with_columns(baisa=pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64))
            .group_by("programme")
            .agg(recipients=pl.len(), baisa=pl.col("baisa").sum())
        )
        totals = Table(title=f"Entitlements for {period}")
        for heading, justify in (
            ("programme", "left"),
            ("name", "left"),
            ("recipients", "right"),
            ("amount (OMR)", "right"),
        ):
            totals.add_column(heading, justify=justify)  # type: ignore[arg-type]
        by_key = {row["programme"]: row for row in summary.to_dicts()}
        for programme in pack.programmes:
            row = by_key.get(programme.key, {"recipients": 0, "baisa": 0})
            totals.add_row(
                programme.key,
                f"{programme.name.en} / {programme.name.ar}",
                f"{row['recipients']:,}",
                format_omr(int(row["baisa"])),
            )
        totals.add_row("total", "", f"{result.height:,}", format_omr(int(summary["baisa"].sum())), style="bold")
        out.print(totals)
        sample = str(table["family_id"][0])
        out.print(f"\nWhy family {sample} gets what it gets (himaya explain ... --family {sample}):\n")
        out.print(render(explain(table, pack, pack.parameters, period, family_id=sample), "en"), markup=False)
