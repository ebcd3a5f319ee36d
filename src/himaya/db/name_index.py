"""Keeping the name index (`name_token`) and its pairs (`name_pair`) in step with the people's
names, set-based: the tokens of a batch are computed at once (`registry/name_search.name_tokens`),
their pairs from them (`registry/name_pairs.name_pairs`), staged, and written by one DELETE and one
INSERT ... SELECT each on the caller's transaction, so a person's names, tokens and pairs are never
seen apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, Table, delete, func, insert, select, tuple_
from sqlalchemy.schema import DropTable

from himaya.db import staging
from himaya.db.search_tables import name_pair, name_token
from himaya.db.snapshot import NAME_COLUMNS
from himaya.db.tables import person
from himaya.registry.name_pairs import name_pairs
from himaya.registry.name_search import name_tokens

REBUILD_BATCH = 200_000
LISTED = 1_000  # up to this many people, a plain IN list; beyond, a staged table


def refresh(connection: Connection, people: pl.DataFrame) -> int:
    """Replace the tokens and pairs of the people of `people` (a `civil_number` column and the name
    columns it has) by those of the names given; returns the tokens written."""
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
    _forget(connection, keys)
    connection.execute(
        insert(name_token).from_select(
            ["token", "person_id"],
            select(s.c.token, person.c.id)
            .join(person, person.c.civil_number == s.c.civil_number)
            .where(s.c.token.is_not(None)),
        )
    )
    connection.execute(DropTable(s))
    pairs = name_pairs(tokens, "civil_number")
    if pairs.height:
        p = staging.load(connection, "name_pair_staging", pairs)
        connection.execute(
            insert(name_pair).from_select(
                ["pair", "person_id"],
                select(p.c.pair, person.c.id).join(person, person.c.civil_number == p.c.civil_number),
            )
        )
        connection.execute(DropTable(p))
    return tokens.height


@dataclass(frozen=True)
class Entries:
    """What the name index holds for some people: their tokens (`token`, `person_id`) and the pairs
    of their tokens (`pair`, `person_id`), each in its index's order."""

    tokens: pl.DataFrame
    pairs: pl.DataFrame


def entries_of(people: pl.DataFrame) -> Entries:
    """The tokens and pairs of `people` (a `person_id` column, the row id, and the name columns it has)."""
    names = people.select("person_id", *(c for c in NAME_COLUMNS if c in people.columns))
    tokens = name_tokens(names, "person_id").select("token", "person_id")
    return Entries(tokens, name_pairs(tokens, "person_id").select("pair", "person_id"))


def write(connection: Connection, entries: Entries, *, known: pl.Series) -> int:
    """`entries` (`entries_of`) in place of those the people of `known` (row ids) had; returns the
    tokens written. The import's way: the row ids are known, so the rows go straight into the
    indexes, in their order (one COPY each on PostgreSQL), without a staged table to join with `person`."""
    if not known.is_empty():
        if known.len() <= LISTED:
            _forget(connection, known.to_list())
        else:
            s = staging.load(connection, "name_token_forget", pl.DataFrame({"person_id": known}))
            _forget(connection, select(s.c.person_id))
            connection.execute(DropTable(s))
    _insert(connection, name_token, entries.tokens)
    _insert(connection, name_pair, entries.pairs)
    return entries.tokens.height


def _forget(connection: Connection, people: list[int] | Select[Any]) -> None:
    """Delete the tokens and pairs of `people` (row ids, or a select of them). The pairs have no
    index by person (it would double their room and their writes): they are found by their keys,
    made again from the tokens the people hold, before those go. A pair left behind by mistake would
    cost a probe, never a wrong answer (the search checks every word against the tokens)."""
    held = connection.execute(
        select(name_token.c.person_id, name_token.c.token).where(name_token.c.person_id.in_(people))
    ).all()
    tokens = pl.DataFrame(held, schema={"person_id": pl.Int64, "token": pl.String}, orient="row")
    pairs = name_pairs(tokens, "person_id").select("pair", "person_id")
    key = tuple_(name_pair.c.pair, name_pair.c.person_id)
    if pairs.height <= LISTED:
        if pairs.height:
            connection.execute(delete(name_pair).where(key.in_(list(pairs.iter_rows()))))
    else:
        s = staging.load(connection, "name_pair_forget", pairs)
        connection.execute(delete(name_pair).where(key.in_(select(s.c.pair, s.c.person_id))))
        connection.execute(DropTable(s))
    connection.execute(delete(name_token).where(name_token.c.person_id.in_(people)))


def _insert(connection: Connection, table: Table, rows: pl.DataFrame) -> None:
    """`rows` (the table's columns, in its order) into `table`: one COPY on PostgreSQL, else batches."""
    if connection.dialect.name == "postgresql":
        staging.copy(connection, table.name, rows)
        return
    statement = f"INSERT INTO {table.name} ({', '.join(rows.columns)}) VALUES ({', '.join('?' for _ in rows.columns)})"
    for start in range(0, rows.height, staging.BATCH):
        connection.exec_driver_sql(statement, list(rows.slice(start, staging.BATCH).iter_rows()))


def rebuild(connection: Connection, *, pairs: bool = True) -> int:
    """Every person's tokens (and, with `pairs`, their pairs) anew, in batches (migration 0012,
    which comes before the pairs' table, and `himaya registry reindex` after a change of the
    normalisation); returns the tokens written."""
    connection.execute(delete(name_token))
    if pairs:
        connection.execute(delete(name_pair))
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
        tokens = name_tokens(frame.drop("civil_number"), "id").rename({"id": "person_id"})
        if tokens.height:
            s = staging.load(connection, "name_token_rebuild", tokens)
            connection.execute(insert(name_token).from_select(["token", "person_id"], select(s.c.token, s.c.person_id)))
            connection.execute(DropTable(s))
            if pairs:
                _insert(connection, name_pair, name_pairs(tokens, "person_id").select("pair", "person_id"))
        written += tokens.height
        last = int(frame["id"].max())  # type: ignore[arg-type]


def rebuild_pairs(connection: Connection) -> int:
    """The pairs anew from the tokens the name index holds (migration 0050, for the people registered
    before it), people by people in ranges of row ids; returns the pairs written."""
    connection.execute(delete(name_pair))
    low, high = connection.execute(select(func.min(name_token.c.person_id), func.max(name_token.c.person_id))).one()
    written = 0
    for start in range(int(low or 0), int(high or 0) + 1, REBUILD_BATCH):
        rows = connection.execute(
            select(name_token.c.person_id, name_token.c.token).where(
                name_token.c.person_id >= start, name_token.c.person_id < start + REBUILD_BATCH
            )
        ).all()
        tokens = pl.DataFrame(rows, schema={"person_id": pl.Int64, "token": pl.String}, orient="row")
        pairs = name_pairs(tokens, "person_id").select("pair", "person_id")
        _insert(connection, name_pair, pairs)
        written += pairs.height
    return written
