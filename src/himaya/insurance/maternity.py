"""The maternity allowance (policy/oman.md section 5: the maternity leave insurance, funded by the
employer's 1 % from 2024-07-19), vectorised over any number of births. The brief gives no amount,
duration or qualifying period: each is an ASSUMED dated parameter (`insurance.maternity.benefit.*`,
see their notes):

    qualifying = months of maternity insurance in the `within` months before the month of the birth
    average    = the mean contributory wage of the `average_months` months before it (those with a wage)
    daily      = average x rate / day_divisor                 (rounded half up to the baisa)
    allowance  = daily x days                                 (when qualifying >= minimum_months)

`days` is 0 before the branch's first day (2024-07-19): no allowance for a birth before it. A
month's wage is the branch's contributory wage (capped at its ceiling, times the days worked; two
jobs summed and capped again), as `pension.pensionable` computes it on the branch's month table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import polars as pl

from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.insurance.job_security import months_before
from himaya.insurance.model import Branch
from himaya.insurance.pension import Kind, Status, _rounded
from himaya.insurance.pension_explain import PensionExplanation, Step, money_text, used_parameters
from himaya.insurance.pension_terms import _typed, month_table
from himaya.insurance.rates import month_rates
from himaya.policy.parameters import ParameterError, ParameterTree

P = "insurance.maternity.benefit."
NAMES = ("days", "rate", "average_months", "minimum_months", "within", "day_divisor")
PATHS = tuple(P + name for name in NAMES)


@dataclass(frozen=True)
class MaternityTerms:
    day: date
    days: int  # of leave paid; 0 before the branch is in force
    rate: Fraction  # of the average monthly wage
    average_months: int
    minimum_months: int
    within: int
    day_divisor: int


def maternity_terms(tree: ParameterTree, day: date) -> MaternityTerms:
    """The maternity allowance's parameters in force on the day of the birth, checked."""
    terms = MaternityTerms(day, *(_typed(tree, P + n, day, Fraction if n == "rate" else int) for n in NAMES))  # type: ignore[arg-type]
    if terms.days < 0 or terms.rate < 0 or terms.day_divisor < 1 or terms.average_months < 1:
        raise ParameterError(f"parameters {P}*: days and rate >= 0, day_divisor and average_months >= 1 on {day}")
    if not 0 < terms.minimum_months <= terms.within:
        raise ParameterError(f"parameters {P}minimum_months and within on {day}: 0 < minimum_months <= within")
    return terms


def maternity_months(tree: ParameterTree, months: list[date], day: date) -> pl.DataFrame:
    """`month_table` of the maternity branch, a month covered only if it was charged a contribution
    (its rates, read as the month's contributions read them, not both 0): the months before July
    2024 were declared but paid nothing to the branch, and do not qualify."""
    table = month_table(tree, months, day, branch=Branch.MATERNITY, revalued=False)
    charged = []
    for month in table["month"]:
        rates = month_rates(tree, Period(month.year, month.month)).of(Branch.MATERNITY)
        charged.append(rates.employee + rates.employer > 0)
    paid = pl.Series("charged", charged, dtype=pl.Boolean)
    return table.with_columns(pl.col("omani") & paid, pl.col("non_omani") & paid)


def allowances(births: pl.DataFrame, career: pl.DataFrame, terms: MaternityTerms) -> pl.DataFrame:
    """Each birth's allowance: civil_number, born_on, qualifying (months of maternity insurance in
    the window), averaged (months averaged), average, daily, days, allowance, status.

    `births` has civil_number (the insured mother) and born_on; `career` the months of maternity
    insurance (civil_number, month, wage, revalued) of `pension.pensionable` on the branch's month table.
    """
    before = months_before(pl.col("month"), pl.col("born_on"))
    joined = births.join(career, on="civil_number", how="left").with_columns(before.alias("before"))
    averaged = pl.col("before").is_between(1, terms.average_months)
    counted = joined.group_by("civil_number", "born_on", maintain_order=True).agg(
        pl.col("before").is_between(1, terms.within).sum().cast(pl.Int64).alias("qualifying"),
        averaged.sum().cast(pl.Int64).alias("averaged"),
        pl.col("wage").filter(averaged).sum().alias("wages"),
    )
    average = pl.when(pl.col("averaged") > 0).then(_rounded(pl.col("wages"), pl.max_horizontal("averaged", 1)))
    r = terms.rate
    daily = _rounded(pl.col("average") * r.numerator, r.denominator * terms.day_divisor)
    in_force = terms.days > 0
    entitled = pl.lit(in_force) & (pl.col("qualifying") >= terms.minimum_months)
    status = (
        pl.when(pl.lit(not in_force)).then(pl.lit(Status.BEFORE_BRANCH.value))
        .when(entitled).then(pl.lit(Status.ENTITLED.value))
        .otherwise(pl.lit(Status.TOO_FEW_MONTHS.value))
    )  # fmt: skip
    return (
        counted.with_columns(average.otherwise(0).cast(pl.Int64).alias("average"))
        .with_columns(
            pl.when(entitled).then(daily).otherwise(0).cast(pl.Int64).alias("daily"),
            pl.when(entitled).then(terms.days).otherwise(0).cast(pl.Int64).alias("days"),
            status.alias("status"),
        )
        .with_columns((pl.col("daily") * pl.col("days")).alias("allowance"))
        .select("civil_number", "born_on", "qualifying", "averaged", "average", "daily", "days", "allowance", "status")
    )


def explain(
    row: dict[str, object], terms: MaternityTerms, tree: ParameterTree, currency: Currency
) -> PensionExplanation:
    """One birth's allowance (a row of `allowances`) step by step, with its parameters."""
    born_on = row["born_on"]
    assert isinstance(born_on, date)
    n, w = terms.minimum_months, terms.within
    steps = [
        Step(Text("Qualifying", "التأهل"), Text(f"{n} month(s) of maternity insurance in the last {w}",
                                                f"{n} شهرًا من تأمين الأمومة خلال آخر {w}")),
        Step(Text("Months of contributions in them", "أشهر الاشتراك خلالها"), _same(row["qualifying"])),
        Step(Text("Months averaged", "الأشهر التي حُسب متوسطها"), _same(row["averaged"])),
        Step(Text("Average monthly wage", "متوسط الأجر الشهري"), money_text(currency, int(str(row["average"])))),
        Step(Text("Allowance a day: average x rate / days a month", "البدل اليومي: المتوسط × النسبة ÷ أيام الشهر"),
             money_text(currency, int(str(row["daily"])))),
        Step(Text("Days of leave paid", "أيام الإجازة المدفوعة"), _same(row["days"])),
    ]  # fmt: skip
    paths = (*PATHS, "insurance.maternity.ceiling", "insurance.maternity.covers")
    return PensionExplanation(
        civil_number=str(row["civil_number"]),
        kind=Kind.MATERNITY,
        day=born_on,
        status=Status(str(row["status"])),
        pension=int(str(row["allowance"])),
        steps=tuple(steps),
        parameters=tuple(used_parameters(tree, paths, born_on)),
    )


def _same(value: object) -> Text:
    return Text(str(value), str(value))
