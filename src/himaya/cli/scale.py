"""`himaya partition`: a people table made a dataset, a folder of Parquet files by governorate or
family hash, that `himaya entitlements` runs file by file, on a Dask cluster if asked (docs/scale.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from himaya.adapters.datasets import PARTITIONS, PartitionBy, overlaps, write_dataset
from himaya.adapters.tables import read_table
from himaya.cli.app import app, out, reported
from himaya.core.errors import UsageError

PartitionArg = Annotated[
    str,
    typer.Option(
        "--by", help="governorate (a folder per governorate) or family (families spread by a hash of family_id)."
    ),
]
PartsArg = Annotated[
    int, typer.Option("--parts", min=1, max=100_000, help="Partitioned by family: how many files (hash buckets).")
]


def partition_by(text: str, option: str = "--by") -> PartitionBy:
    for name in PARTITIONS:
        if text == name:
            return name
    raise UsageError(f"{option} must be one of {', '.join(PARTITIONS)}, not {text!r}")


@app.command()
def partition(
    people: Annotated[Path, typer.Argument(help="People table: CSV, Excel or Parquet.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The dataset folder to write.")],
    by: PartitionArg = "family",
    parts: PartsArg = 16,
) -> None:
    """Split a people table into a dataset: Parquet files of whole families, by governorate or family hash."""
    with reported():
        chosen = partition_by(by)
        if overlaps(people, output):  # the folder written would replace the file being split
            raise UsageError(f"{output}: the output folder is {people} or holds it: name another")
        table = read_table(people)
        if "family_id" not in table.columns:
            raise UsageError(f"{people}: has no family_id column: a dataset keeps each family in one file")
        files = write_dataset(table, output, by=chosen, buckets=parts, about={"command": "partition"})
        out.print(f"wrote {output}: {table.height:,} rows in {files:,} files, by {chosen}")
