"""The contribution rates by date (RD 52/2023 and RD 60/2025): each branch at the day it starts, the
month a mid-month start is charged in, the wage ceiling and the days worked. No database."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl
import pytest

from himaya.core.periods import Period
from himaya.insurance.model import Branch, Coverage
from himaya.insurance.rates import month_rates
from himaya.insurance.rules import contributions
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterError, ParameterTree, Status


def _at(oman: PolicyPack, path: str, day: date) -> object:
    return oman.parameters[path].value_at(day).value


@pytest.mark.parametrize(
    ("path", "start", "before", "after"),
    [
        ("insurance.maternity.employer", date(2024, 7, 19), Fraction(0), Fraction(1, 100)),
        ("insurance.sick_leave.employer", date(2026, 7, 19), Fraction(0), Fraction(1, 100)),
        ("insurance.savings.employer", date(2027, 7, 19), Fraction(0), Fraction(9, 100)),
        ("insurance.work_injury.covers", date(2028, 7, 19), ("omani",), ("omani", "non_omani")),
    ],
)
def test_each_branch_starts_on_its_day(oman: PolicyPack, path: str, start: date, before: object, after: object) -> None:
    assert _at(oman, path, date.fromordinal(start.toordinal() - 1)) == before
    assert _at(oman, path, start) == after


def test_the_rates_of_the_law(oman: PolicyPack) -> None:
    rates = month_rates(oman.parameters, Period(2026, 1))
    old_age, injury, security = (rates.of(b) for b in (Branch.OLD_AGE, Branch.WORK_INJURY, Branch.JOB_SECURITY))
    assert (old_age.employee, old_age.employer, old_age.ceiling) == (Fraction(75, 1000), Fraction(11, 100), 3_000_000)
    assert old_age.covers == {Coverage.OMANI}
    assert (injury.employee, injury.employer, injury.ceiling) == (0, Fraction(1, 100), 3_000_000)
    assert (security.employee, security.employer) == (Fraction(5, 1000), Fraction(5, 1000))
    assert rates.of(Branch.SAVINGS).ceiling is None and rates.of(Branch.SAVINGS).on_basic_wage
    assert rates.due == date(2026, 2, 15) and rates.surcharge == Fraction(1, 100)


@pytest.mark.parametrize(
    ("branch", "last_without", "first_with"),
    [
        (Branch.MATERNITY, Period(2024, 6), Period(2024, 7)),
        (Branch.SICK_LEAVE, Period(2026, 6), Period(2026, 7)),
        (Branch.SAVINGS, Period(2027, 6), Period(2027, 7)),
    ],
)
def test_a_branch_starting_mid_month_is_charged_for_that_month(
    oman: PolicyPack, branch: Branch, last_without: Period, first_with: Period
) -> None:
    """`insurance.rates_at_month_end` (ASSUMED, true): the rates in force on the month's last day."""
    assert month_rates(oman.parameters, last_without).of(branch).employer == 0
    assert month_rates(oman.parameters, first_with).of(branch).employer > 0


def _switched(oman: PolicyPack, path: str, value: object) -> ParameterTree:
    parameter = oman.parameters[path].with_value(date(2024, 1, 1), value, "test")  # type: ignore[arg-type]
    return oman.parameters.replaced([parameter])


def test_with_the_rates_of_the_first_day_a_mid_month_start_waits_a_month(oman: PolicyPack) -> None:
    tree = _switched(oman, "insurance.rates_at_month_end", False)
    assert month_rates(tree, Period(2024, 7)).of(Branch.MATERNITY).employer == 0
    assert month_rates(tree, Period(2024, 8)).of(Branch.MATERNITY).employer == Fraction(1, 100)
    assert month_rates(tree, Period(2024, 7)).read_on == date(2024, 7, 1)


def _shares(
    oman: PolicyPack, month: Period, *rows: tuple[bool, int, int, int], tree: ParameterTree | None = None
) -> list[dict[str, int]]:
    """Each line's shares: (omani, wage, basic wage, days) in baisa and days."""
    lines = pl.DataFrame(
        [{"omani": o, "wage": w, "basic_wage": b, "days": d} for o, w, b, d in rows],
        schema={"omani": pl.Boolean, "wage": pl.Int64, "basic_wage": pl.Int64, "days": pl.Int64},
    )
    return contributions(lines, month_rates(tree or oman.parameters, month)).drop(lines.columns).to_dicts()


def test_who_each_branch_covers_month_by_month(oman: PolicyPack) -> None:
    full = 500_000
    omani, other = (True, full, full, 31), (False, full, 400_000, 31)  # whole months of July
    june = _shares(oman, Period(2026, 6), (True, full, full, 30))
    july = _shares(oman, Period(2026, 7), omani, other)
    assert june[0]["sick_leave_employer"] == 0 and july[0]["sick_leave_employer"] == 5_000
    assert july[1]["sick_leave_employer"] == 5_000 and july[1]["maternity_employer"] == 5_000
    assert july[1]["old_age_employee"] == july[1]["job_security_employee"] == july[1]["work_injury_employer"] == 0
    assert july[0]["old_age_employee"] == 37_500 and july[0]["old_age_employer"] == 55_000
    assert july[0]["job_security_employee"] == july[0]["job_security_employer"] == 2_500
    # The savings scheme: non-Omanis only, 9 % of the basic wage, from July 2027.
    assert _shares(oman, Period(2027, 6), (False, full, 400_000, 30))[0]["savings_employer"] == 0
    savings = _shares(oman, Period(2027, 7), omani, other)
    assert savings[0]["savings_employer"] == 0 and savings[1]["savings_employer"] == 36_000
    # Work injury for non-Omanis from July 2028.
    assert _shares(oman, Period(2028, 6), (False, full, full, 30))[0]["work_injury_employer"] == 0
    assert _shares(oman, Period(2028, 7), other)[0]["work_injury_employer"] == 5_000


@pytest.mark.parametrize("wage", [3_000_000, 3_000_001, 5_000_000, 900_000_000])
def test_the_wage_ceiling_caps_every_branch_but_the_savings_scheme(oman: PolicyPack, wage: int) -> None:
    [omani] = _shares(oman, Period(2026, 7), (True, wage, wage, 31))
    assert (omani["old_age_employee"], omani["old_age_employer"]) == (225_000, 330_000)
    assert omani["work_injury_employer"] == omani["maternity_employer"] == omani["sick_leave_employer"] == 30_000
    assert omani["job_security_employee"] == 15_000
    [other] = _shares(oman, Period(2027, 7), (False, wage, wage, 31))
    assert other["savings_employer"] == wage * 9 // 100 + (1 if wage * 9 % 100 >= 50 else 0)


def test_the_days_worked_prorate_the_wage_rounded_half_up_once(oman: PolicyPack) -> None:
    # 420.000 for 15 of 31 days: 203.2258... contributory; 7.5 % is 15.2419... -> 15.242
    [line] = _shares(oman, Period(2026, 1), (True, 420_000, 420_000, 15))
    assert line["old_age_employee"] == 15_242 and line["old_age_employer"] == 22_355
    # 3,500.000 for 20 of 31 days: the ceiling first, then the days: 3000 x 20 / 31 x 11 %
    [capped] = _shares(oman, Period(2026, 1), (True, 3_500_000, 3_500_000, 20))
    assert capped["old_age_employer"] == 212_903
    # A half baisa rounds up: 0.100 x 7.5 % = 0.0075 -> 0.008
    [half] = _shares(oman, Period(2026, 1), (True, 100, 100, 31))
    assert half["old_age_employee"] == 8


def test_without_proration_the_declared_wage_is_taken_whole(oman: PolicyPack) -> None:
    tree = _switched(oman, "insurance.prorate_days", False)
    [line] = _shares(oman, Period(2026, 1), (True, 420_000, 420_000, 15), tree=tree)
    assert line["old_age_employee"] == 31_500


def test_the_unknowns_are_assumed_parameters_with_their_reasons(oman: PolicyPack) -> None:
    assumed = {p.path for p in oman.parameters if p.status is Status.ASSUMED and p.path.startswith("insurance.")}
    assert {"insurance.late_surcharge", "insurance.due_day", "insurance.rates_at_month_end"} <= assumed
    assert {"insurance.prorate_days", "insurance.job_security.ceiling"} <= assumed
    confirmed = {"insurance.old_age.employee", "insurance.old_age.employer", "insurance.old_age.ceiling"}
    assert all(oman.parameters[p].status is Status.CONFIRMED for p in confirmed)


def test_a_coverage_code_the_rules_do_not_know_is_refused(oman: PolicyPack) -> None:
    tree = _switched(oman, "insurance.old_age.covers", ("omani", "expats"))
    with pytest.raises(ParameterError, match=r"insurance\.old_age\.covers"):
        month_rates(tree, Period(2026, 1))
