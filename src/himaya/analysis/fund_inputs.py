"""What the fund's projection reads: the insurance rules of each year, resolved by `bootstrap` from
the pack's parameters through `himaya.insurance` (the formulas' own readers, so nothing is encoded
twice), and the projection's ASSUMED parameters (`insurance.projection.*`), read here.

Amounts are in the currency's smallest unit (baisa), as floats: a projection's flows are expected
values, rounded to the baisa only in its table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from himaya.policy.parameters import ParameterError, ParameterTree

PREFIX = "insurance.projection."
# The branches whose contributions the projection counts (the Omani insured's); the savings scheme
# of non-Omanis is individual accounts, not the fund's pooled reserve, and is left out.
CONTRIBUTING = ("old_age", "work_injury", "job_security", "maternity", "sick_leave")


@dataclass(frozen=True)
class YearRules:
    """The insurance rules of one year, as the projection uses them (bootstrap fills them in)."""

    contribution: Mapping[str, float]  # branch -> employee + employer rate, mean of the year's months
    ceiling: Mapping[str, float | None]  # branch -> monthly wage ceiling (baisa), None: none
    in_force: Mapping[str, float]  # branch -> share of the year's months in which it is in force
    accrual: float  # of the average revalued wage per year of service
    women_earlier: int  # years before the pension age at which women retire unreduced
    minimum_months: int  # of contributions, for an old-age pension
    minimum_pension: float  # baisa a month
    maximum: float  # of the average wage
    invalidity_minimum_months: int
    credited: bool  # disability and death: the years to the pension age are credited
    revaluation: float  # yearly revaluation of past wages
    job_security_rate: float
    job_security_minimum: float  # baisa a month
    job_security_months: int  # most months a claim is paid
    maternity_rate: float
    maternity_days: int
    maternity_divisor: int  # days a monthly wage is divided by


@dataclass(frozen=True)
class Assumptions:
    """The projection's ASSUMED parameters (`himaya parameters --status ASSUMED`), and the levers of
    its sensitivity analysis (`shifted`)."""

    initial_reserve: float  # baisa, 1 January of the first year
    insured: tuple[float, float]  # active insured share of working-age citizens: men, women
    entry_age: int
    average_wage: float  # baisa a month, the first year
    wage_dispersion: float
    density: float
    pensioners: float
    pensioners_men: float
    average_pension: float  # baisa a month
    pension_indexation: float
    administration: float  # of benefit expenditure
    disability_incidence: float
    survivors: float
    survivors_exit: float
    job_loss: float
    job_security_months: int
    work_injury_cost: float  # of insured wages
    sick_leave_cost: float
    returns: Mapping[int, float]  # nominal return of each year
    pension_age: Mapping[int, int]  # men's unreduced pension age of each year

    def shifted(self, *, returns: float = 0.0, take_up: float = 1.0) -> Assumptions:
        """The same with every year's return moved by `returns` and coverage times `take_up`."""
        return replace(
            self,
            returns={year: rate + returns for year, rate in self.returns.items()},
            insured=(self.insured[0] * take_up, self.insured[1] * take_up),
        )


def _value(tree: ParameterTree, name: str, day: date) -> object:
    parameter = tree[PREFIX + name]
    return parameter.value_at(max(day, parameter.values[0].start)).value


def _float(tree: ParameterTree, name: str, day: date) -> float:
    value = _value(tree, name, day)
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise ParameterError(f"parameter {PREFIX}{name}: {value!r} is not a number")
    return float(value)


def _whole(tree: ParameterTree, name: str, day: date) -> int:
    value = _value(tree, name, day)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"parameter {PREFIX}{name}: {value!r} is not a whole number")
    return value


def assumptions(tree: ParameterTree, first: int, last: int) -> Assumptions:
    """The ASSUMED parameters in force on 1 January of `first` (returns and the pension age: of each
    year to `last`, on 1 July)."""
    day = date(first, 1, 1)

    def f(name: str) -> float:
        return _float(tree, name, day)

    years = range(first, last + 1)
    return Assumptions(
        initial_reserve=f("initial_reserve"),
        insured=(f("insured_men"), f("insured_women")),
        entry_age=_whole(tree, "entry_age", day),
        average_wage=f("average_wage"),
        wage_dispersion=f("wage_dispersion"),
        density=f("density"),
        pensioners=f("pensioners"),
        pensioners_men=f("pensioners_men"),
        average_pension=f("average_pension"),
        pension_indexation=f("pension_indexation"),
        administration=f("administration"),
        disability_incidence=f("disability_incidence"),
        survivors=f("survivors"),
        survivors_exit=f("survivors_exit"),
        job_loss=f("job_loss"),
        job_security_months=_whole(tree, "job_security_months", day),
        work_injury_cost=f("work_injury_cost"),
        sick_leave_cost=f("sick_leave_cost"),
        returns={y: _float(tree, "investment_return", date(y, 7, 1)) for y in years},
        pension_age={y: _whole(tree, "pension_age", date(y, 7, 1)) for y in years},
    )
