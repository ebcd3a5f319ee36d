"""The public statistics' figures, summed in the database: one GROUP BY statement per table over
the whole registry (never a query per person), and the tables as published, kept per month and
version of the data so that the public page and the open-data downloads cost one cheap read.

- beneficiaries: persons with an enrollment in force in the month (started in or before it, not
  ended before it), by programme and the person's governorate; a person is counted once among
  the enrollments of one programme, place and span of months (the registry holds one enrollment
  in force per person and programme: the sync enrolls only who is not enrolled);
- spending: what the month's payroll run sent to the banks and was not rejected or returned
  (lines exported or paid, net of recoveries), by programme and governorate, with the distinct
  persons it was for.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy import BigInteger, Connection, Engine, func, or_, select
from sqlalchemy import cast as sa_cast

from himaya.analysis.public import RAW, Rules, publish
from himaya.db.tables import enrollment, payment_line, payroll_run, person
from himaya.payroll.model import LineStatus

__all__ = ["figures", "published", "version"]

SENT = (LineStatus.EXPORTED.value, LineStatus.PAID.value)  # money that left the Fund


def version(connection: Connection) -> str:
    """What changes when the figures do: the enrollments' count, last id and versions (an
    enrollment ended is a new version), the last payment line's id (lines are added, never
    removed) and the runs' versions (moved with their state). What it misses (a governorate
    changed, a bank's answer before the run is reconciled) shows once the kept tables expire
    (`KEPT_SECONDS`). Not the audit trail's end: reads are audited, and every search would throw
    the tables away."""
    enrolled = connection.execute(
        select(func.max(enrollment.c.id), func.count(), func.coalesce(func.sum(enrollment.c.version), 0))
    ).one()
    line = connection.execute(select(func.max(payment_line.c.id))).scalar() or 0
    runs = connection.execute(select(func.count(), func.coalesce(func.sum(payroll_run.c.version), 0))).one()
    return ".".join(str(v or 0) for v in (*enrolled, line, *runs))


def figures(connection: Connection, months: Sequence[date]) -> pl.DataFrame:
    """Per month, programme and governorate: beneficiaries, payees and the amount paid (baisa)."""
    if not months:
        return pl.DataFrame(schema=RAW)
    # Enrollments counted once by their programme, place and months (one scan, a few thousand
    # groups), then laid over the months here: joining every enrollment to every month in SQL
    # makes SQLite look up each person's enrollments once a month.
    spans = connection.execute(
        select(
            enrollment.c.programme,
            person.c.governorate,
            enrollment.c.start_month,
            enrollment.c.end_month,
            func.count(func.distinct(enrollment.c.person_id)),
        )
        .join(person, person.c.id == enrollment.c.person_id)
        .where(
            enrollment.c.start_month <= max(months),
            or_(enrollment.c.end_month.is_(None), enrollment.c.end_month >= min(months)),
        )
        .group_by(enrollment.c.programme, person.c.governorate, enrollment.c.start_month, enrollment.c.end_month)
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
    span = {
        "programme": pl.String,
        "governorate": pl.String,
        "start": pl.Date,
        "end": pl.Date,
        "beneficiaries": pl.Int64,
    }
    left = (
        pl.DataFrame(spans, schema=span, orient="row")
        .join(pl.DataFrame({"month": list(months)}, schema={"month": pl.Date}), how="cross")
        .filter(pl.col("start") <= pl.col("month"), pl.col("end").is_null() | (pl.col("end") >= pl.col("month")))
        .group_by("month", "programme", "governorate")
        .agg(pl.col("beneficiaries").sum())
    )
    right = pl.DataFrame(paid, schema={**keys, "payees": pl.Int64, "amount": pl.Int64}, orient="row")
    joined = left.join(right, on=list(keys), how="full", coalesce=True, nulls_equal=True)
    return joined.with_columns(pl.col("beneficiaries", "payees", "amount").fill_null(0)).select(list(RAW))


Key = tuple[str, str, date, Rules, tuple[str, ...], tuple[str, ...]]
_CACHE: OrderedDict[Key, tuple[float, pl.DataFrame]] = OrderedDict()
_LOCK = threading.Lock()
CACHED_MONTHS = 512  # tables kept (a month's table is about a hundred rows)
KEPT_SECONDS = 600.0  # the longest a kept table is used


def published(
    engine: Engine, months: Sequence[date], *, programmes: Sequence[str], governorates: Sequence[str], rules: Rules
) -> tuple[pl.DataFrame, str]:
    """The months' tables as published (`analysis.public.publish`) and a version of them (for
    ETags): tables kept for this version of the data and younger than `KEPT_SECONDS` are reused,
    the others summed in one statement per table."""
    now = time.monotonic()
    with engine.connect() as connection:
        current = version(connection)
        shape = (tuple(programmes), tuple(governorates))
        key = (engine.url.render_as_string(hide_password=True), current)
        with _LOCK:
            found = {m: _CACHE.get((*key, m, rules, *shape)) for m in months}
        kept = {m: hit for m, hit in found.items() if hit is not None and now - hit[0] < KEPT_SECONDS}
        missing = [m for m in months if m not in kept]
        if missing:
            made = publish(
                figures(connection, missing), missing, programmes=programmes, governorates=governorates, rules=rules
            )
            with _LOCK:
                for (month,), table in made.partition_by("month", as_dict=True, maintain_order=True).items():
                    day = date.fromisoformat(f"{month}-01")
                    kept[day] = _CACHE[(*key, day, rules, *shape)] = (now, table)
                while len(_CACHE) > CACHED_MONTHS:
                    _CACHE.popitem(last=False)
    tables = [kept[m][1] for m in months if m in kept]
    made_at = min((kept[m][0] for m in months if m in kept), default=now)
    stamp = f"{current}.{int(made_at * 1000)}"  # the same tables, the same stamp, in this process
    return (pl.concat(tables) if tables else made_empty(rules)), stamp


def made_empty(rules: Rules) -> pl.DataFrame:
    return publish(pl.DataFrame(schema=RAW), [], programmes=(), governorates=(), rules=rules)
