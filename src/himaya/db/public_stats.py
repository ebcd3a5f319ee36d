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

import logging
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

log = logging.getLogger("himaya.public")

SENT = (LineStatus.EXPORTED.value, LineStatus.PAID.value)  # money that left the Fund


def version(connection: Connection) -> str:
    """What changes when most figures do, in four reads of an index's end or of the few runs:
    enrollments and payment lines are added with growing ids, and a run's version moves with its
    state. What it misses (an enrollment ended without any new one, a governorate changed, a bank's
    answer before the run is reconciled) shows once the kept tables expire (`KEPT_SECONDS`). Not
    the audit trail's end (reads are audited: every search would throw the tables away), nor a sum
    over the enrollments (a scan of every one, on every request)."""
    ends = [connection.execute(select(func.max(t.c.id))).scalar() or 0 for t in (enrollment, payment_line)]
    runs = connection.execute(select(func.count(), func.coalesce(func.sum(payroll_run.c.version), 0))).one()
    return ".".join(str(v or 0) for v in (*ends, *runs))


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


Key = tuple[str, date, Rules, tuple[str, ...], tuple[str, ...]]  # store, month, rules, rows and columns
_KEPT: OrderedDict[Key, tuple[str, float, pl.DataFrame]] = OrderedDict()  # the version, when made, the table
_MAKING: set[Key] = set()  # tables being made again in the background
_LOCK = threading.Lock()
_FIRST = threading.Lock()  # one request at a time makes the tables that none has yet
CACHED_MONTHS = 512  # tables kept (a month's table is about a hundred rows)
KEPT_SECONDS = 300.0  # the longest a kept table counts as current (as long as a cache may keep an answer)


def published(
    engine: Engine,
    months: Sequence[date],
    *,
    programmes: Sequence[str],
    governorates: Sequence[str],
    rules: Rules,
    fresh: bool = True,
) -> tuple[pl.DataFrame, str]:
    """The months' tables as published (`analysis.public.publish`) and a stamp of them (for ETags).

    Tables kept for the data's current version and younger than `KEPT_SECONDS` are reused; the
    others are summed in one statement per table. Without `fresh` (a page or an API answer that
    must come fast), a table kept for an older version is answered as it is while the new one is
    made in the background, so that only the very first request waits for the sums."""
    now = time.monotonic()
    shape = (tuple(programmes), tuple(governorates))
    store = engine.url.render_as_string(hide_password=True)
    with engine.connect() as connection:
        current = version(connection)
        with _LOCK:
            found = {m: _KEPT.get((store, m, rules, *shape)) for m in months}
        kept = {m: hit for m, hit in found.items() if hit and hit[0] == current and now - hit[1] < KEPT_SECONDS}
        stale = [m for m in months if m not in kept and found[m] is not None and not fresh]
        missing = [m for m in months if m not in kept and m not in stale]
        if missing:
            kept |= _made_once(connection, store, current, missing, rules, shape)
    if stale:
        kept |= {m: hit for m in stale if (hit := found[m]) is not None}
        _make_later(engine, store, stale, rules, shape)
    tables = [kept[m][2] for m in months]
    stamp = ".".join(sorted({f"{hit[0]}.{int(hit[1] * 1000)}" for hit in kept.values()}))
    return (
        pl.concat(tables)
        if tables
        else publish(pl.DataFrame(schema=RAW), [], programmes=(), governorates=(), rules=rules)
    ), stamp


def _make(
    connection: Connection,
    store: str,
    current: str,
    months: Sequence[date],
    rules: Rules,
    shape: tuple[tuple[str, ...], tuple[str, ...]],
) -> dict[date, tuple[str, float, pl.DataFrame]]:
    """The months' tables summed and published now, and kept."""
    made = publish(figures(connection, months), months, programmes=shape[0], governorates=shape[1], rules=rules)
    now = time.monotonic()
    tables = {months[k]: t for k, t in enumerate(made.partition_by("month", maintain_order=True))}
    with _LOCK:
        for month, table in tables.items():
            _KEPT[(store, month, rules, *shape)] = (current, now, table)
            _KEPT.move_to_end((store, month, rules, *shape))
        while len(_KEPT) > CACHED_MONTHS:
            _KEPT.popitem(last=False)
    return {m: (current, now, t) for m, t in tables.items()}


def _made_once(
    connection: Connection,
    store: str,
    current: str,
    months: Sequence[date],
    rules: Rules,
    shape: tuple[tuple[str, ...], tuple[str, ...]],
) -> dict[date, tuple[str, float, pl.DataFrame]]:
    """`_make`, once for requests that find the same tables missing at the same time: the first
    makes them, the others wait for it and take what it kept (before, each summed them itself, and
    a server started under load spent seconds of every core summing the same tables many times)."""
    with _FIRST:
        now = time.monotonic()
        with _LOCK:
            found = {m: _KEPT.get((store, m, rules, *shape)) for m in months}
        ready = {m: hit for m, hit in found.items() if hit and hit[0] == current and now - hit[1] < KEPT_SECONDS}
        still = [m for m in months if m not in ready]
        return ready | (_make(connection, store, current, still, rules, shape) if still else {})


def _make_later(
    engine: Engine, store: str, months: Sequence[date], rules: Rules, shape: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    """Make the months' tables again in a thread of their own, unless one is making them already."""
    keys = [(store, m, rules, *shape) for m in months]
    with _LOCK:
        if any(k in _MAKING for k in keys):
            return
        _MAKING.update(keys)

    def make() -> None:
        try:
            with engine.connect() as connection:
                _make(connection, store, version(connection), months, rules, shape)
        except Exception:
            log.exception("the public statistics of %s could not be made again", ", ".join(map(str, months)))
        finally:
            with _LOCK:
                _MAKING.difference_update(keys)

    threading.Thread(target=make, name="public-statistics", daemon=True).start()
