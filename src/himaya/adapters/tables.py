"""Table files in and out: CSV (UTF-8, header row), Parquet and JSON, chosen by extension.

CSV is read with every column as text, so that the contract's own rules (not a type guesser)
decide what a value means; Parquet keeps its stored types, which the validation accepts too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import polars as pl

from himaya.core.errors import UsageError

TableFormat = Literal["csv", "parquet", "json"]
FORMATS: tuple[TableFormat, ...] = ("csv", "parquet", "json")


def format_of(path: Path) -> TableFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "pq":
        return "parquet"
    if suffix not in FORMATS:
        raise UsageError(
            f"{path}: cannot tell the format from the extension {path.suffix!r} (use .csv, .parquet or .json)"
        )
    return suffix


def read_table(path: Path) -> pl.DataFrame:
    """A CSV file (all columns as text) or a Parquet file (stored types)."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    kind = format_of(path)
    try:
        if kind == "csv":
            return pl.read_csv(path, infer_schema=False, encoding="utf8")
        if kind == "parquet":
            return pl.read_parquet(path)
    except (pl.exceptions.ComputeError, OSError) as error:
        raise UsageError(f"{path}: cannot be read as {kind}: {error}") from None
    raise UsageError(f"{path}: people tables are read from CSV or Parquet, not {kind}")


def write_table(frame: pl.DataFrame, path: Path | None, *, kind: TableFormat | None = None) -> None:
    """Write to `path` (format from `kind`, else the extension) or, without a path, CSV to stdout.

    The file is written beside its target and renamed into place, so a reader never sees half a file.
    """
    if path is None:
        if kind not in (None, "csv"):
            raise UsageError(f"{kind} output needs --output FILE")
        sys.stdout.write(frame.write_csv())
        return
    kind = kind or format_of(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if kind == "csv":
            frame.write_csv(partial)
        elif kind == "parquet":
            frame.write_parquet(partial)
        else:
            frame.write_json(partial)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot be written ({error.strerror})") from None
