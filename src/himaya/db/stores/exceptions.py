"""A supervisor's exceptions behind `cases.ports.ExceptionStore`, and the one read the enrollment
sync and the payroll make of them (`in_force_between`): the exceptions in force in some month of a
range, one statement, joined to the people by the caller, never read person by person."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, and_, insert, select, update

from himaya.core.access import Principal
from himaya.db.exception_tables import benefit_exception as exception
from himaya.db.frames import read_frame
from himaya.db.scoped import person_visible
from himaya.db.tables import person

COUNTED = {"preserve_rowcount": True}

# The frame the sync and the payroll join: civil number, programme, months in force, amount, case.
FRAME = {
    "person_id": pl.String(),
    "programme": pl.String(),
    "from_month": pl.Date(),
    "until_month": pl.Date(),
    "amount": pl.Int64(),
    "exception_case": pl.String(),
}


def in_force_query(first: date, last: date) -> Select[Any]:
    """The exceptions in force in some month from `first` to `last` (first days of months)."""
    return (
        select(
            person.c.civil_number.label("person_id"),
            exception.c.programme,
            exception.c.from_month,
            exception.c.until_month,
            exception.c.amount,
            exception.c.case_number.label("exception_case"),
        )
        .join(person, person.c.id == exception.c.person_id)
        .where(exception.c.from_month <= last, exception.c.until_month >= first, person.c.merged_into.is_(None))
    )


def in_force_between(
    connection: Connection, first: date, last: date, *, keys: Select[Any] | None = None
) -> pl.DataFrame:
    """`in_force_query` as a frame (`FRAME`); `keys` (person row ids) narrows it to some people."""
    query = in_force_query(first, last)
    if keys is not None:
        query = query.where(exception.c.person_id.in_(keys))
    return read_frame(connection, query, FRAME)


def _listed() -> Select[Any]:
    return select(exception, person.c.civil_number).join(person, person.c.id == exception.c.person_id)


class SqlExceptionStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, row: Mapping[str, Any]) -> int:
        return int(self.connection.execute(insert(exception).values(dict(row)).returning(exception.c.id)).scalar_one())

    def overlapping(self, person_key: int, programme: str, first: date, last: date) -> dict[str, Any] | None:
        found = (
            self.connection.execute(
                select(exception).where(
                    exception.c.person_id == person_key,
                    exception.c.programme == programme,
                    exception.c.from_month <= last,
                    exception.c.until_month >= first,
                )
            )
            .mappings()
            .first()
        )
        return None if found is None else dict(found)

    def in_force(self, principal: Principal, month: date) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            _listed()
            .where(exception.c.from_month <= month, exception.c.until_month >= month, person_visible(principal))
            .order_by(person.c.civil_number, exception.c.programme)
        ).mappings()
        return [dict(r) for r in rows]

    def get(self, principal: Principal, exception_id: int) -> dict[str, Any] | None:
        found = (
            self.connection.execute(_listed().where(exception.c.id == exception_id, person_visible(principal)))
            .mappings()
            .first()
        )
        return None if found is None else dict(found)

    def end(self, exception_id: int, *, expected_version: int, until: date, by: str, reason: str, at: datetime) -> bool:
        changed = self.connection.execute(
            update(exception)
            .where(and_(exception.c.id == exception_id, exception.c.version == expected_version))
            .values(until_month=until, ended_by=by, ended_at=at, end_reason=reason, version=exception.c.version + 1),
            execution_options=COUNTED,
        )
        return bool(changed.rowcount == 1)
