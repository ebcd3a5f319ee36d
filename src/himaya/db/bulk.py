"""Loading millions of rows into PostgreSQL tables the way a bulk load does, inside the caller's
transaction: the tables' foreign keys and secondary indexes are dropped before the rows go in and
made again after, from their definitions as the server holds them.

Checking a foreign key as each row is inserted is a trigger and a lookup per row (and a lock on the
row it points to); maintaining an index is one insertion per row, at a random place. Made again
after the load, an index is built by one sort and a foreign key is checked by one join, which at
millions of rows is several times faster. Primary keys and unique indexes stay (the rows are
inserted in their order, so they grow at their end, and a duplicate is refused as before).

Everything happens in the caller's transaction: if anything fails, the rollback brings the
constraints and indexes back as they were, with the rows. While the transaction lasts, the tables
are locked against readers (ALTER TABLE takes an exclusive lock): this is for loads that at least
double a table (a first import of a country), not for the everyday change of a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Table, text

# A sort for an index build or a hash for a foreign key's check of millions of rows wants more
# than PostgreSQL's defaults (64 MB, 4 MB): raised for the transaction, never lowered.
MEMORY = {"maintenance_work_mem": 1024 * 1024, "work_mem": 256 * 1024}  # KiB


@contextmanager
def loading(connection: Connection, tables: Sequence[Table], *, enabled: bool = True) -> Iterator[None]:
    """Inside: `tables` without their foreign keys and secondary indexes (PostgreSQL, when
    `enabled`); on leaving normally, made again (the foreign keys checked against every row)."""
    if not enabled or connection.dialect.name != "postgresql":
        yield
        return
    _raise_memory(connection)
    names = [t.name for t in tables]
    indexes = connection.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisunique"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"tables": names},
    ).all()
    keys = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": names},
    ).all()
    for table, name, _ in keys:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for index, _ in indexes:
        connection.execute(text(f"DROP INDEX {index}"))
    yield
    for _, definition in indexes:
        connection.execute(text(definition))
    for table, name, definition in keys:
        connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def _raise_memory(connection: Connection) -> None:
    for setting, kib in MEMORY.items():
        current = connection.execute(
            text("SELECT setting::bigint FROM pg_settings WHERE name = :name"), {"name": setting}
        ).scalar_one()
        if current < kib:
            connection.execute(text(f"SET LOCAL {setting} = '{kib}kB'"))
