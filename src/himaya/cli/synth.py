"""`himaya synth`: a synthetic country (Oman, Iraq: `--pack`), calibrated to its published figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from himaya import bootstrap
from himaya.adapters.datasets import PartitionBy, names_a_folder, write_dataset
from himaya.adapters.tables import TableFormat, format_of, write_table
from himaya.cli.app import INT_MAX, PackChoice, app, date_option, err, out, reported
from himaya.cli.scale import PartsArg, partition_by
from himaya.cli.synth_careers import write_careers
from himaya.cli.synth_iraq import iraq_report
from himaya.core.errors import UsageError
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.countries import Country, country
from himaya.synth.generate import REFERENCE_DATE, SynthError, Synthetic, SynthRequest, for_file
from himaya.synth.report import age_pyramid, calibration_table


def duplicates_path(output: Path) -> Path:
    """Where the ground truth of `--duplicates` goes: beside the output, `NAME.duplicates.csv`."""
    return output.with_name(f"{output.name.split('.')[0]}.duplicates.csv")


@app.command()
def synth(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File to write, .csv or .parquet; or a dataset folder (no extension)."),
    ],
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=INT_MAX, help="Random seed: the same seed gives the same file.")
    ],
    persons: Annotated[int | None, typer.Option("--persons", min=0, max=100_000_000, help="How many persons.")] = None,
    scale: Annotated[
        float | None,
        typer.Option(
            "--scale", help="Share of the population: 1.0 is all of the country (Oman about 5.17 million, Iraq 46.1)."
        ),
    ] = None,
    governorate: Annotated[
        str | None, typer.Option("--governorate", help="Only this governorate, e.g. 'Ad Dakhiliyah'.")
    ] = None,
    duplicates: Annotated[
        float, typer.Option("--duplicates", help="Share of persons registered a second time (0 to 0.5).")
    ] = 0.0,
    as_of: Annotated[
        date, typer.Option("--as-of", parser=date_option, help="Date the ages are counted at.", metavar="YYYY-MM-DD")
    ] = REFERENCE_DATE,
    report: Annotated[
        bool, typer.Option("--report", help="Print the calibration table and the age pyramid against WPP.")
    ] = False,
    pack: PackChoice = None,
    by: Annotated[str, typer.Option("--partition-by", help="A dataset's files: by governorate or family.")] = "family",
    parts: PartsArg = 16,
    insurance: Annotated[
        bool,
        typer.Option(
            "--insurance",
            help="Also write employers and monthly declarations (careers) beside the table, in NAME.insurance/.",
        ),
    ] = False,
) -> None:
    """Generate a synthetic people table (with registry columns) that looks and behaves like the country's (--pack)."""
    with reported():
        if (persons is None) == (scale is None):
            raise UsageError("give exactly one of --persons N and --scale F")
        kind, split = _target(output, by)
        try:
            chosen = country(pack or bootstrap.settings().pack)
            if insurance and chosen.pack != "oman":
                raise UsageError(f"--insurance: the careers are calibrated to Oman's counts, not {chosen.pack}'s")
            size = persons if persons is not None else chosen.persons_at_scale(scale or 0.0, governorate)
            request = SynthRequest(persons=size, seed=seed, governorate=governorate, duplicates=duplicates, as_of=as_of)
            result = _generated(chosen, request, output, kind, split, parts)
        except SynthError as error:
            raise UsageError(str(error)) from None
        pairs = result.duplicate_pairs
        _written(result, output)
        if insurance:
            write_careers(result.people, pairs, output, seed=seed, as_of=as_of, report=report)
        if report:
            REPORTS[chosen.pack](result.people, pairs, request)


def _written(result: Synthetic, output: Path) -> None:
    pairs = result.duplicate_pairs
    note = (
        f" and {pairs.height:,} duplicate registrations (ground truth: {duplicates_path(output)})"
        if pairs is not None
        else ""
    )
    families = result.people["family_id"].n_unique()
    out.print(f"wrote {output}: {result.people.height:,} persons in {families:,} families{note}")


def _generated(
    chosen: Country, request: SynthRequest, output: Path, kind: TableFormat, split: PartitionBy | None, parts: int
) -> Synthetic:
    """The country generated and written, with a progress bar on standard error."""
    with Progress(
        TextColumn("{task.description:<22}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("synth", total=len(chosen.steps) + 1)
        result = chosen.generate(request, lambda step: bar.update(task, description=step, advance=1))
        bar.update(task, description="writing")
        _write(chosen.for_file(result.people, kind), result.duplicate_pairs, output, split, parts, request.seed)
        bar.update(task, advance=1)
    return result


def _target(output: Path, by: str) -> tuple[TableFormat, PartitionBy | None]:
    """The people's format; for a dataset folder (a name without an extension), its partition."""
    split = partition_by(by, "--partition-by")
    if names_a_folder(output):
        return "parquet", split
    kind = format_of(output)
    if kind == "json":
        raise UsageError(f"{output}: write the people table as .csv or .parquet, or a dataset folder")
    return kind, None


def _write(
    people: pl.DataFrame, pairs: pl.DataFrame | None, output: Path, split: PartitionBy | None, parts: int, seed: int
) -> None:
    if split is None:
        write_table(people, output)
    else:
        write_dataset(people, output, by=split, buckets=parts, about={"command": "synth", "seed": seed})
    if pairs is not None:
        write_table(pairs, duplicates_path(output))


def _report(people: pl.DataFrame, pairs: pl.DataFrame | None, request: SynthRequest) -> None:
    if pairs is not None:  # calibrate on the population, not on its duplicate registrations
        people = people.filter(~pl.col("person_id").is_in(pairs["duplicate_person_id"].implode()))
    pack = load_pack()
    table = validate_table(for_file(people, "parquet"), pack.schema, source="synthetic population")
    national = request.assumptions.omanis + request.assumptions.expatriates
    rows = calibration_table(table, pack, scale=people.height / national)
    calibration = Table(title="Calibration: beneficiaries in 2025-01 against the SPF's January 2025 figures (scaled)")
    for heading in ("programme", "target", "result", "difference"):
        calibration.add_column(heading, justify="left" if heading == "programme" else "right")
    for row in rows:
        style = "green" if abs(row.difference) <= 0.10 else "red"
        calibration.add_row(
            row.label, f"{row.target:,.0f}", f"{row.result:,}", f"[{style}]{row.difference:+.1%}[/{style}]"
        )
    out.print(calibration)
    if request.governorate is not None:
        out.print(
            "[dim]Targets are national figures scaled by population: a governorate differs from the nation.[/dim]"
        )
    pyramid = Table(
        title=f"Age pyramid on {request.as_of}: share of all persons, against WPP 2024 (residents, mid-2025)"
    )
    for heading in ("age", "men", "WPP men", "women", "WPP women"):
        pyramid.add_column(heading, justify="right")
    for p in age_pyramid(people, request.as_of):
        pyramid.add_row(
            p.group,
            f"{p.male_share:.2%}",
            f"{p.wpp_male_share:.2%}",
            f"{p.female_share:.2%}",
            f"{p.wpp_female_share:.2%}",
        )
    out.print(pyramid)


# Each country's `--report` (its calibration targets differ): by the pack's name.
REPORTS = {"oman": _report, "iraq": iraq_report}
