"""Connecting to the store: an SQLite file by default, PostgreSQL when the settings say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from himaya.core.errors import UsageError

URL_VARIABLE = "HIMAYA_DATABASE_URL"
READING = "himaya_reading"  # a connection's execution option: its transactions only read (`reading`)


def default_url(name: str = "himaya", configured: str | None = None) -> str:
    """`configured` (the setting HIMAYA_DATABASE_URL), or the SQLite file `NAME.db` in the user's data folder."""
    if configured:
        return configured
    folder = Path(platformdirs.user_data_dir("himaya"))
    return f"sqlite:///{folder / f'{name}.db'}"


SQLITE_WAIT_SECONDS = 30.0  # how long a write waits for another's before "database is locked"


def connect(url: str | None = None, *, service: bool = False) -> Engine:
    """An engine for `url` (default: the SQLite file of `default_url()`); PostgreSQL URLs use psycopg 3.

    `service`: for a long-running server with many short requests: a larger pool, and no ping
    before each use (a round trip per request); a connection the server dropped is found by the
    error it raises, which empties the pool, so only the request that met it fails."""
    text = url or default_url()
    try:
        parsed = make_url(text)
    except Exception:
        raise UsageError(f"{URL_VARIABLE}: {text!r} is not a database URL") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_WAIT_SECONDS})
        _sqlite_pragmas(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise UsageError(f"{URL_VARIABLE}: only SQLite and PostgreSQL are supported, not {parsed.get_backend_name()}")
    if service:
        return create_engine(parsed, pool_size=12, max_overflow=8, pool_recycle=1800)
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_pragmas(engine: Engine) -> None:
    """Foreign keys on; WAL so readers do not block the writer; and transactions that take the
    write lock when they begin, so that two writers queue instead of failing half-way (the audit
    chain reads its last hash and appends in one transaction). A connection made by `reading`
    begins a plain (deferred) transaction: it reads a snapshot and never waits for the writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READING) else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Connection:
    """A connection for reads only. On SQLite every other transaction takes the database's write
    lock as it begins, so a read on a plain connection queues behind every writer and every other
    such read (a served request's check of its token did, and the branch inbox read its page under
    the lock: bench/cases.py). A write on this connection would have to take the lock half-way,
    which fails at once when another writer committed since the read began: never write on it."""
    return engine.connect().execution_options(**{READING: True})
