"""Loading a whole table into a temporary table in one go: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, Boolean, Column, Connection, Date, MetaData, String, Table, Text
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable, Index

BATCH = 100_000
BULK_CACHE_KIB = 256 * 1024  # SQLite's page cache while a bulk statement writes millions of index entries
_TYPES = {pl.Int64: BigInteger, pl.Boolean: Boolean, pl.Date: Date, pl.String: Text}


def staging_table(name: str, frame: pl.DataFrame, *, index: str | None = None) -> tuple[Table, Index | None]:
    """A TEMPORARY table shaped like `frame` (Int64, Boolean, Date and String columns)."""
    columns: list[Column[Any]] = [Column(c, _TYPES.get(type(frame.schema[c]), String)) for c in frame.columns]
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    return table, (Index(f"ix_{name}_{index}", table.c[index]) if index else None)


def load(
    connection: Connection,
    name: str,
    frame: pl.DataFrame,
    *,
    index: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Table:
    """Create the temporary table `name` and fill it with `frame`, inside the caller's transaction."""
    table, idx = staging_table(name, frame, index=index)
    connection.execute(DropTable(table, if_exists=True))
    connection.execute(CreateTable(table))
    for start in range(0, frame.height, BATCH):
        chunk = frame.slice(start, BATCH)
        if connection.dialect.name == "postgresql":
            _copy(connection, name, chunk)
        else:
            placeholders = ", ".join("?" for _ in frame.columns)
            connection.exec_driver_sql(f"INSERT INTO {name} VALUES ({placeholders})", list(chunk.iter_rows()))
        if progress is not None:
            progress(chunk.height)
    if idx is not None:
        connection.execute(CreateIndex(idx))
    return table


def append(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert `frame`'s rows into `table`, its columns named as the frame's, inside the caller's
    transaction: COPY on PostgreSQL, executemany on SQLite, a batch at a time."""
    columns = ", ".join(frame.columns)
    for start in range(0, frame.height, BATCH):
        chunk = frame.slice(start, BATCH)
        if connection.dialect.name == "postgresql":
            _copy(connection, f"{table.name} ({columns})", chunk)
        else:
            placeholders = ", ".join("?" for _ in frame.columns)
            statement = f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})"
            connection.exec_driver_sql(statement, list(chunk.iter_rows()))


def _copy(connection: Connection, name: str, chunk: pl.DataFrame) -> None:
    """COPY FROM STDIN in CSV; nulls are empty fields, empty strings cannot occur (validation drops them)."""
    buffer = io.BytesIO()
    chunk.write_csv(buffer, include_header=False, null_value="", quote_style="necessary")
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:  # type: ignore[union-attr]
        copy.write(buffer.getvalue())


@contextmanager
def bulk_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a page cache of 256 MB (instead of 2 MB) while inside: inserting or updating
    1.5 million rows touches their table's indexes in no particular order, and with the default
    cache each miss is a read from the file (a third of such a statement's time). Restored after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
