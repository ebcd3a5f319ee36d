"""The public statistics' figures, summed in the database: one GROUP BY statement per table over
the whole registry (never a query per person), and the tables as published, kept per month and
version of the data so that the public page and the open-data downloads cost one cheap read.

- beneficiaries: distinct persons with an enrollment in force in the month (started in or before
  it, not ended before it), by programme and the person's governorate;
- spending: what the month's payroll run sent to the banks and was not rejected or returned
  (lines exported or paid, net of recoveries), by programme and governorate, with the distinct
  persons it was for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy import BigInteger, Connection, Date, Engine, and_, func, literal, or_, select, union_all
from sqlalchemy import cast as sa_cast

from himaya.analysis.public import RAW, Rules, publish
from himaya.db.tables import audit_entry, enrollment, payment_line, payroll_run, person
from himaya.payroll.model import LineStatus

__all__ = ["figures", "published", "version"]

SENT = (LineStatus.EXPORTED.value, LineStatus.PAID.value)  # money that left the Fund


def version(connection: Connection) -> str:
    """What changes whenever the figures may: every write of the registry, the enrollments and the
    payroll is audited, and rows are added with growing ids (three reads of a primary key's end)."""
    ends = [connection.execute(select(func.max(t.c.id))).scalar() or 0 for t in (audit_entry, enrollment, payment_line)]
    return ".".join(str(e) for e in ends)


def _months(months: Sequence[date]):  # type: ignore[no-untyped-def]
    """The months as a small table of one column, `month`."""
    return union_all(*(select(literal(m, Date).label("month")) for m in months)).subquery("months")


def figures(connection: Connection, months: Sequence[date]) -> pl.DataFrame:
    """Per month, programme and governorate: beneficiaries, payees and the amount paid (baisa)."""
    if not months:
        return pl.DataFrame(schema=RAW)
    m = _months(months)
    in_force = and_(
        enrollment.c.start_month <= m.c.month,
        or_(enrollment.c.end_month.is_(None), enrollment.c.end_month >= m.c.month),
    )
    enrolled = connection.execute(
        select(
            m.c.month, enrollment.c.programme, person.c.governorate, func.count(func.distinct(enrollment.c.person_id))
        )
        .select_from(m.join(enrollment, in_force).join(person, person.c.id == enrollment.c.person_id))
        .group_by(m.c.month, enrollment.c.programme, person.c.governorate)
    ).all()
    paid = connection.execute(
        select(
            payroll_run.c.period,
            payment_line.c.programme,
            person.c.governorate,
            func.count(func.distinct(payment_line.c.person_id)),
            # PostgreSQL sums integers as numeric: back to integers, the same on both databases.
            sa_cast(func.sum(payment_line.c.amount - payment_line.c.deduction), BigInteger),
        )
        .join(payroll_run, payroll_run.c.id == payment_line.c.run_id)
        .join(person, person.c.id == payment_line.c.person_id)
        .where(payroll_run.c.period.in_(months), payment_line.c.status.in_(SENT))
        .group_by(payroll_run.c.period, payment_line.c.programme, person.c.governorate)
    ).all()
    keys = {"month": pl.Date, "programme": pl.String, "governorate": pl.String}
    left = pl.DataFrame(enrolled, schema={**keys, "beneficiaries": pl.Int64}, orient="row")
    right = pl.DataFrame(paid, schema={**keys, "payees": pl.Int64, "amount": pl.Int64}, orient="row")
    joined = left.join(right, on=list(keys), how="full", coalesce=True, nulls_equal=True)
    return joined.with_columns(pl.col("beneficiaries", "payees", "amount").fill_null(0)).select(list(RAW))


_CACHE: OrderedDict[tuple[str, str, date, Rules, tuple[str, ...], tuple[str, ...]], pl.DataFrame] = OrderedDict()
_LOCK = threading.Lock()
CACHED_MONTHS = 512  # tables kept (a month's table is about a hundred rows)


def published(
    engine: Engine, months: Sequence[date], *, programmes: Sequence[str], governorates: Sequence[str], rules: Rules
) -> tuple[pl.DataFrame, str]:
    """The months' tables as published (`analysis.public.publish`) and the data's version: tables
    already made for this version are reused, the others summed in one statement per table."""
    with engine.connect() as connection:
        current = version(connection)
        shape = (tuple(programmes), tuple(governorates))
        key = (engine.url.render_as_string(hide_password=True), current)
        with _LOCK:
            kept = {m: _CACHE.get((*key, m, rules, *shape)) for m in months}
        missing = [m for m, table in kept.items() if table is None]
        if missing:
            made = publish(
                figures(connection, missing), missing, programmes=programmes, governorates=governorates, rules=rules
            )
            with _LOCK:
                for (month,), table in made.partition_by("month", as_dict=True, maintain_order=True).items():
                    kept[date.fromisoformat(f"{month}-01")] = table
                    _CACHE[(*key, date.fromisoformat(f"{month}-01"), rules, *shape)] = table
                while len(_CACHE) > CACHED_MONTHS:
                    _CACHE.popitem(last=False)
    tables = [t for t in kept.values() if t is not None]
    return (
        pl.concat(tables)
        if tables
        else publish(pl.DataFrame(schema=RAW), [], programmes=(), governorates=(), rules=rules)
    ), current
