"""Building blocks shared by the Oman rules: ages, being alive, the base condition."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Check, Figure, Shown

OMANI = "OM"


def age_at(day: date) -> pl.Expr:
    """Completed years at `day`: born 2008-03-15 is 17 on 2026-03-14 and 18 on 2026-03-15.

    Someone born on 29 February reaches a new age on 1 March in years without that day.
    """
    born = pl.col("birth_date")
    before_birthday = pl.lit(day.month * 100 + day.day) < (
        born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)
    )
    return (pl.lit(day.year) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def alive(period: Period) -> pl.Expr:
    """Alive in the month: the month of death is still paid."""
    return pl.col("death_date").is_null() | (pl.col("death_date") >= period.start)


def born_by(period: Period) -> pl.Expr:
    """Born by the end of the month: the month of birth is paid."""
    return pl.col("birth_date") <= period.end


def base_checks(period: Period) -> tuple[Check, ...]:
    """The base condition of every individual benefit."""
    return (
        Check("omani", Text("Omani national", "مواطن عُماني"), pl.col("nationality") == OMANI),
        Check("resident", Text("lives in Oman", "مقيم في سلطنة عُمان"), pl.col("resident")),
        Check("alive", Text("alive in the month", "على قيد الحياة في الشهر"), alive(period)),
        Check("born", Text("born by the end of the month", "مولود بنهاية الشهر"), born_by(period)),
    )


def age_figure(day: date, *, key: str) -> Figure:
    return Figure(
        key,
        Text(f"age on {day.isoformat()}", f"العمر في {day.isoformat()}"),
        age_at(day),
        Shown.NUMBER,
    )
