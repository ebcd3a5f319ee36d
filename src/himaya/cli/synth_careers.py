"""`himaya synth --insurance`: the careers of the synthetic people, written beside the table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from rich.table import Table

from himaya.adapters.tables import write_table
from himaya.cli.app import out
from himaya.core.errors import UsageError
from himaya.synth.assumptions import Assumptions
from himaya.synth.career_report import calibration, declaration_files, note
from himaya.synth.careers import careers


def insurance_path(output: Path) -> Path:
    """Where the careers go: beside the output, `NAME.insurance/`."""
    return output.with_name(f"{output.name.split('.')[0]}.insurance")


def write_careers(
    people: pl.DataFrame, pairs: pl.DataFrame | None, output: Path, *, seed: int, as_of: date, report: bool
) -> None:
    """Employers, a batch declaration a month and the note citing the counts, in `NAME.insurance/`."""
    if pairs is not None:  # a duplicate registration has no career of its own
        people = people.filter(~pl.col("person_id").is_in(pairs["duplicate_person_id"].implode()))
    try:
        made = careers(people, seed=seed, as_of=as_of)
    except ValueError as error:
        raise UsageError(str(error)) from None
    folder = insurance_path(output)
    (folder / "declarations").mkdir(parents=True, exist_ok=True)
    write_table(made.employers, folder / "employers.csv")
    files = declaration_files(made)
    for month, lines in files.items():
        write_table(lines, folder / "declarations" / f"{month}.csv")
    national = Assumptions().omanis + Assumptions().expatriates
    rows = calibration(people, made, scale=people.height / national)
    (folder / "README.md").write_text(note(rows, made, seed=seed, as_of=as_of), encoding="utf-8")
    out.print(
        f"wrote {folder}: {made.employers.height:,} employers, {len(files)} monthly declarations"
        f" ({made.lines.height:,} lines) and README.md with the counts they are calibrated against"
    )
    if report:
        table = Table(title="Careers: the last month's insured persons against the published counts (scaled)")
        for heading in ("count", "target", "result", "difference"):
            table.add_column(heading, justify="left" if heading == "count" else "right")
        for row in rows:
            style = "green" if abs(row.difference) <= 0.10 else "red"
            difference = f"[{style}]{row.difference:+.1%}[/{style}]"
            table.add_row(row.label, row.shown(row.target), row.shown(row.result), difference)
        out.print(table)
