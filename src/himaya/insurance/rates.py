"""The pack's insurance parameters resolved for one month, before any rule runs: the rules see plain
numbers (exact fractions, baisa, dates), never a parameter lookup.

A branch that starts in the middle of a month (maternity on 19 July 2024) is read on the month's
last day or on its first, as `insurance.rates_at_month_end` says; a month's contributions are due
on `insurance.due_day` of the next month (the last day of a shorter month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from himaya.core.periods import Period
from himaya.insurance.model import ON_BASIC_WAGE, Branch, Coverage
from himaya.policy.parameters import ParameterError, ParameterTree, ParameterValue


@dataclass(frozen=True)
class BranchRates:
    branch: Branch
    employee: Fraction
    employer: Fraction
    covers: frozenset[Coverage]
    ceiling: int | None  # baisa a month; None: none (the savings scheme, on the basic wage)

    @property
    def on_basic_wage(self) -> bool:
        return self.branch in ON_BASIC_WAGE


@dataclass(frozen=True)
class MonthRates:
    """Everything a month's contributions and their lateness are computed from."""

    month: Period
    read_on: date  # the day the rates in force were read
    branches: tuple[BranchRates, ...]
    prorate: bool  # the wage times the days worked over the month's days
    due: date  # when the month's contributions are due
    surcharge: Fraction  # per month or part of a month late, on the amount late

    def of(self, branch: Branch) -> BranchRates:
        return next(b for b in self.branches if b.branch == branch)


def _value(tree: ParameterTree, path: str, day: date) -> ParameterValue:
    return tree[path].value_at(day).value


def _fraction(tree: ParameterTree, path: str, day: date) -> Fraction:
    value = _value(tree, path, day)
    if not isinstance(value, Fraction):
        raise ParameterError(f"parameter {path} must be a rate")
    return value


def _covers(tree: ParameterTree, path: str, day: date) -> frozenset[Coverage]:
    codes = _value(tree, path, day)
    known = {c.value for c in Coverage}
    if not isinstance(codes, tuple) or not {str(c) for c in codes} <= known:
        raise ParameterError(f"parameter {path} from {day}: codes must be among {', '.join(sorted(known))}: {codes}")
    return frozenset(Coverage(str(c)) for c in codes)


def branch_rates(tree: ParameterTree, branch: Branch, day: date) -> BranchRates:
    """The branch's rates, coverage and ceiling in force on `day`."""
    prefix = f"insurance.{branch.value}"
    ceiling = _value(tree, f"{prefix}.ceiling", day) if f"{prefix}.ceiling" in tree else None
    if ceiling is not None and not isinstance(ceiling, int):
        raise ParameterError(f"parameter {prefix}.ceiling must be an amount")
    return BranchRates(
        branch,
        _fraction(tree, f"{prefix}.employee", day),
        _fraction(tree, f"{prefix}.employer", day),
        _covers(tree, f"{prefix}.covers", day),
        ceiling,
    )


def due_date(month: Period, day_of_next_month: int) -> date:
    """The due date of `month`'s contributions: that day of the next month, or its last day.

    >>> due_date(Period(2026, 1), 15), due_date(Period(2026, 1), 31)
    (datetime.date(2026, 2, 15), datetime.date(2026, 2, 28))
    """
    following = month.shifted(1)
    return date(following.year, following.month, min(day_of_next_month, following.end.day))


def month_rates(tree: ParameterTree, month: Period) -> MonthRates:
    """The rates of `month`'s contributions, read on its last day or its first."""
    at_end = _value(tree, "insurance.rates_at_month_end", month.start)
    day = month.end if at_end else month.start
    due_day = _value(tree, "insurance.due_day", day)
    if not isinstance(due_day, int) or not 1 <= due_day <= 31:
        raise ParameterError(f"parameter insurance.due_day from {day}: {due_day!r} is not a day of the month (1 to 31)")
    return MonthRates(
        month=month,
        read_on=day,
        branches=tuple(branch_rates(tree, branch, day) for branch in Branch),
        prorate=bool(_value(tree, "insurance.prorate_days", day)),
        due=due_date(month, due_day),
        surcharge=_fraction(tree, "insurance.late_surcharge", day),
    )
