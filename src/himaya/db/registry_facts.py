"""The registry's time-bound facts as the import writes them: each fact the pack declares
(`PolicyPack.registry_facts`) mapped to its table, plus the membership of a family, which is the
registry's own structure. A staged row closes the current row whose value changed and opens a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Integer,
    String,
    Table,
    and_,
    case,
    exists,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from himaya.db import staging
from himaya.db.metadata import metadata
from himaya.db.tables import membership
from himaya.policy.registry import Held, RegistryFact, attribute_columns

COUNTED = {"preserve_rowcount": True}  # psycopg reports INSERT ... SELECT counts only when asked


@dataclass(frozen=True)
class Temporal:
    """A time-bound table and how a staged row becomes its current value."""

    name: str
    table: Table
    values: Callable[[Table], dict[str, ColumnElement[Any]]]
    present: Callable[[Table], ColumnElement[bool]]
    fixed: dict[str, Any] = field(default_factory=dict)  # e.g. the income kind
    columns: dict[str, str] = field(default_factory=dict)  # table column -> staged column (`values`, as names)
    held: Callable[[pl.DataFrame], pl.Expr] = lambda _: pl.lit(True)  # `present`, on the staged frame


def _held_frame(fact: RegistryFact) -> Callable[[pl.DataFrame], pl.Expr]:
    """`_held` as a Polars expression on the staged frame (a null is not held, as in SQL)."""
    if fact.held is Held.ALWAYS:
        return lambda _: pl.lit(True)
    if fact.held is Held.POSITIVE:
        return lambda _: pl.all_horizontal([(pl.col(c) > 0).fill_null(False) for c in fact.held_by])

    def any_set(frame: pl.DataFrame) -> pl.Expr:
        flag = {c: frame.schema[c] == pl.Boolean for c in fact.held_by}
        return pl.any_horizontal(
            [pl.col(c).fill_null(False) if flag[c] else pl.col(c).is_not_null() for c in fact.held_by]
        )

    return any_set


def _held(fact: RegistryFact) -> Callable[[Table], ColumnElement[bool]]:
    if fact.held is Held.ALWAYS:
        return lambda s: true()
    if fact.held is Held.POSITIVE:
        return lambda s: and_(*(s.c[c] > 0 for c in fact.held_by))

    def any_set(s: Table) -> ColumnElement[bool]:
        return or_(*(s.c[c] if s.c[c].type.python_type is bool else s.c[c].is_not(None) for c in fact.held_by))

    return any_set


IMPORTED = "import"  # the source of rows that come from the registry's record (a file, an officer's change)


def temporal(fact: RegistryFact, source: str = IMPORTED) -> Temporal:
    table = metadata.tables[fact.table]
    fixed: dict[str, Any] = dict(fact.fixed)
    if "source" in table.c:  # where a row came from: the registry's record, or a case's decision
        fixed["source"] = source
    return Temporal(
        fact.name,
        table,
        lambda s: {column: s.c[source] for column, source in fact.columns.items()},
        _held(fact),
        fixed,
        dict(fact.columns),
        _held_frame(fact),
    )


def temporals(facts: Sequence[RegistryFact], source: str = IMPORTED) -> list[Temporal]:
    """The family membership, then each declared fact (its rows' `source` where the table keeps one)."""
    member = Temporal(
        "membership",
        membership,
        lambda s: {"family_id": s.c.family_key, "relationship": s.c.relationship},
        lambda s: true(),
        columns={"family_id": "family_key", "relationship": "relationship"},
    )
    return [member, *(temporal(f, source) for f in facts)]


def effective(s: Table, as_of: date) -> ColumnElement[Any]:
    """The date a staged row takes effect: its own `as_of` column when the rows are dated one by one
    (life events, each dated by its event), the import's date otherwise."""
    return s.c.as_of if "as_of" in s.c else literal(as_of)


def close(connection: Connection, s: Table, t: Temporal, as_of: date) -> int:
    """End the current rows of the people in the file whose value changed or is gone."""
    table = t.table
    ending: Any = as_of
    if "as_of" in s.c:
        ending = select(s.c.as_of).where(s.c.person_key == table.c.person_id).scalar_subquery()
    same = and_(*(table.c[col].is_not_distinct_from(expr) for col, expr in t.values(s).items()))
    keep = and_(t.present(s), same)
    fixed = [table.c[k] == v for k, v in t.fixed.items() if k != "source"]
    changed = exists().where(s.c.person_key == table.c.person_id, not_(keep))
    # The staged people's rows found by their index (without it, SQLite reads the whole table each time).
    staged = table.c.person_id.in_(select(s.c.person_key))
    result = connection.execute(
        update(table).where(staged, table.c.valid_to.is_(None), *fixed, changed).values(valid_to=ending),
        execution_options=COUNTED,
    )
    return int(result.rowcount or 0)


def open_rows(connection: Connection, s: Table, t: Temporal, as_of: date, *, known_only: bool = False) -> int:
    """Open a current row wherever the file has a value and the registry has no current row (with
    `known_only`, for the people the registry had: the new ones' rows were copied, `copy_new`)."""
    table = t.table
    values = t.values(s)
    fixed = [table.c[k] == v for k, v in t.fixed.items() if k != "source"]
    current = exists().where(table.c.person_id == s.c.person_key, table.c.valid_to.is_(None), *fixed)
    selected = [
        s.c.person_key,
        *values.values(),
        *(literal(v) for v in t.fixed.values()),
        case((s.c.is_new, null()), else_=effective(s, as_of)),
        null(),
    ]
    targets = ["person_id", *values, *t.fixed, "valid_from", "valid_to"]
    result = connection.execute(
        # In key order: the foreign-key check on each row then reads `person` page after page, not at
        # random (a national table does not fit in PostgreSQL's buffers).
        insert(table).from_select(
            targets,
            select(*selected)
            .where(t.present(s), ~current, *([~s.c.is_new] if known_only else []))
            .order_by(s.c.person_key),
        ),
        execution_options=COUNTED,
    )
    return int(result.rowcount or 0)


def attribute_text(frame: pl.DataFrame, facts: Sequence[RegistryFact]) -> pl.DataFrame:
    """The staged frame with each attribute column (`policy.registry.attribute`) as the text the
    registry keeps: a flag `true` where set and empty where not (a person holds a flag while it is
    true), a number in digits, a code as it is."""
    columns = [c for c in attribute_columns(list(facts)) if c in frame.columns]
    return frame.with_columns(
        (pl.when(pl.col(c)).then(pl.lit("true")) if frame.schema[c] == pl.Boolean else pl.col(c).cast(pl.String)).alias(
            c
        )
        for c in columns
    )


_POLARS = {BigInteger: pl.Int64, Integer: pl.Int32, Boolean: pl.Boolean, Date: pl.Date, String: pl.String}


def copy_new(connection: Connection, new: pl.DataFrame, t: Temporal) -> int:
    """The rows of `t` of the people new to the registry (`new`: their staged rows, in key order),
    made here and copied into the table in one binary COPY (PostgreSQL): a new person has no
    row yet, so each row the file gives opens valid since always, as `open_rows` would open it."""
    table = t.table
    kinds = {c.name: _polars_type(table, c.name) for c in table.c if c.name in t.columns or c.name in t.fixed}
    rows = new.filter(t.held(new)).select(
        pl.col("person_key").alias("person_id"),
        *(pl.col(source).cast(kinds[column]).alias(column) for column, source in t.columns.items()),
        *(pl.lit(value, kinds[column]).alias(column) for column, value in t.fixed.items()),
        pl.lit(None, pl.Date).alias("valid_from"),
        pl.lit(None, pl.Date).alias("valid_to"),
    )
    staging.copy(connection, table.name, rows)
    return rows.height


def _polars_type(table: Table, column: str) -> type[pl.DataType]:
    """The Polars type whose binary COPY form `table.column` reads (`pgcopy`)."""
    for kind, polars in _POLARS.items():
        if isinstance(table.c[column].type, kind):
            return polars
    raise TypeError(f"{table.name}.{column}: no binary COPY form for {table.c[column].type}")
