"""The insurance's store behind `insurance.ports.InsuranceStore`: set-based statements on the unit of
work's connection (staging tables, COPY on PostgreSQL, INSERT ... SELECT), no decisions
(`himaya.insurance.actions` makes those). The unique index on (employer, month) holds one
declaration per employer and month: a second one from a concurrent request is a conflict here,
never a month counted twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.schema import DropTable

from himaya.core.errors import ConflictError
from himaya.db import staging
from himaya.db.frames import frames_elsewhere, read_frame
from himaya.db.insurance_tables import (
    insurance_declaration,
    insurance_due,
    insurance_employer,
    insurance_line,
    insurance_payment,
)
from himaya.db.tables import person

COUNTED = {"preserve_rowcount": True}
LOOK_UP_ALL = 20_000  # insured persons above which an SQLite file's person table is read whole
EMPLOYER = {"cr_number": pl.String(), "name": pl.String(), "sector": pl.String(), "wilayat": pl.String()}

declaration, employer, line, due = insurance_declaration, insurance_employer, insurance_line, insurance_due
current = and_(line.c.declaration_id == declaration.c.id, line.c.revision == declaration.c.revision)


class SqlInsuranceStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- the employer register ---

    def employers(self) -> pl.DataFrame:
        query = select(*(employer.c[c] for c in EMPLOYER), employer.c.version).order_by(employer.c.cr_number)
        return read_frame(self.connection, query, EMPLOYER | {"version": pl.Int64()})

    def add_employers(self, rows: pl.DataFrame, *, stamp: datetime) -> None:
        if rows.height:
            values = [r | {"version": 1, "created_at": stamp, "updated_at": stamp} for r in rows.to_dicts()]
            self._unique(lambda: self.connection.execute(insert(employer), values), "an employer of the file")

    def update_employers(self, rows: pl.DataFrame, *, stamp: datetime) -> int:
        if not rows.height:
            return 0
        s = staging.load(self.connection, "employer_staging", rows)
        moved = self.connection.execute(
            update(employer)
            .where(employer.c.cr_number == s.c.cr_number, employer.c.version == s.c.version)
            .values(name=s.c.name, sector=s.c.sector, wilayat=s.c.wilayat, version=employer.c.version + 1,
                    updated_at=stamp),
            execution_options=COUNTED,
        ).rowcount  # fmt: skip
        self.connection.execute(DropTable(s))
        return int(moved)

    def employer_ids(self, cr_numbers: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        numbers = list(cr_numbers)
        for start in range(0, len(numbers), 10_000):  # within every database's limit of bound values
            rows = self.connection.execute(
                select(employer.c.cr_number, employer.c.id).where(
                    employer.c.cr_number.in_(numbers[start : start + 10_000])
                )
            )
            found |= {str(cr): int(i) for cr, i in rows}
        return found

    # --- declarations ---

    def insured(self, civil_numbers: pl.Series) -> pl.DataFrame:
        """Many on an SQLite file: the whole person table read Arrow-native in another process (the
        declaring transaction has not written to it) and joined here, which is faster than any
        look-up through Python rows; otherwise through a staging table (COPY on PostgreSQL)."""
        connection = self.connection
        wanted = civil_numbers.unique().alias("civil_number").to_frame()
        survivor = aliased(person)
        columns = (
            person.c.civil_number,
            person.c.id.label("person_key"),
            person.c.nationality,
            person.c.birth_date,
            person.c.death_date,
            survivor.c.civil_number.label("merged_into"),
        )
        types = {"civil_number": pl.String(), "person_key": pl.Int64(), "nationality": pl.String()}
        types |= {"birth_date": pl.Date(), "death_date": pl.Date(), "merged_into": pl.String()}
        if frames_elsewhere(connection) and wanted.height > LOOK_UP_ALL:
            everyone = select(*columns).outerjoin(survivor, survivor.c.id == person.c.merged_into)
            return read_frame(connection, everyone, types, committed=True).join(wanted, on="civil_number", how="semi")
        s = staging.load(connection, "insured_staging", wanted)
        query = (
            select(*columns)
            .select_from(s.join(person, person.c.civil_number == s.c.civil_number))
            .outerjoin(survivor, survivor.c.id == person.c.merged_into)
        )
        found = read_frame(connection, query, types)
        connection.execute(DropTable(s))
        return found

    def declarations(self, employer_ids: Sequence[int], month: date) -> pl.DataFrame:
        ids = list(employer_ids)
        columns = ("employer_id", "revision", "insured", "wages", "due")
        parts = [
            select(*(declaration.c[c] for c in columns)).where(
                declaration.c.month == month, declaration.c.employer_id.in_(ids[start : start + 10_000])
            )
            for start in range(0, max(len(ids), 1), 10_000)
        ]
        return read_frame(self.connection, parts, {c: pl.Int64() for c in columns})

    def current_lines(self, employer_ids: Sequence[int], month: date) -> pl.DataFrame:
        ids = list(employer_ids)
        columns = ("employer_id", "person_key", "wage", "basic_wage", "days")
        parts = [
            select(
                declaration.c.employer_id,
                line.c.person_id.label("person_key"),
                line.c.wage,
                line.c.basic_wage,
                line.c.days,
            )
            .select_from(declaration)
            .join(line, current)
            .where(declaration.c.month == month, declaration.c.employer_id.in_(ids[start : start + 10_000]))
            for start in range(0, max(len(ids), 1), 10_000)
        ]
        return read_frame(self.connection, parts, {c: pl.Int64() for c in columns})

    def add_declarations(self, headers: pl.DataFrame, *, month: date, actor: str, stamp: datetime, source: str) -> None:
        written = {"month": month, "revision": 1, "declared_by": actor, "declared_at": stamp, "source": source}
        values = [r | written for r in headers.select("employer_id", "insured", "wages", "due").to_dicts()]
        self._unique(lambda: self.connection.execute(insert(declaration), values), f"a declaration of {month:%Y-%m}")

    def correct_declarations(
        self, headers: pl.DataFrame, *, month: date, actor: str, stamp: datetime, source: str
    ) -> int:
        s = staging.load(
            self.connection, "correction_staging", headers.select("employer_id", "revision", "insured", "wages", "due")
        )
        moved = self.connection.execute(
            update(declaration)
            .where(
                declaration.c.employer_id == s.c.employer_id,
                declaration.c.month == month,
                declaration.c.revision == s.c.revision,
            )
            .values(revision=declaration.c.revision + 1, insured=s.c.insured, wages=s.c.wages, due=s.c.due,
                    declared_by=actor, declared_at=stamp, source=source),
            execution_options=COUNTED,
        ).rowcount  # fmt: skip
        self.connection.execute(DropTable(s))
        return int(moved)

    def add_lines(self, lines: pl.DataFrame, dues: pl.DataFrame, *, month: date) -> None:
        """Onto each employer's current revision of the month: the lines appended in one COPY (or
        executemany), in the order of their unique index (SQLite then inserts into it in turn)."""
        connection = self.connection
        current = read_frame(
            connection,
            select(declaration.c.employer_id, declaration.c.id.label("declaration_id"), declaration.c.revision).where(
                declaration.c.month == month
            ),
            {"employer_id": pl.Int64(), "declaration_id": pl.Int64(), "revision": pl.Int64()},
        )
        with staging.bulk_cache(connection):
            for table, frame in (
                (line, lines.rename({"person_key": "person_id"}).sort("person_id", "employer_id")),
                (due, dues.select("employer_id", "branch", "insured", "employee", "employer")),
            ):
                staging.append(connection, table, frame.join(current, on="employer_id").drop("employer_id"))

    # --- payments and reads ---

    def payment_reference(self, employer_id: int, reference: str) -> str | None:
        # The employer's row is locked first (PostgreSQL), so that two payments of one employer
        # are checked one after the other: the unique index alone compares references exactly.
        self.connection.execute(select(employer.c.id).where(employer.c.id == employer_id).with_for_update())
        p = insurance_payment
        query = select(p.c.reference).where(
            p.c.employer_id == employer_id, func.lower(p.c.reference) == reference.strip().lower()
        )
        return self.connection.execute(query.limit(1)).scalar_one_or_none()

    def add_payment(
        self, employer_id: int, *, received_on: date, amount: int, reference: str, actor: str, stamp: datetime
    ) -> None:
        values = {"employer_id": employer_id, "received_on": received_on, "amount": amount, "reference": reference}
        values |= {"recorded_by": actor, "recorded_at": stamp}
        self._unique(
            lambda: self.connection.execute(insert(insurance_payment).values(values)),
            f"a payment with reference {reference!r} of this employer",
        )

    def dues(self, month: date | None, employer_number: str | None) -> pl.DataFrame:
        query = (
            select(employer.c.cr_number, employer.c.name, declaration.c.month, due.c.branch, due.c.insured,
                   due.c.employee, due.c.employer)
            .join(declaration, declaration.c.employer_id == employer.c.id)
            .join(due, and_(due.c.declaration_id == declaration.c.id, due.c.revision == declaration.c.revision))
            .order_by(employer.c.cr_number, declaration.c.month, due.c.id)
        )  # fmt: skip
        if month is not None:
            query = query.where(declaration.c.month == month)
        if employer_number is not None:
            query = query.where(employer.c.cr_number == employer_number)
        types = {"cr_number": pl.String(), "name": pl.String(), "month": pl.Date(), "branch": pl.String()}
        return read_frame(self.connection, query, types | {c: pl.Int64() for c in ("insured", "employee", "employer")})

    def month_totals(self, employer_number: str | None) -> pl.DataFrame:
        query = select(employer.c.cr_number, declaration.c.month, declaration.c.due.label("amount")).join(
            employer, employer.c.id == declaration.c.employer_id
        )
        if employer_number is not None:
            query = query.where(employer.c.cr_number == employer_number)
        return read_frame(self.connection, query, {"cr_number": pl.String(), "month": pl.Date(), "amount": pl.Int64()})

    def payments(self, employer_number: str | None) -> pl.DataFrame:
        p = insurance_payment
        query = select(employer.c.cr_number, p.c.received_on, p.c.amount, p.c.reference).join(
            employer, employer.c.id == p.c.employer_id
        )
        if employer_number is not None:
            query = query.where(employer.c.cr_number == employer_number)
        types = {"cr_number": pl.String(), "received_on": pl.Date(), "amount": pl.Int64(), "reference": pl.String()}
        return read_frame(self.connection, query.order_by(p.c.id), types)

    def career(self, civil_number: str) -> pl.DataFrame:
        query = (
            select(declaration.c.month, employer.c.cr_number, employer.c.name, line.c.wage, line.c.days)
            .select_from(person)
            .join(line, line.c.person_id == person.c.id)
            .join(declaration, current)
            .join(employer, employer.c.id == declaration.c.employer_id)
            .where(person.c.civil_number == civil_number)
            .order_by(declaration.c.month, employer.c.cr_number)
        )
        types = {"month": pl.Date(), "cr_number": pl.String(), "name": pl.String()}
        return read_frame(self.connection, query, types | {"wage": pl.Int64(), "days": pl.Int64()})

    # --- benefits ---

    def pension_people(self, civil_number: str | None) -> pl.DataFrame:
        survivor = aliased(person)
        query = select(
            person.c.civil_number, person.c.sex, person.c.nationality, person.c.birth_date, person.c.death_date,
            survivor.c.civil_number.label("merged_into"),
        ).outerjoin(survivor, survivor.c.id == person.c.merged_into)  # fmt: skip
        if civil_number is None:
            insured = select(line.c.person_id).distinct().scalar_subquery()
            query = query.where(person.c.id.in_(insured))
        else:
            query = query.where(person.c.civil_number == civil_number)
        types: dict[str, pl.DataType] = {"civil_number": pl.String(), "sex": pl.String(), "nationality": pl.String()}
        types |= {"birth_date": pl.Date(), "death_date": pl.Date(), "merged_into": pl.String()}
        return read_frame(self.connection, query.order_by(person.c.civil_number), types)

    def pension_lines(self, civil_number: str | None) -> pl.DataFrame:
        query = (
            select(person.c.civil_number, declaration.c.month, line.c.wage, line.c.days)
            .select_from(person)
            .join(line, line.c.person_id == person.c.id)
            .join(declaration, current)
        )
        if civil_number is not None:
            query = query.where(person.c.civil_number == civil_number)
        types = {"civil_number": pl.String(), "month": pl.Date(), "wage": pl.Int64(), "days": pl.Int64()}
        return read_frame(self.connection, query, types)

    def _unique(self, statement: Callable[[], object], what: str) -> None:
        """Run `statement` in a savepoint; a unique index's refusal is a ConflictError."""
        try:
            with self.connection.begin_nested():
                statement()
        except IntegrityError as error:
            raise ConflictError(f"{what} is recorded already (or was just now, by another request)") from error
