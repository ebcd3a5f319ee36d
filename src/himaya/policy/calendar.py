"""Working days: a country's weekend and its public holidays, for deadlines counted in working days.

A deadline of N working days from a day is the N-th working day after it (the day itself does not
count, whether or not it is a working day): a case received on a Thursday in Oman with a deadline of
one working day is due the next Sunday.

>>> oman = WorkingCalendar(weekend=frozenset({4, 5}), holidays=frozenset())
>>> oman.add(date(2026, 1, 1), 1)   # Thursday + 1 working day: Friday and Saturday are the weekend
datetime.date(2026, 1, 4)
>>> oman.between(date(2026, 1, 1), date(2026, 1, 4))
1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from himaya.core.text import Text

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Holiday:
    """One public holiday (a day, or several in a row), with its name and how sure its dates are:
    the dates of the Islamic holidays follow the sighting of the moon and are announced each year."""

    first: date
    last: date
    name: Text
    status: str  # CONFIRMED, LIKELY, ASSUMED (as parameters)
    reference: str

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class WorkingCalendar:
    weekend: frozenset[int]  # date.weekday() numbers: Monday 0 ... Sunday 6
    holidays: frozenset[date]
    listed: tuple[Holiday, ...] = ()  # the holidays as the pack lists them, for reading
    covers: tuple[int, int] | None = None  # the first and last years whose holidays are listed

    def is_working(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself when `days` is 0)."""
        if days < 0:
            raise ValueError(f"a deadline counts forward: {days} working days")
        day = start
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_working(day):
                day += timedelta(days=1)
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
        if end < start:
            return -self.between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working(start + timedelta(days=n)))
