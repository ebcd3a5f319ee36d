"""Table files in and out: CSV (UTF-8, header row), Parquet and JSON, chosen by extension; Excel
workbooks in.

CSV is read with every column as text, so that the contract's own rules (not a type guesser)
decide what a value means; Parquet keeps its stored types, which the validation accepts too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import polars as pl

from himaya.core.errors import UsageError

TableFormat = Literal["csv", "parquet", "json"]
FORMATS: tuple[TableFormat, ...] = ("csv", "parquet", "json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")  # read only: what a ministry hands over


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
    """A CSV file or an Excel workbook's first sheet (all columns as text) or a Parquet file (stored types).

    A CSV file is UTF-8 with a header row, its columns separated by commas (or, as some spreadsheets
    save it, by semicolons or tabs: told by the header line). Anything else is refused with what to
    do about it, never a traceback.
    """
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file: name the table file in it")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return read_excel(path)
    kind = format_of(path)
    if kind == "json":
        raise UsageError(f"{path}: people tables are read from CSV, Excel (.xlsx) or Parquet, not {kind}")
    if path.stat().st_size == 0:
        raise UsageError(f"{path}: the file is empty (0 bytes): a table needs a header row, then one row per person")
    try:
        if kind == "parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema=False, encoding="utf8", separator=_separator(path))
    except pl.exceptions.NoDataError:
        raise UsageError(f"{path}: the file has no header row: a table needs one, then one row per person") from None
    except (pl.exceptions.ComputeError, OSError) as error:
        if kind == "csv" and "utf-8" in str(error).lower():
            raise UsageError(_not_utf8(path)) from None
        raise UsageError(f"{path}: cannot be read as {kind}: {error}") from None


def read_rows(path: Path) -> pl.DataFrame:
    """A table as `read_table` reads it, or a JSON file holding an array of flat objects, one a row
    (a declaration as a partner system sends it). JSON numbers are kept as written (450.125 stays
    '450.125', never a binary float), every value becomes text, null an empty cell, and the
    contract's own rules then decide what each means."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return read_table(path)
    return rows_from_json(path.read_bytes(), str(path))


def rows_from_json(data: bytes, source: str) -> pl.DataFrame:
    """A JSON array of flat objects, one a row, as `read_rows` reads a .json file (`source` names it
    in errors: a file, or a request's body)."""
    try:
        document = json.loads(data, parse_float=str, parse_int=str)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{source}: is not valid JSON (UTF-8): {error}") from None
    if not isinstance(document, list) or not all(isinstance(row, dict) for row in document):
        raise UsageError(f'{source}: must hold a JSON array of objects, one a row, e.g. [{{"civil_number": ...}}]')
    if not document:
        raise UsageError(f"{source}: the array is empty: a table needs at least one row")
    columns = list(dict.fromkeys(key for row in document for key in row))
    for number, row in enumerate(document, start=1):
        for key, value in row.items():
            if isinstance(value, list | dict):
                kind = "an array" if isinstance(value, list) else "an object"
                raise UsageError(f"{source}: row {number}, key {key!r}: a value must be text or a number, not {kind}")
    return pl.DataFrame(
        {name: [_cell(row.get(name)) for row in document] for name in columns},
        schema=dict.fromkeys(columns, pl.String),
    )


def rows_from_csv(data: bytes, source: str) -> pl.DataFrame:
    """CSV text (UTF-8, a header row; commas, or semicolons or tabs as the header shows), every
    column as text, as `read_table` reads a .csv file (`source` names it in errors)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"{source}: is not UTF-8 text (byte {error.start}): send CSV encoded as UTF-8") from None
    header = text.split("\n", 1)[0]
    separator = next((c for c in (";", "\t") if "," not in header and c in header), ",")
    try:
        return pl.read_csv(text.encode(), infer_schema=False, encoding="utf8", separator=separator)
    except pl.exceptions.NoDataError:
        raise UsageError(f"{source}: is empty: a table needs a header row, then one row per line") from None
    except (pl.exceptions.PolarsError, ValueError) as error:  # a malformed line, two columns of one name, ...
        raise UsageError(f"{source}: cannot be read as CSV: {error}") from None


def _cell(value: object) -> str | None:
    """A JSON value as a CSV cell would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _separator(path: Path) -> str:
    """',' unless the header line has none and has ';' or a tab (Excel's CSV in many locales)."""
    with path.open("rb") as file:
        header = file.readline(1 << 16)
    if b"," not in header:
        for separator in (b";", b"\t"):
            if separator in header:
                return separator.decode()
    return ","


def _not_utf8(path: Path) -> str:
    """Where the file stops being UTF-8, and how to save it as UTF-8 (only on this error path)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        where = ""
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        where = f" (line {line}, byte {error.start}: 0x{data[error.start]:02x})"
    try:
        data.decode("cp1256")
        guess = ", probably Windows-1256 (Arabic Windows)"
    except UnicodeDecodeError:
        guess = ""
    return (
        f"{path}: is not UTF-8 text{where}{guess}. Save it as UTF-8: in Excel, Save As 'CSV UTF-8 (comma "
        f"delimited)'; or convert it: iconv -f WINDOWS-1256 -t UTF-8 {path.name} > {path.stem}-utf8.csv"
    )


def read_excel(path: Path) -> pl.DataFrame:
    """The first sheet of an Excel workbook, every cell as text, dates as YYYY-MM-DD: the same
    validation as a CSV file then decides what a value means."""
    import fastexcel  # noqa: PLC0415  (only a workbook needs it: every other command starts faster without)

    try:
        workbook = fastexcel.read_excel(path)
        if not workbook.sheet_names:
            raise UsageError(f"{path}: the workbook has no sheet")
        sheet = workbook.load_sheet(0, dtypes="string")
        frame = pl.from_arrow(sheet.to_arrow())
    except fastexcel.FastExcelError as error:
        raise UsageError(f"{path}: cannot be read as an Excel workbook (.xlsx): {error}") from None
    assert isinstance(frame, pl.DataFrame)
    if not frame.columns:
        raise UsageError(f"{path}: the first sheet is empty: a table needs a header row, then one row per person")
    # A date cell comes as a date-time at midnight; the contract's dates are YYYY-MM-DD.
    midnight = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]00:00:00$"
    return frame.with_columns(pl.col(pl.String).str.replace(midnight, "$1"))


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
