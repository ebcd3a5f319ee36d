"""The payroll's reads of people behind `payroll.ports.PayrollStore`: the report by programme and
governorate, the regular lines and facts a change list is made of (the list itself is a pure rule,
`payroll.rules.changes`), and the lines held for want of an account. Each is scoped in the query
itself like every read of the registry (a person's branch is the branch of their family's head);
None is the country-wide operator at the terminal."""

from __future__ import annotations

import polars as pl
from sqlalchemy import BigInteger, Connection, case, func, select, true
from sqlalchemy import cast as sa_cast
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.db.scoped import person_visible
from himaya.db.tables import enrollment, payment_line, payroll_run, person

__all__ = ["SqlPayrollReads"]


def _in_scope(principal: Principal | None) -> ColumnElement[bool]:
    """A condition on `person.c.id`: the people the principal may read (the registry's own condition)."""
    return true() if principal is None else person_visible(principal)


class SqlPayrollReads:
    connection: Connection

    def report(self, period: Period, *, principal: Principal | None) -> pl.DataFrame:
        """The run's lines by programme and governorate: beneficiaries, amount paid (after
        recoveries), amount recovered and exceptions, summed in the database over the people in the
        principal's branches."""
        paid = payment_line.c.amount - payment_line.c.deduction
        rows = self.connection.execute(
            select(
                payment_line.c.programme,
                person.c.governorate,
                func.count(func.distinct(person.c.id)),
                # PostgreSQL sums integers as numeric: back to integers, the same on both databases.
                sa_cast(func.sum(paid), BigInteger),
                sa_cast(func.sum(payment_line.c.deduction), BigInteger),
                sa_cast(func.sum(case((payment_line.c.status == "exception", 1), else_=0)), BigInteger),
            )
            .join(payroll_run, payroll_run.c.id == payment_line.c.run_id)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(payroll_run.c.period == period.start, _in_scope(principal))
            .group_by(payment_line.c.programme, person.c.governorate)
            .order_by(payment_line.c.programme, person.c.governorate)
        ).all()
        schema = {
            "programme": pl.String,
            "governorate": pl.String,
            "beneficiaries": pl.Int64,
            "amount": pl.Int64,
            "recovered": pl.Int64,
            "exceptions": pl.Int64,
        }
        return pl.DataFrame(rows, schema=schema, orient="row")

    def regular_lines(self, period: Period, *, principal: Principal | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The regular lines of the month and the month before (month, person_id, programme, amount),
        and the enrollments' facts (person_id, programme, enrollment reason, death_date), of the
        people in the principal's branches; typed even when empty."""
        rows = self.connection.execute(
            select(
                payment_line.c.month,
                person.c.civil_number,
                payment_line.c.programme,
                payment_line.c.amount,
                payment_line.c.exception_case,
            )
            .join(person, person.c.id == payment_line.c.person_id)
            .where(
                payment_line.c.kind == "regular",
                payment_line.c.month.in_((period.start, period.shifted(-1).start)),
                _in_scope(principal),
            )
        ).all()
        facts = self.connection.execute(
            select(person.c.civil_number, enrollment.c.programme, enrollment.c.reason, person.c.death_date)
            .join(person, person.c.id == enrollment.c.person_id)
            .where(_in_scope(principal))
        ).all()
        lines = pl.DataFrame(
            rows,
            schema={
                "month": pl.Date,
                "person_id": pl.String,
                "programme": pl.String,
                "amount": pl.Int64,
                "exception": pl.String,
            },
            orient="row",
        )
        known = pl.DataFrame(
            facts,
            schema={"person_id": pl.String, "programme": pl.String, "enrollment": pl.String, "death_date": pl.Date},
            orient="row",
        )
        return lines, known

    def held(self, period: Period, *, principal: Principal | None) -> pl.DataFrame:
        """The run's lines held for want of a valid bank account (status exception), in the principal's
        branches: who, for which programme and month, how much (baisa) and why, by civil number."""
        payee = person.alias("payee")
        rows = self.connection.execute(
            select(
                person.c.civil_number,
                payee.c.civil_number,
                payment_line.c.programme,
                payment_line.c.month,
                payment_line.c.kind,
                payment_line.c.amount - payment_line.c.deduction,
                payment_line.c.reason,
            )
            .join(payroll_run, payroll_run.c.id == payment_line.c.run_id)
            .join(person, person.c.id == payment_line.c.person_id)
            .join(payee, payee.c.id == payment_line.c.payee_id)
            .where(payroll_run.c.period == period.start, payment_line.c.status == "exception", _in_scope(principal))
            .order_by(person.c.civil_number, payment_line.c.programme, payment_line.c.month)
        ).all()
        schema = {
            "person_id": pl.String,
            "payee_id": pl.String,
            "programme": pl.String,
            "month": pl.Date,
            "kind": pl.String,
            "amount": pl.Int64,
            "reason": pl.String,
        }
        return pl.DataFrame(rows, schema=schema, orient="row")
