"""Ages and being alive in a month, as Polars expressions every pack's rules may use.

A pack puts `birth_parts()` in its `derived` columns: every age is then plain arithmetic.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period

BIRTH_YEAR = "birth.year"
BIRTH_MONTH_DAY = "birth.month_day"


def birth_parts() -> tuple[pl.Expr, ...]:
    """Year and month-day of birth, taken once per run: every age below is then plain arithmetic."""
    born = pl.col("birth_date")
    return (
        born.dt.year().cast(pl.Int32).alias(BIRTH_YEAR),
        (born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)).alias(BIRTH_MONTH_DAY),
    )


def age_at(day: date) -> pl.Expr:
    """Completed years at `day`: born 2008-03-15 is 17 on 2026-03-14 and 18 on 2026-03-15.

    Someone born on 29 February reaches a new age on 1 March in years without that day.
    """
    before_birthday = pl.lit(day.month * 100 + day.day, pl.Int32) < pl.col(BIRTH_MONTH_DAY)
    return pl.lit(day.year, pl.Int32) - pl.col(BIRTH_YEAR) - before_birthday.cast(pl.Int32)


def alive(period: Period) -> pl.Expr:
    """Alive in the month: the month of death is still paid."""
    return pl.col("death_date").is_null() | (pl.col("death_date") >= period.start)


def born_by(period: Period) -> pl.Expr:
    """Born by the end of the month: the month of birth is paid."""
    return pl.col("birth_date") <= period.end
