"""The row keys of an import, decided before anything is written: which people and families of the
file the registry knows (their row ids), which it does not (new row ids taken from the tables' own
sequences), and which rows belong to records merged into another (left alone).

Deciding them here, in one read and one allocation, lets the staging table be loaded once with
every key in it: no statement then rewrites millions of staged rows to fill a key column, and the
new people's rows go into `person` in the order of their civil numbers, so that both its indexes
grow at their end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Column, Connection, Select, Table, func, literal_column, select, text
from sqlalchemy.schema import DropTable

from himaya.db import staging
from himaya.db.frames import read_frame
from himaya.db.tables import family, person

LISTED = 1_000  # up to this many numbers, a plain IN list; beyond, a staged table to join


@dataclass(frozen=True)
class Keyed:
    frame: pl.DataFrame  # the staged rows with is_new, person_key, family_key and new_family
    skipped_merged: int  # rows of records merged into another, dropped
    known_people: int  # rows of people the registry had
    bulk: bool  # written as a bulk load (`bulk.loading`); `person` and `family` are locked against writers


def resolve(connection: Connection, staged: pl.DataFrame, *, bulk_from: int) -> Keyed:
    """`staged` (civil_number, family_number, ...) with its keys; rows of merged records dropped.

    On PostgreSQL, an import of at least `bulk_from` new people, and of at least as many as the
    registry has, is a bulk load: `person` and `family` are then locked against other writers until
    the import commits (the bulk load locks them further), which lets the new row ids be taken from
    their sequences in one step rather than one call per row."""
    people = _known(
        connection,
        staged.get_column("civil_number"),
        select(person.c.civil_number, person.c.id, person.c.merged_into),
        person.c.civil_number,
        {"civil_number": pl.String(), "person_key": pl.Int64(), "merged_into": pl.Int64()},
    )
    families = _known(
        connection,
        staged.get_column("family_number").unique(),
        select(family.c.family_number, family.c.id),
        family.c.family_number,
        {"family_number": pl.String(), "family_key": pl.Int64()},
    )
    merged = set(people.filter(pl.col("merged_into").is_not_null()).get_column("civil_number").to_list())
    frame = staged.join(people.drop("merged_into"), on="civil_number", how="left", maintain_order="left")
    if merged:
        frame = frame.filter(~pl.col("civil_number").is_in(list(merged)))
    frame = frame.with_columns(pl.col("person_key").is_null().alias("is_new"))
    new_people = frame.filter(pl.col("is_new")).get_column("civil_number").sort()
    bulk = _bulk(connection, new_people.len(), bulk_from)
    if bulk:
        connection.execute(text("LOCK TABLE person, family IN SHARE ROW EXCLUSIVE MODE"))
    given = pl.DataFrame(
        {"civil_number": new_people, "new_key": allocate(connection, person, new_people.len(), locked=bulk)}
    )
    frame = frame.join(given, on="civil_number", how="left", maintain_order="left")
    frame = frame.with_columns(pl.coalesce("person_key", "new_key").alias("person_key")).drop("new_key")
    frame = frame.join(families, on="family_number", how="left", maintain_order="left")
    new_families = frame.filter(pl.col("family_key").is_null()).get_column("family_number").unique().sort()
    numbered = pl.DataFrame(
        {"family_number": new_families, "new_family_key": allocate(connection, family, new_families.len(), locked=bulk)}
    )
    frame = frame.join(numbered, on="family_number", how="left", maintain_order="left")
    frame = frame.with_columns(
        pl.col("family_key").is_null().alias("new_family"),
        pl.coalesce("family_key", "new_family_key").alias("family_key"),
    ).drop("new_family_key")
    frame = frame.sort("person_key")  # the order the rows are written in (`person`'s, and each table's)
    return Keyed(frame, staged.height - frame.height, people.height - len(merged), bulk)


def _bulk(connection: Connection, created: int, bulk_from: int) -> bool:
    """Whether the new people are enough to write them as a bulk load: at least `bulk_from`, and at
    least as many as the registry has (rebuilding an index costs its whole table)."""
    if created < bulk_from or connection.dialect.name != "postgresql":
        return False
    return created >= connection.execute(select(func.count()).select_from(person)).scalar_one()


def allocate(connection: Connection, table: Table, count: int, *, locked: bool = False) -> pl.Series:
    """`count` new row ids for `table`: after its largest on SQLite (the import holds the database's
    write lock); from its sequence on PostgreSQL, in one step when the table is `locked` against
    other writers (nobody else draws from its sequence meanwhile), else one draw per row."""
    if count == 0:
        return pl.Series([], dtype=pl.Int64)
    if connection.dialect.name != "postgresql":
        last = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        return pl.int_range(last + 1, last + 1 + count, eager=True, dtype=pl.Int64)
    sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
    if locked:
        high = connection.execute(
            text(f"SELECT setval({sequence}, nextval({sequence}) + {int(count) - 1})")
        ).scalar_one()
        return pl.int_range(high - count + 1, high + 1, eager=True, dtype=pl.Int64)
    taken = f"SELECT nextval({sequence}) AS id FROM generate_series(1, {int(count)})"
    low, high = connection.execute(text(f"SELECT min(id), max(id) FROM ({taken}) AS taken")).one()
    if high - low + 1 == count:  # nobody else took a number meanwhile: the range is ours
        return pl.int_range(low, high + 1, eager=True, dtype=pl.Int64)
    query: Select[Any] = select(literal_column("id")).select_from(text(f"({taken}) AS taken"))
    return read_frame(connection, query, {"id": pl.Int64()}).get_column("id")


def _known(
    connection: Connection, numbers: pl.Series, query: Select[Any], key: Column[str], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of `query` (the number `key`, its row id, and more) whose number is among `numbers`,
    named and typed by `schema`."""
    table = key.table
    raw = dict(zip([c.name for c in query.selected_columns], schema.values(), strict=True))
    if connection.execute(select(literal_column("1")).select_from(table).limit(1)).first() is None:
        return pl.DataFrame(schema=schema)  # an empty table (a first import) knows nobody
    if numbers.len() <= LISTED:
        found = read_frame(connection, query.where(key.in_(numbers.to_list())), raw)
    else:
        s = staging.load(connection, f"import_{table.name}_numbers", pl.DataFrame({"number": numbers}))
        found = read_frame(connection, query.join(s, s.c.number == key), raw)
        connection.execute(DropTable(s))
    return found.rename(dict(zip(raw, schema, strict=True)))
