"""Loading a whole table into a temporary table in one go: COPY on PostgreSQL (binary, `pgcopy`),
executemany on SQLite."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import psycopg
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import BigInteger, Boolean, Column, Connection, Date, MetaData, String, Table, Text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable, Index

from himaya.db import pgcopy

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
    if connection.dialect.name == "postgresql":
        # Binary where each column's type is the one its field is written as (others went to text columns).
        binary = all(type(dtype) in _TYPES or dtype == pl.Null for dtype in frame.schema.values())
        copy(connection, name, frame, binary=binary, progress=progress)
    else:
        for start in range(0, frame.height, BATCH):
            chunk = frame.slice(start, BATCH)
            placeholders = ", ".join("?" for _ in frame.columns)
            connection.exec_driver_sql(f"INSERT INTO {name} VALUES ({placeholders})", list(chunk.iter_rows()))
            if progress is not None:
                progress(chunk.height)
    if idx is not None:
        connection.execute(CreateIndex(idx))
    return table


def append(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert `frame`'s rows into `table`, its columns named as the frame's, inside the caller's
    transaction: COPY (in CSV) on PostgreSQL, executemany on SQLite, a batch at a time."""
    if connection.dialect.name == "postgresql":
        copy(connection, table.name, frame, binary=False)
        return
    columns = ", ".join(frame.columns)
    placeholders = ", ".join("?" for _ in frame.columns)
    statement = f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})"
    for start in range(0, frame.height, BATCH):
        connection.exec_driver_sql(statement, list(frame.slice(start, BATCH).iter_rows()))


def copy(
    connection: Connection,
    name: str,
    frame: pl.DataFrame,
    *,
    binary: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """`frame` into the PostgreSQL table `name` (the frame's columns, by name) by one COPY FROM
    STDIN, in binary (`pgcopy`; by default when every column's type allows, and the table's
    columns must then be of the types `pgcopy` writes), else in CSV (nulls are empty fields; empty
    strings cannot occur: validation drops them). The pieces are sent by a thread of psycopg's
    (`QueuedLibpqWriter`) while the next is encoded, so the server loads one while this process
    prepares the next."""
    raw = connection.connection.driver_connection
    binary = pgcopy.supported(frame) if binary is None else binary and pgcopy.supported(frame)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    statement = f"COPY {name} ({columns}) FROM STDIN (FORMAT {'binary' if binary else 'csv'})"
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        with cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as stream:
            for piece, rows in pgcopy.stream(frame, batch=BATCH) if binary else _csv(frame):
                stream.write(piece)
                if progress is not None and rows:
                    progress(rows)
    except psycopg.Error as error:  # as SQLAlchemy raises it for any other statement (IntegrityError...)
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _csv(frame: pl.DataFrame) -> Iterator[tuple[bytes, int]]:
    for start in range(0, frame.height, BATCH):
        chunk, buffer = frame.slice(start, BATCH), io.BytesIO()
        chunk.write_csv(buffer, include_header=False, null_value="", quote_style="necessary")
        yield buffer.getvalue(), chunk.height


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
