"""Monthly periods: the unit of every entitlement and payroll."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month.

    >>> p = Period.parse("2026-02")
    >>> p.start, p.end, str(p)
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), '2026-02')
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not between 1 and 12")
        # Far enough for any record and projection, and clear of the calendar's edges (year 0).
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"year {self.year} is not between 1900 and 2999")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip())
        if match is None:
            raise ValueError(f"period {text!r} is not a month like 2026-01 (YYYY-MM)")
        return cls(int(match.group("year")), int(match.group("month")))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def shifted(self, months: int) -> Period:
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
