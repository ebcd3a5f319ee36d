"""Building blocks shared by the Oman rules: the base condition (ages and being alive: `policy/ages.py`)."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.ages import BIRTH_MONTH_DAY, BIRTH_YEAR, age_at, alive, birth_parts, born_by
from himaya.policy.pack import Check, Figure, Shown

__all__ = [
    "BIRTH_MONTH_DAY",
    "BIRTH_YEAR",
    "OMANI",
    "age_at",
    "age_figure",
    "alive",
    "base_checks",
    "birth_parts",
    "born_by",
]

OMANI = "OM"


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
