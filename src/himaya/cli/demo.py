"""`himaya demo`: the main job, end to end, on a synthetic population."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from himaya import bootstrap
from himaya.adapters.tables import write_table
from himaya.cli.app import PeriodArg, app, out, reported
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.explain import explain, render
from himaya.policy.pack import Programme
from himaya.policy.packs import load_pack
from himaya.synth.generate import SynthRequest, for_file, generate

EXAMPLE = Path(__file__).resolve().parents[1] / "policy" / "packs" / "oman" / "examples" / "people.csv"
DEMO_SEED = 2025


@app.command()
def demo(
    period: PeriodArg = Period(2026, 1),
    persons: Annotated[int, typer.Option("--persons", help="Size of the synthetic population.")] = 20_000,
    people: Annotated[
        Path | None, typer.Option("--people", help="Use this people table instead of a synthetic one.")
    ] = None,
) -> None:
    """Build a synthetic population, compute the month's entitlements, and explain one family."""
    with reported():
        pack = load_pack()
        with tempfile.TemporaryDirectory(prefix="himaya-demo-") as folder:
            if people is None:
                people = Path(folder) / "people.parquet"
                synthetic = generate(SynthRequest(persons=persons, seed=DEMO_SEED)).people
                write_table(for_file(synthetic, "parquet"), people)
                out.print(
                    f"[bold]1.[/bold] A synthetic Oman of {synthetic.height:,} persons in "
                    f"{synthetic['family_id'].n_unique():,} families "
                    f"(himaya synth --persons {persons} --seed {DEMO_SEED} --output people.parquet)"
                )
            else:
                out.print(f"[bold]1.[/bold] The people table {people}")
            table = bootstrap.load_people(people, pack)
        result = entitlements(table, pack, pack.parameters, period)
        out.print(f"[bold]2.[/bold] Entitlements for {period} (himaya entitlements ... --period {period})")
        out.print(_totals(result, pack.programmes))
        supported = result.filter(pl.col("programme") == "family_income_support")
        family = str(supported["family_id"][0] if supported.height else table["family_id"][0])
        out.print(f"[bold]3.[/bold] Why family {family} gets what it gets (himaya explain ... --family {family}):\n")
        out.print(render(explain(table, pack, pack.parameters, period, family_id=family), "en"), markup=False)


def _totals(result: pl.DataFrame, programmes: tuple[Programme, ...]) -> Table:
    summary = (
        result.with_columns(baisa=pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64))
        .group_by("programme")
        .agg(recipients=pl.len(), baisa=pl.col("baisa").sum())
    )
    by_key = {row["programme"]: row for row in summary.to_dicts()}
    totals = Table()
    for heading, justify in (
        ("programme", "left"),
        ("name", "left"),
        ("recipients", "right"),
        ("amount (OMR)", "right"),
    ):
        totals.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for programme in programmes:
        row = by_key.get(programme.key, {"recipients": 0, "baisa": 0})
        totals.add_row(
            programme.key,
            f"{programme.name.en} / {programme.name.ar}",
            f"{row['recipients']:,}",
            format_omr(int(row["baisa"]), grouped=True),
        )
    totals.add_row(
        "total", "", f"{result.height:,}", format_omr(int(summary["baisa"].sum()), grouped=True), style="bold"
    )
    return totals
