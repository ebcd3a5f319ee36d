"""The `person` and `family` rows of an import (`registry_import`): the new ones with the ids
`registry_keys` gave them, by binary COPY on PostgreSQL; the changed people's static columns."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table, insert, literal, or_, select, update

from himaya.db import staging
from himaya.db.registry_facts import COUNTED
from himaya.db.snapshot import NAME_COLUMNS
from himaya.db.tables import family, person

STATIC = (*NAME_COLUMNS, "sex", "birth_date", "death_date", "nationality", "governorate", "wilayat", "mobile")


def write_people(connection: Connection, s: Table, keyed: pl.DataFrame, stamp: datetime) -> None:
    """The new people, with the row ids `registry_keys` gave them (in their order), then the
    changed ones. On PostgreSQL the new rows are copied straight into `person` (binary COPY)."""
    if connection.dialect.name == "postgresql":
        new = keyed.filter(pl.col("is_new")).select(
            pl.col("person_key").alias("id"),
            "civil_number",
            *STATIC,
            pl.lit(1, pl.Int32).alias("version"),
            pl.lit(stamp).alias("created_at"),
            pl.lit(stamp).alias("updated_at"),
        )
        staging.copy(connection, person.name, new)
    else:
        chosen = select(
            s.c.person_key, s.c.civil_number, *(s.c[c] for c in STATIC), literal(1), literal(stamp), literal(stamp)
        )
        columns = ["id", "civil_number", *STATIC, "version", "created_at", "updated_at"]
        connection.execute(insert(person).from_select(columns, chosen.where(s.c.is_new).order_by(s.c.person_key)))
    differs = or_(*(person.c[c].is_distinct_from(s.c[c]) for c in STATIC))
    connection.execute(
        update(person)
        .where(person.c.id == s.c.person_key, ~s.c.is_new, differs)
        .values({**{c: s.c[c] for c in STATIC}, "version": person.c.version + 1, "updated_at": stamp})
    )


def write_families(connection: Connection, s: Table, keyed: pl.DataFrame, stamp: datetime) -> int:
    """The new families, with the row ids `registry_keys` gave them; on PostgreSQL by binary COPY."""
    if connection.dialect.name == "postgresql":
        new = (
            keyed.filter(pl.col("new_family"))
            .select(pl.col("family_key").alias("id"), "family_number")
            .unique("id")
            .sort("id")
            .with_columns(pl.lit(stamp).alias("created_at"))
        )
        staging.copy(connection, family.name, new)
        return new.height
    new_families = select(s.c.family_key, s.c.family_number).where(s.c.new_family).distinct().subquery()
    result = connection.execute(
        insert(family).from_select(
            ["id", "family_number", "created_at"],
            select(new_families.c.family_key, new_families.c.family_number, literal(stamp)).order_by(
                new_families.c.family_key
            ),
        ),
        execution_options=COUNTED,
    )
    return int(result.rowcount or 0)
