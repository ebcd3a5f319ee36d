"""The payroll's reads of people: the report by programme and governorate, the change list and
the lines held for want of an account. Each is scoped in the query itself like every read of the
registry (a person's branch is the branch of their family's head); None is the country-wide
operator at the terminal."""

from __future__ import annotations

import polars as pl
from sqlalchemy import BigInteger, Engine, case, func, select, true
from sqlalchemy import cast as sa_cast
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.db.scoped import person_visible
from himaya.db.tables import enrollment, payment_line, payroll_run, person
from himaya.policy.engine import omr_text

__all__ = ["diff", "held", "report", "with_totals"]


def report(engine: Engine, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    """The run's lines by programme and governorate: beneficiaries, amount paid (after
    recoveries), amount recovered and exceptions, summed in the database over the people in the
    principal's branches (None: everyone, for the country-wide operator at the terminal)."""
    paid = payment_line.c.amount - payment_line.c.deduction
    with engine.connect() as connection:
        rows = connection.execute(
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


def _in_scope(principal: Principal | None) -> ColumnElement[bool]:
    """A condition on `person.c.id`: the people the principal may read (the registry's own condition)."""
    return true() if principal is None else person_visible(principal)


def diff(engine: Engine, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    """Regular lines against the month before: new, stopped and changed, per person and programme,
    with a reason: a death, the enrollment's own reason (start or end), or the amounts. Only the
    people in the principal's branches (None: everyone)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(payment_line.c.month, person.c.civil_number, payment_line.c.programme, payment_line.c.amount)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(
                payment_line.c.kind == "regular",
                payment_line.c.month.in_((period.start, period.shifted(-1).start)),
                _in_scope(principal),
            )
        ).all()
        facts = connection.execute(
            select(person.c.civil_number, enrollment.c.programme, enrollment.c.reason, person.c.death_date)
            .join(person, person.c.id == enrollment.c.person_id)
            .where(_in_scope(principal))
        ).all()
    # Typed, so that a month without any line (or enrollment) still gives a typed, empty diff.
    lines = pl.DataFrame(
        rows,
        schema={"month": pl.Date, "person_id": pl.String, "programme": pl.String, "amount": pl.Int64},
        orient="row",
    )
    known = pl.DataFrame(
        facts,
        schema={"person_id": pl.String, "programme": pl.String, "enrollment": pl.String, "death_date": pl.Date},
        orient="row",
    ).unique(["person_id", "programme"], keep="last")
    now_ = lines.filter(pl.col("month") == period.start).select("person_id", "programme", pl.col("amount").alias("now"))
    before = lines.filter(pl.col("month") == period.shifted(-1).start).select(
        "person_id", "programme", pl.col("amount").alias("before")
    )
    joined = now_.join(before, on=["person_id", "programme"], how="full", coalesce=True).join(
        known, on=["person_id", "programme"], how="left"
    )
    change = (
        pl.when(pl.col("before").is_null())
        .then(pl.lit("new"))
        .when(pl.col("now").is_null())
        .then(pl.lit("stopped"))
        .when(pl.col("now") != pl.col("before"))
        .then(pl.lit("changed"))
    )
    died = pl.col("death_date").is_not_null() & (pl.col("death_date") < pl.lit(period.start))
    reason = (
        pl.when(change == "changed")
        .then(pl.format("from {} to {} OMR", omr_text(pl.col("before")), omr_text(pl.col("now"))))
        .when(died)
        .then(pl.format("died on {}", pl.col("death_date").cast(pl.String)))
        .otherwise(pl.col("enrollment"))
    )
    unusual = (pl.col("before") > 0) & ((pl.col("now") - pl.col("before")).abs() > pl.col("before") // 2)
    return (
        joined.with_columns(change.alias("change"), reason.alias("reason"), unusual.fill_null(False).alias("unusual"))
        .filter(pl.col("change").is_not_null())
        .select("person_id", "programme", "before", "now", "change", "reason", "unusual")
        .sort("change", "programme", "person_id")
    )


def held(engine: Engine, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    """The run's lines held for want of a valid bank account (status exception), in the principal's
    branches: who, for which programme and month, how much (baisa) and why, by civil number."""
    payee = person.alias("payee")
    with engine.connect() as connection:
        rows = connection.execute(
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


def with_totals(report: pl.DataFrame) -> pl.DataFrame:
    """The report with a last row, programme "total", summing its figures (beneficiaries: one per
    person and programme, as in the rows)."""
    totals = report.select(
        pl.lit("total").alias("programme"),
        pl.lit(None, pl.String).alias("governorate"),
        *(pl.col(c).sum().cast(pl.Int64) for c in ("beneficiaries", "amount", "recovered", "exceptions")),
    )
    return pl.concat([report, totals])
