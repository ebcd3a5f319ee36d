"""Loading millions of rows into PostgreSQL tables the way a bulk load does, inside the caller's
transaction: the tables' foreign keys and secondary indexes are dropped before the rows go in and
made again after, from their definitions as the server holds them.

Checking a foreign key as each row is inserted is a trigger and a lookup per row (and a lock on the
row it points to); maintaining an index is one insertion per row, at a random place. Made again
after the load, an index is built by one sort and a foreign key is checked by one join, which at
millions of rows is several times faster. The same for primary keys and unique constraints, but
those a foreign key points to (`person`'s and `family`'s row ids), which stay: each is added again
as the constraint it was, its index built by one sort that refuses a duplicate (the whole load then
rolls back), where keeping it checked every row's uniqueness as it went in.

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
# than PostgreSQL's defaults (64 MB, 4 MB): raised for the transaction, never lowered. A key's check
# hashes every id of the table it points to (5.2 million people: about 270 MB, in one batch at 1 GB).
MEMORY = {"maintenance_work_mem": 1024 * 1024, "work_mem": 1024 * 1024}  # KiB


@contextmanager
def loading(connection: Connection, tables: Sequence[Table], *, enabled: bool = True) -> Iterator[None]:
    """Inside: `tables` without their foreign keys and secondary indexes (PostgreSQL, when
    `enabled`); on leaving normally, made again (the foreign keys checked against every row)."""
    if not enabled or connection.dialect.name != "postgresql":
        yield
        return
    raise_memory(connection)
    # The checks' joins are planned once each and run once: compiling them (JIT) costs about a
    # second apiece and saves nothing on a single pass over the rows.
    connection.execute(text("SET LOCAL jit = off"))
    names = [t.name for t in tables]
    indexes = connection.execute(_INDEXES, {"tables": names}).all()
    keys = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": names},
    ).all()
    for table, name, _ in keys:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for index, _, table, constraint, _ in indexes:
        dropped = f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"' if constraint else f"DROP INDEX {index}"
        connection.execute(text(dropped))
    yield
    for _, definition, table, constraint, made in indexes:
        connection.execute(
            text(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {made}' if constraint else definition)
        )
    for table, name, definition in keys:
        connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


# The indexes a bulk load drops and builds again: every index of the tables but those a foreign key
# points to (another table's rows depend on them, e.g. `person`'s primary key) and those of other
# constraints (exclusion). A primary key or unique constraint is dropped and added again as the
# constraint it was (its index built by one sort, every row checked: a duplicate is refused then).
_INDEXES = text(
    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text,"
    " c.conname, pg_get_constraintdef(c.oid) FROM pg_index i"
    " LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')"
    " WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.conrelid = i.indrelid"
    " AND x.contype NOT IN ('p', 'u'))"
    " ORDER BY i.indexrelid"
)


def raise_memory(connection: Connection) -> None:
    """`MEMORY` for the rest of the transaction, where the server's settings give less."""
    for setting, kib in MEMORY.items():
        current = connection.execute(
            text("SELECT setting::bigint FROM pg_settings WHERE name = :name"), {"name": setting}
        ).scalar_one()
        if current < kib:
            connection.execute(text(f"SET LOCAL {setting} = '{kib}kB'"))
