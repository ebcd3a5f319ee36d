"""Keeping the name index (`name_token`) in step with the people's names, set-based: the tokens of a
batch are computed at once (`registry/name_search.name_tokens`), staged, and written by one DELETE
and one INSERT ... SELECT on the caller's transaction, so a person's names and their tokens are
never seen apart."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.schema import DropTable

from himaya.db import staging
from himaya.db.search_tables import name_token
from himaya.db.snapshot import NAME_COLUMNS
from himaya.db.tables import person
from himaya.registry.name_search import name_tokens

REBUILD_BATCH = 200_000
LISTED = 1_000  # up to this many people, a plain IN list; beyond, a staged table


def refresh(connection: Connection, people: pl.DataFrame) -> int:
    """Replace the tokens of the people of `people` (a `civil_number` column and the name columns it
    has) by those of the names given; returns the tokens written."""
    if people.is_empty():
        return 0
    names = people.select("civil_number", *(c for c in NAME_COLUMNS if c in people.columns))
    tokens = name_tokens(names, "civil_number")
    # One staged table: each person once with no token (so that one whose names all went is cleared too).
    staged = pl.concat(
        [names.select("civil_number", pl.lit(None, pl.String).alias("token")), tokens], how="vertical_relaxed"
    )
    s = staging.load(connection, "name_token_staging", staged, index="civil_number")
    # The people once each (their rows without a token), then their tokens (distinct already).
    keys = select(person.c.id).where(person.c.civil_number.in_(select(s.c.civil_number).where(s.c.token.is_(None))))
    connection.execute(delete(name_token).where(name_token.c.person_id.in_(keys)))
    connection.execute(
        insert(name_token).from_select(
            ["token", "person_id"],
            select(s.c.token, person.c.id)
            .join(person, person.c.civil_number == s.c.civil_number)
            .where(s.c.token.is_not(None)),
        )
    )
    connection.execute(DropTable(s))
    return tokens.height


def tokens_of(people: pl.DataFrame) -> pl.DataFrame:
    """The tokens (`token`, `person_id`) of `people` (a `person_id` column, the row id, and the name
    columns it has), in the index's order."""
    names = people.select("person_id", *(c for c in NAME_COLUMNS if c in people.columns))
    return name_tokens(names, "person_id").select("token", "person_id")


def write(connection: Connection, tokens: pl.DataFrame, *, known: pl.Series) -> int:
    """`tokens` (`tokens_of`) in place of those the people of `known` (row ids) had; returns the
    tokens written. The import's way: the row ids are known, so the tokens go straight into the
    index, in its order (one COPY on PostgreSQL), without a staged table to join with `person`."""
    if not known.is_empty():
        if known.len() <= LISTED:
            connection.execute(delete(name_token).where(name_token.c.person_id.in_(known.to_list())))
        else:
            s = staging.load(connection, "name_token_forget", pl.DataFrame({"person_id": known}))
            connection.execute(delete(name_token).where(name_token.c.person_id.in_(select(s.c.person_id))))
            connection.execute(DropTable(s))
    if connection.dialect.name == "postgresql":
        staging.copy(connection, name_token.name, tokens)
        return tokens.height
    for start in range(0, tokens.height, staging.BATCH):
        rows = list(tokens.slice(start, staging.BATCH).iter_rows())
        connection.exec_driver_sql("INSERT INTO name_token (token, person_id) VALUES (?, ?)", rows)
    return tokens.height


def rebuild(connection: Connection) -> int:
    """Every person's tokens anew, in batches (migration 0012, and `himaya registry reindex` after a
    change of the normalisation); returns the tokens written."""
    connection.execute(delete(name_token))
    written, last = 0, 0
    columns = [person.c.id, person.c.civil_number, *(person.c[c] for c in NAME_COLUMNS)]
    while True:
        rows = connection.execute(
            select(*columns).where(person.c.id > last).order_by(person.c.id).limit(REBUILD_BATCH)
        ).all()
        if not rows:
            return written
        frame = pl.DataFrame(
            rows,
            schema={"id": pl.Int64, "civil_number": pl.String, **dict.fromkeys(NAME_COLUMNS, pl.String)},
            orient="row",
        )
        tokens = name_tokens(frame.drop("civil_number"), "id")
        if tokens.height:
            s = staging.load(connection, "name_token_rebuild", tokens.rename({"id": "person_id"}))
            connection.execute(insert(name_token).from_select(["token", "person_id"], select(s.c.token, s.c.person_id)))
            connection.execute(DropTable(s))
        written += tokens.height
        last = int(frame["id"].max())  # type: ignore[arg-type]
