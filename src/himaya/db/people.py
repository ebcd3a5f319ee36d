"""One person at a time: read a record with its history, change it (optimistically locked), merge two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, and_, select, update
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.clock import now
from himaya.core.errors import ConflictError, HimayaError, NotFoundError, StaleRecordError
from himaya.db import audit, name_index
from himaya.db.tables import (
    bank_account,
    disability,
    earning_capacity,
    enrollment,
    family,
    income,
    membership,
    person,
    situation,
)

EDITABLE = (
    "given_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
    "given_name_en",
    "father_name_en",
    "grandfather_name_en",
    "family_name_en",
    "death_date",
    "governorate",
    "wilayat",
    "mobile",
)
TIME_BOUND: dict[str, Table] = {
    "families": membership,
    "situation": situation,
    "disability": disability,
    "incomes": income,
    "earning_capacity": earning_capacity,
    "bank_accounts": bank_account,
}


@dataclass(frozen=True)
class PersonRecord:
    person: dict[str, Any]
    history: dict[str, list[dict[str, Any]]]  # time-bound rows, newest first
    enrollments: list[dict[str, Any]]


def _person_row(connection: Connection, civil_number: str) -> dict[str, Any]:
    row = connection.execute(select(person).where(person.c.civil_number == civil_number)).mappings().first()
    if row is None:
        raise NotFoundError(f"no person with civil number {civil_number!r} in the registry")
    return dict(row)


def read_person(engine: Engine, civil_number: str) -> PersonRecord:
    with engine.connect() as connection:
        return record_of(connection, _person_row(connection, civil_number))


def record_of(connection: Connection, found: dict[str, Any]) -> PersonRecord:
    """A person's row with the history of every time-bound fact (newest first) and enrollments."""
    history: dict[str, list[dict[str, Any]]] = {}
    for name, table in TIME_BOUND.items():
        query = select(table).where(table.c.person_id == found["id"])
        if table is membership:
            query = (
                select(membership, family.c.family_number)
                .join(family, family.c.id == membership.c.family_id)
                .where(membership.c.person_id == found["id"])
            )
        history[name] = [dict(r) for r in connection.execute(query.order_by(table.c.id.desc())).mappings()]
    enrolled = [
        dict(r)
        for r in connection.execute(
            select(enrollment).where(enrollment.c.person_id == found["id"]).order_by(enrollment.c.id)
        ).mappings()
    ]
    return PersonRecord(found, history, enrolled)


def update_person(
    engine: Engine,
    civil_number: str,
    changes: dict[str, Any],
    *,
    expected_version: int,
    actor: str,
    request_id: str | None = None,
    visible: ColumnElement[bool] | None = None,
) -> int:
    """Apply `changes` if the record is still at `expected_version`; returns the new version.

    The version check and the write are one statement, so two writers that read the same version
    cannot both succeed: the second is refused and must read again.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise HimayaError(f"cannot change {', '.join(unknown)} here; editable: {', '.join(EDITABLE)}")
    with engine.begin() as connection:
        current = _person_row(connection, civil_number)
        if (
            visible is not None
            and not connection.execute(select(person.c.id).where(person.c.id == current["id"], visible)).first()
        ):
            raise NotFoundError(f"no person with civil number {civil_number!r} in your branches")
        result = connection.execute(
            update(person)
            .where(person.c.id == current["id"], person.c.version == expected_version)
            .values(**changes, version=person.c.version + 1, updated_at=now()),
            execution_options={"preserve_rowcount": True},
        )
        if result.rowcount != 1:
            raise StaleRecordError(
                f"person {civil_number} is at version {current['version']}, not {expected_version}: "
                "someone changed it since you read it; read it again and reapply your change"
            )
        if any(k in EDITABLE[:8] for k in changes):
            refresh_names(connection, current["id"])
        before = {k: current[k] for k in changes}
        audit.record(
            connection,
            [audit.Change("person.update", f"person:{civil_number}", before, dict(changes))],
            actor=actor,
            request_id=request_id,
        )
        return expected_version + 1


def refresh_names(connection: Connection, person_key: int) -> None:
    """The person's name tokens from their names as they now are (in the caller's transaction)."""
    names = [person.c[c] for c in EDITABLE[:8]]
    row = connection.execute(select(person.c.civil_number, *names).where(person.c.id == person_key)).one()
    name_index.refresh(connection, pl.DataFrame([row._asdict()], schema={c: pl.String for c in row._fields}))


def merge_people(engine: Engine, keep: str, drop: str, *, actor: str, as_of: date) -> dict[str, int]:
    """Merge the record `drop` into `keep` in a transaction of its own, audited (`registry.actions.merge`
    does the same in a unit of work). Returns the rows moved per kind."""
    if keep == drop:
        raise HimayaError("a person cannot be merged with themself")
    with engine.begin() as connection:
        moved = merge_rows(connection, keep, drop, as_of=as_of)
        audit.record(
            connection,
            [
                audit.Change("person.merge", f"person:{keep}", {"merged": drop}, {**moved, "as_of": as_of}),
                audit.Change("person.merged_into", f"person:{drop}", None, {"merged_into": keep}),
            ],
            actor=actor,
        )
    return {k: v for k, v in moved.items() if k != "memberships_closed"}


def merge_rows(connection: Connection, keep: str, drop: str, *, as_of: date) -> dict[str, int]:
    """Merge the record `drop` into `keep`: what `drop` alone has moves over, the rest of `drop`
    is closed, and `drop` points at `keep` from now on. Returns the rows moved per kind and the
    memberships closed."""
    moved: dict[str, int] = {}
    kept, dropped = _person_row(connection, keep), _person_row(connection, drop)
    for record, name in ((kept, keep), (dropped, drop)):
        if record["merged_into"] is not None:
            raise ConflictError(f"person {name} was already merged into another record")
    for name, table in TIME_BOUND.items():
        if table is membership:  # the kept record keeps its own family
            continue
        moved[name] = _move_missing(connection, table, dropped["id"], kept["id"], by_kind=table is income)
    moved["memberships_closed"] = int(
        connection.execute(
            update(membership)
            .where(membership.c.person_id == dropped["id"], membership.c.valid_to.is_(None))
            .values(valid_to=as_of),
            execution_options={"preserve_rowcount": True},
        ).rowcount
    )
    moved["enrollments"] = int(
        connection.execute(
            update(enrollment).where(enrollment.c.person_id == dropped["id"]).values(person_id=kept["id"]),
            execution_options={"preserve_rowcount": True},
        ).rowcount
    )
    for key, merged_into in ((dropped["id"], kept["id"]), (kept["id"], None)):
        values: dict[str, Any] = {"version": person.c.version + 1, "updated_at": now()}
        if merged_into is not None:
            values["merged_into"] = merged_into
        connection.execute(update(person).where(person.c.id == key).values(values))
    return moved


def _move_missing(connection: Connection, table: Table, source: int, target: int, *, by_kind: bool) -> int:
    """Current rows of `source` for which `target` has no current row (of the same kind, for
    incomes) move to `target`; the others stay with the merged record."""
    mine = table.alias("mine")
    conditions = [mine.c.person_id == target, mine.c.valid_to.is_(None)]
    if by_kind:
        conditions.append(mine.c.kind == table.c.kind)
    target_has = select(mine.c.id).where(and_(*conditions)).exists()
    result = connection.execute(
        update(table)
        .where(table.c.person_id == source, table.c.valid_to.is_(None), ~target_has)
        .values(person_id=target),
        execution_options={"preserve_rowcount": True},
    )
    return int(result.rowcount or 0)


def dedup_candidates(engine: Engine) -> pl.DataFrame:
    """The current (unmerged) people with what matching compares: key, civil number, sex, birth
    date, names in both scripts, mobile and current IBAN."""
    names = [
        person.c[f"{part}_{script}"]
        for script in ("ar", "en")
        for part in ("given_name", "father_name", "grandfather_name", "family_name")
    ]
    current_account = and_(bank_account.c.person_id == person.c.id, bank_account.c.valid_to.is_(None))
    query = (
        select(
            person.c.id.label("key"),
            person.c.civil_number,
            person.c.sex,
            person.c.birth_date,
            *names,
            person.c.mobile,
            bank_account.c.iban,
        )
        .select_from(person.outerjoin(bank_account, current_account))
        .where(person.c.merged_into.is_(None))
        .order_by(person.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    schema = {"key": pl.Int64, "civil_number": pl.String, "sex": pl.String, "birth_date": pl.Date}
    schema |= {c.name: pl.String for c in (*names, person.c.mobile, bank_account.c.iban)}
    return pl.DataFrame(rows, schema=schema, orient="row")
