"""Reading the registry back as a people table, as it stood on a day (or as it stands now).

One statement joins the person to the rows valid that day (membership, situation, disability,
incomes summed by kind, earning capacity, bank account); PostgreSQL streams the result out with
COPY, SQLite through its cursor; Polars types it. The result has the columns (and types) of a
validated people table, so the engine runs on it as on an imported file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    FromClause,
    Select,
    Table,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from himaya.db.attribute_tables import person_attribute
from himaya.db.frames import frames_elsewhere, read_frame
from himaya.db.stores.awards import awarded_incomes
from himaya.db.tables import bank_account, disability, earning_capacity, family, income, membership, person, situation

INCOME_KINDS = ("wage", "pension", "survivor_pension", "alimony", "other_income")
NAME_COLUMNS = tuple(
    f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")
)
BOOLEANS = ("resident", "has_children", "employed", "disability_card", "father_deceased", "mother_deceased")
DATES = ("birth_date", "death_date")
MONEY = (*INCOME_KINDS, "earning_capacity")
KEYS = ("person_key",)
PARTS = max(1, min(4, os.cpu_count() or 1))  # parts of a snapshot read at once


def valid_on(table: Table, day: date | ColumnElement[Any] | None) -> ColumnElement[bool]:
    """Rows in force on `day`; with no day, the rows in force now (not closed)."""
    if day is None:
        return table.c.valid_to.is_(None)
    return and_(
        or_(table.c.valid_from.is_(None), table.c.valid_from <= day),
        or_(table.c.valid_to.is_(None), table.c.valid_to > day),
    )


def people_query(
    day: date | ColumnElement[Any] | None,
    *,
    registry: bool = False,
    accounts: bool = False,
    keys: bool = False,
    only: FromClause | None = None,
    family_number: str | ColumnElement[Any] | None = None,
    awards: bool = False,
    attributes: Mapping[str, pl.DataType] | None = None,
) -> Select[Any]:
    """The people table as of `day`; `registry` adds names, place, contact and bank, `accounts`
    only the bank, `keys` the person's row id (`person_key`); `only` keeps the civil numbers
    listed in that (staging) table, `family_number` the members of that family (with either, the
    incomes are summed for those people alone, not for everyone); `awards` counts the pensions
    Himaya pays among the incomes (`_incomes`); `attributes` adds the pack's own (`_own_columns`)."""
    incomes = _incomes(day, only, family_number, awards)
    columns: list[Any] = [
        person.c.civil_number.label("person_id"),
        family.c.family_number.label("family_id"),
        membership.c.relationship,
        person.c.sex,
        person.c.birth_date,
        person.c.death_date,
        person.c.nationality,
        situation.c.resident,
        situation.c.marital_status,
        situation.c.has_children,
        situation.c.employed,
        disability.c.category.label("disability_category"),
        func.coalesce(disability.c.card, false()).label("disability_card"),
        situation.c.father_deceased,
        situation.c.mother_deceased,
        *(func.coalesce(incomes.c[k], literal(0)).label(k) for k in INCOME_KINDS),
        func.coalesce(earning_capacity.c.monthly_amount, literal(0)).label("earning_capacity"),
    ]
    if registry:
        columns += [person.c[c] for c in (*NAME_COLUMNS, "governorate", "wilayat", "mobile")]
        columns += [bank_account.c.bank_code, bank_account.c.iban]
    elif accounts:
        columns += [bank_account.c.bank_code, bank_account.c.iban]
    if keys:
        columns.append(person.c.id.label("person_key"))
    kept = _own_columns(columns, list(attributes or {}), day, only, family_number)
    joined = (
        person.join(membership, and_(membership.c.person_id == person.c.id, valid_on(membership, day)))
        .join(family, family.c.id == membership.c.family_id)
        .join(situation, and_(situation.c.person_id == person.c.id, valid_on(situation, day)))
        .outerjoin(disability, and_(disability.c.person_id == person.c.id, valid_on(disability, day)))
        .outerjoin(incomes, incomes.c.person_id == person.c.id)
        .outerjoin(earning_capacity, and_(earning_capacity.c.person_id == person.c.id, valid_on(earning_capacity, day)))
    )
    if kept is not None:
        joined = joined.outerjoin(kept, kept.c.person_id == person.c.id)
    if registry or accounts:
        joined = joined.outerjoin(
            bank_account, and_(bank_account.c.person_id == person.c.id, valid_on(bank_account, day))
        )
    query = select(*columns).select_from(joined).where(person.c.merged_into.is_(None))
    if only is not None:
        query = query.where(person.c.civil_number.in_(select(only.c.person_id)))
    if family_number is not None:
        query = query.where(family.c.family_number == family_number)
    return query.order_by(family.c.family_number, person.c.civil_number)


def _own_columns(
    columns: list[Any],
    names: list[str],
    day: date | ColumnElement[Any] | None,
    only: FromClause | None,
    family_number: str | ColumnElement[Any] | None,
) -> Any:
    """Add to `columns` the pack's own columns: the person's (a place the rules read) and those kept as
    attributes; the attributes' subquery to join, or None."""
    own = [n for n in names if n in person.c]
    columns += [person.c[n] for n in own if n not in {c.name for c in columns}]
    kept_names = [n for n in names if n not in own]
    if not kept_names:
        return None
    kept = _attributes(day, kept_names, only, family_number)
    columns += [kept.c[name] for name in kept_names]
    return kept


def _members(
    day: date | ColumnElement[Any] | None,
    only: FromClause | None,
    family_number: str | ColumnElement[Any] | None,
) -> Select[Any]:
    """The row ids of the people `only` lists, else of the members of `family_number` that day."""
    members = (
        select(membership.c.person_id)
        .join(family, family.c.id == membership.c.family_id)
        .where(family.c.family_number == family_number, valid_on(membership, day))
    )
    if only is not None and family_number is None:
        members = select(person.c.id).where(person.c.civil_number.in_(select(only.c.person_id)))
    return members


def _attributes(
    day: date | ColumnElement[Any] | None,
    names: list[str],
    only: FromClause | None,
    family_number: str | ColumnElement[Any] | None,
) -> Any:
    """Each person's attributes in force on `day`, a column each (text), for the people `only`
    lists or the members of `family_number` when given."""
    rows = select(person_attribute.c.person_id, person_attribute.c.name, person_attribute.c.value).where(
        valid_on(person_attribute, day), person_attribute.c.name.in_(names)
    )
    if only is not None or family_number is not None:
        rows = rows.where(person_attribute.c.person_id.in_(_members(day, only, family_number)))
    kept = rows.subquery("kept")
    return (
        select(kept.c.person_id, *(func.max(case((kept.c.name == n, kept.c.value))).label(n) for n in names))
        .group_by(kept.c.person_id)
        .subquery("attributes")
    )


def _incomes(
    day: date | ColumnElement[Any] | None,
    only: FromClause | None,
    family_number: str | ColumnElement[Any] | None,
    awards: bool = False,
) -> Any:
    """Each person's incomes in force on `day`, summed by kind: for the people `only` lists or the
    members of `family_number` when given (never everyone's, to be thrown away by the join).

    With `awards`, the pensions Himaya pays (insurance awards approved and in force that day) are
    counted too, as the pensioner's `pension` and each survivor's `survivor_pension`: what the rules
    read, never what a registry write path reads back (it would store them as recorded incomes)."""
    members = _members(day, only, family_number)
    narrowed = only is not None or family_number is not None
    recorded = select(income.c.person_id, income.c.kind, income.c.monthly_amount).where(valid_on(income, day))
    if narrowed:  # inside each branch: a filter outside a UNION ALL is not pushed into it (a scan of every income)
        recorded = recorded.where(income.c.person_id.in_(members))
    if awards:
        paid = awarded_incomes(day).subquery("awarded")
        paid_rows = select(*paid.c[:3]).where(paid.c.person_id.in_(members) if narrowed else true())
        rows = union_all(recorded, paid_rows).subquery("recorded")
    else:
        rows = recorded.subquery("recorded")
    return (
        select(
            rows.c.person_id,
            *(func.sum(case((rows.c.kind == k, rows.c.monthly_amount), else_=0)).label(k) for k in INCOME_KINDS),
        )
        .group_by(rows.c.person_id)
        .subquery("incomes")
    )


def read_people(
    connection: Connection,
    query: Select[Any],
    *,
    committed: bool = False,
    few: bool = False,
    params: dict[str, Any] | None = None,
    attributes: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Run a `people_query` and type its result like a validated people table (`attributes`: the
    types of the pack's own columns the query was given: a flag is false where not held).

    `committed`: the caller's transaction has written none of the registry's tables and `only`
    names no temporary table, so that the rows may come Arrow-native (see `frames`), which at
    millions of rows is several times faster. `few` (a family, a person): a plain statement with
    bound values (`params`), which the driver prepares once per connection and plans once."""
    frame = _read(connection, query, committed=committed, few=few, params=params)
    if not attributes:
        return frame
    return frame.with_columns(
        (pl.col(c) == "true").fill_null(False) if dtype == pl.Boolean else pl.col(c).cast(dtype)
        for c, dtype in attributes.items()
    )


def _read(
    connection: Connection,
    query: Select[Any],
    *,
    committed: bool,
    few: bool,
    params: dict[str, Any] | None,
) -> pl.DataFrame:
    names = [c.name for c in query.selected_columns]
    if few:
        # The statement's own types (dates, booleans, integers) give the frame's types directly.
        rows = connection.execute(query, params or {}).all()
        return pl.DataFrame(rows, schema={n: _type(n) for n in names}, orient="row")
    if committed:
        # In parts by row id, read at once (each core reads a part on SQLite), then sorted here
        # rather than by SQLite, which spends a third of the query on it; Polars sorts text by
        # its bytes, as SQLite's default collation does.
        low, high = connection.execute(select(func.min(person.c.id), func.max(person.c.id))).one()
        count = PARTS if frames_elsewhere(connection) else 1  # PostgreSQL parallelises one query itself
        parts, step = [], ((high or 0) - (low or 0)) // count + 1
        for first in range(low or 0, (high or 0) + 1, step):
            parts.append(query.order_by(None).where(person.c.id >= first, person.c.id < first + step))
        frame = read_frame(connection, parts, {name: _type(name) for name in names}, committed=True)
        return frame.sort("family_id", "person_id", maintain_order=True)
    sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy:  # type: ignore[union-attr]
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        frame = (
            pl.read_csv(buffer, infer_schema=False)
            if buffer.getbuffer().nbytes
            else pl.DataFrame(schema=dict.fromkeys(names, pl.String))
        )
        booleans = [
            pl.col(c).replace_strict({"t": True, "f": False}, default=None, return_dtype=pl.Boolean) for c in BOOLEANS
        ]
    else:
        # In blocks, so that a whole country never sits in memory as Python tuples at once.
        result = connection.exec_driver_sql(sql)
        blocks = []
        while rows := result.fetchmany(200_000):
            blocks.append(
                pl.DataFrame(rows, schema=dict.fromkeys(names), orient="row", infer_schema_length=None).cast(
                    {n: pl.String for n in names if n not in (*BOOLEANS, *MONEY)}
                )
            )
        frame = (
            pl.concat(blocks, how="vertical_relaxed")
            if blocks
            else pl.DataFrame(schema=dict.fromkeys(names, pl.String))
        )
        booleans = [pl.col(c).cast(pl.Int8).cast(pl.Boolean) for c in BOOLEANS]
    return _with_types(frame, names, booleans)


def _with_types(frame: pl.DataFrame, names: list[str], booleans: list[pl.Expr]) -> pl.DataFrame:
    return frame.with_columns(
        *booleans,
        *(pl.col(c).cast(pl.String).str.to_date("%Y-%m-%d") for c in DATES),
        *(pl.col(c).cast(pl.Int64) for c in (*MONEY, *KEYS) if c in names),
        *(pl.col(c).cast(pl.String) for c in names if c not in (*BOOLEANS, *DATES, *MONEY, *KEYS)),
    )


def _type(name: str) -> pl.DataType:
    if name in BOOLEANS:
        return pl.Boolean()
    if name in DATES:
        return pl.Date()
    if name in (*MONEY, *KEYS):
        return pl.Int64()
    return pl.String()
