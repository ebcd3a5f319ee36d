"""Query results as Polars frames of a given schema, without a Python object per value.

Millions of rows through the database driver's Python rows cost seconds per million (a tuple and
an object per value, then Polars building columns from them). Here SQLite results come as Arrow
through ADBC (`adbc-driver-sqlite`), PostgreSQL results through COPY as CSV; either way every
column is then cast to the type the caller names, so nothing depends on a driver's guess.

A stream of committed rows on PostgreSQL (`stream_frames`) is read on a second connection of the
engine, so that the caller's connection can run other statements meanwhile (the export marks its
lines while the files are written).

ADBC's SQLite driver infers each column's type from the values of a batch: the whole result is
read as one batch (`read_frame`), or, when streamed (`stream_frames`), the query must give
every column a value of one type in every row (COALESCE). ADBC reads in a process of its own
(`arrow_reader`: the driver has its own copy of SQLite, which must not share a process with
Python's), so it sees what is committed: it may read only tables that the caller's transaction
has not written. That transaction holds SQLite's write lock from its start, so no other writer
can commit between the two.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Select

ONE_BATCH = 1 << 30  # rows per ADBC batch: the whole result, so that types are inferred from all of it


def read_frame(
    connection: Connection,
    query: Select[Any] | Sequence[Select[Any]],
    schema: dict[str, pl.DataType],
    *,
    committed: bool = False,
) -> pl.DataFrame:
    """Run `query` (its columns named as in `schema`) and return its rows typed by `schema`; given
    several queries (parts of one result), their rows one after the other.

    `committed`: the query reads no table that the caller's transaction has written, and no
    temporary table, so that on SQLite other processes (ADBC) may read it, the parts at once."""
    queries = [query] if isinstance(query, Select) else list(query)
    database = _sqlite_file(connection) if committed else None
    if database is not None:
        started = [_start(database, _sql(connection, q), ONE_BATCH) for q in queries]  # all running at once
        return _typed(pl.concat([f for s in started for f in _receive(*s)], how="vertical_relaxed"), schema)
    if connection.dialect.name == "postgresql":
        return pl.concat([_typed(_copy_out(connection, _sql(connection, q), list(schema)), schema) for q in queries])
    return pl.concat(
        [pl.DataFrame(connection.execute(q).all(), schema=schema, orient="row") for q in queries], how="vertical"
    )


def stream_frames(
    connection: Connection, query: Select[Any], schema: dict[str, pl.DataType], *, rows: int, committed: bool = False
) -> Iterator[pl.DataFrame]:
    """`query`'s rows in frames of at most `rows` rows, typed by `schema`, holding one at a time.

    `committed` as for `read_frame`; then on SQLite every column of `query` must have a non-null
    value of one type in every row."""
    database = _sqlite_file(connection) if committed else None
    if database is not None:
        for frame in _adbc(database, _sql(connection, query), rows):
            yield _typed(frame, schema)
        return
    if committed and connection.dialect.name == "postgresql":
        # What is committed, read on a connection of its own (one COPY), so that this one is free
        # for other statements meanwhile (`frames_elsewhere`); the result is held whole, then sliced.
        with connection.engine.connect() as elsewhere:
            whole = _typed(_copy_out(elsewhere, _sql(elsewhere, query), list(schema)), schema)
        yield from whole.iter_slices(rows)
        return
    result = connection.execute(query, execution_options={"stream_results": True, "yield_per": rows})
    for chunk in result.partitions(rows):
        yield pl.DataFrame(chunk, schema=schema, orient="row")


def frames_elsewhere(connection: Connection) -> bool:
    """Whether `committed` reads on this connection happen in other processes (SQLite files), so
    that the connection is free for other statements while their frames stream in."""
    return _sqlite_file(connection) is not None


def streams_elsewhere(connection: Connection) -> bool:
    """Whether `stream_frames(committed=True)` reads elsewhere than on this connection: in other
    processes (SQLite files, `frames_elsewhere`) or on a connection of its own (PostgreSQL)."""
    return frames_elsewhere(connection) or connection.dialect.name == "postgresql"


def _sqlite_file(connection: Connection) -> str | None:
    """The SQLite database file, or None (another database, or SQLite in memory)."""
    if connection.dialect.name != "sqlite":
        return None
    database = connection.engine.url.database
    return database if database and database != ":memory:" and not database.startswith("file:") else None


def _sql(connection: Connection, query: Select[Any]) -> str:
    return str(query.compile(connection, compile_kwargs={"literal_binds": True}))


def _adbc(database: str, sql: str, rows: int) -> Iterator[pl.DataFrame]:
    yield from _receive(*_start(database, sql, rows))


def _start(database: str, sql: str, rows: int) -> tuple[subprocess.Popen[bytes], IO[bytes], str]:
    """A process reading `sql` with ADBC (see `arrow_reader`); its stream is read by `_receive`."""
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed by `_receive`)
    process = subprocess.Popen(
        [sys.executable, "-m", "himaya.db.arrow_reader", database, str(rows)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    assert process.stdin is not None
    process.stdin.write(sql.encode())
    process.stdin.close()
    return process, errors, database


def _receive(process: subprocess.Popen[bytes], errors: IO[bytes], database: str) -> Iterator[pl.DataFrame]:
    """The frames of a process started by `_start`, as they arrive."""
    assert process.stdout is not None
    try:
        try:
            stream = pa.ipc.open_stream(process.stdout)
            empty = True
            for batch in stream:
                if batch.num_rows:
                    empty = False
                    yield pl.DataFrame(pa.Table.from_batches([batch]))
            if empty:
                yield pl.DataFrame(schema=dict.fromkeys(stream.schema.names, pl.String))
        except pa.ArrowInvalid:
            pass  # the reader failed before writing its stream: its message follows
        if process.wait() != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"reading {database} with ADBC failed: {message[-1] if message else process.returncode}")
    finally:  # also when the caller stops reading early
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        errors.close()


def _copy_out(connection: Connection, sql: str, names: list[str]) -> pl.DataFrame:
    """Every column as text, through COPY ... TO STDOUT (CSV: an empty field is NULL)."""
    buffer = io.BytesIO()
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:  # type: ignore[union-attr]
        for block in copy:
            buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=names, infer_schema=False)


def _typed(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`frame` with each column cast (strictly) to its type in `schema`, whatever type it came as."""
    return frame.select(_cast(pl.col(name), frame.schema[name], dtype).alias(name) for name, dtype in schema.items())


def _cast(column: pl.Expr, given: pl.DataType, wanted: pl.DataType) -> pl.Expr:
    if given == wanted:
        return column
    if wanted == pl.Date:
        return column.cast(pl.String).str.to_date("%Y-%m-%d")
    if wanted == pl.Boolean:
        if given == pl.String:  # PostgreSQL's text form
            return column.replace_strict({"t": True, "f": False}, default=None, return_dtype=pl.Boolean)
        return column.cast(pl.Int8).cast(pl.Boolean)  # SQLite stores 0 and 1
    return column.cast(wanted)
