"""Pure, vectorised decisions: the contributions due on a month's declared wages, who may be
declared, and the arrears with their surcharge. No database; every amount is integer baisa.

Rounding: each insured person's share of each branch is rounded half up to the baisa, once, from
the exact product of wage, days and rate (`round_half_up`, as everywhere in Himaya).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl

from himaya.core.errors import Problem
from himaya.insurance.model import Branch, Coverage
from himaya.insurance.rates import BranchRates, MonthRates

SIDES = ("employee", "employer")
# baisa: the most one payment may be, 100 million rials. Declarations cap a wage at a million rials a
# month (files.MAX_WAGE); a payment settling a large employer's months is far below this, and the
# sums of payments stay well inside the 64-bit integers the database and the arrears use.
MAX_PAYMENT = 100_000_000_000


def _rounded(numerator: pl.Expr, denominator: int) -> pl.Expr:
    """numerator / denominator rounded half up, in integers (numerator >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _share(base: pl.Expr, rate: Fraction, rates: MonthRates) -> pl.Expr:
    if rate == 0:
        return pl.lit(0, pl.Int64)
    if rates.prorate:  # wage x days / days of the month x rate, rounded once
        return _rounded(base * pl.col("days") * rate.numerator, rates.month.end.day * rate.denominator)
    return _rounded(base * rate.numerator, rate.denominator)


def _covered(branch: BranchRates) -> pl.Expr:
    omani = pl.col("omani")
    if branch.covers == {Coverage.OMANI, Coverage.NON_OMANI}:
        return pl.lit(True)
    if branch.covers == {Coverage.OMANI}:
        return omani
    if branch.covers == {Coverage.NON_OMANI}:
        return ~omani
    return pl.lit(False)


def contributions(lines: pl.DataFrame, rates: MonthRates) -> pl.DataFrame:
    """Each line's shares: `<branch>_employee` and `<branch>_employer` in baisa, for every branch.

    `lines` has `wage`, `basic_wage` (baisa), `days` and `omani` (the insured person's nationality
    is the pack's). A branch that does not cover the person, or is not yet in force, is 0.

    >>> from datetime import date
    >>> from himaya.core.periods import Period
    >>> from himaya.insurance.rates import BranchRates, MonthRates
    >>> omani = frozenset({Coverage.OMANI})
    >>> old_age = BranchRates(Branch.OLD_AGE, Fraction(3, 40), Fraction(11, 100), omani, 3_000_000)
    >>> may = Period(2026, 5)
    >>> rates = MonthRates(may, may.end, (old_age,), True, date(2026, 6, 15), Fraction(1, 100))
    >>> lines = pl.DataFrame({"wage": [420_000, 4_000_000], "basic_wage": [420_000, 4_000_000],
    ...                       "days": [31, 31], "omani": [True, True]})
    >>> contributions(lines, rates).select("old_age_employee", "old_age_employer").rows()
    [(31500, 46200), (225000, 330000)]
    """
    shares = []
    for branch in rates.branches:
        wage = pl.col("basic_wage" if branch.on_basic_wage else "wage")
        base = wage if branch.ceiling is None else pl.min_horizontal(wage, pl.lit(branch.ceiling, pl.Int64))
        covered = _covered(branch)
        for side, rate in zip(SIDES, (branch.employee, branch.employer), strict=True):
            share = _share(base, rate, rates)
            shares.append(
                pl.when(covered).then(share).otherwise(0).cast(pl.Int64).alias(f"{branch.branch.value}_{side}")
            )
    return lines.with_columns(shares)


def by_branch(shares: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The shares summed by `keys` and branch: keys..., branch, insured (lines with a share in the
    branch), employee, employer, total; in the order of `Branch`. One pass over the lines."""
    sums = []
    for b in Branch:
        employee, employer = pl.col(f"{b.value}_employee"), pl.col(f"{b.value}_employer")
        sums += [
            (employee + employer > 0).sum().cast(pl.Int64).alias(f"{b.value}.insured"),
            employee.sum().alias(f"{b.value}.employee"),
            employer.sum().alias(f"{b.value}.employer"),
        ]
    summed = shares.group_by(keys).agg(sums).sort(keys)
    return pl.concat(
        [
            summed.select(
                *keys,
                pl.lit(b.value).alias("branch"),
                *(pl.col(f"{b.value}.{c}").alias(c) for c in ("insured", "employee", "employer")),
                (pl.col(f"{b.value}.employee") + pl.col(f"{b.value}.employer")).alias("total"),
            )
            for b in Branch
        ]
    ).sort(keys, maintain_order=True)


UNDISCLOSED = "cannot be declared for the month: not registered, or a merged record, or not alive in the month"


def person_problems(
    joined: pl.DataFrame, month_start: date, month_end: date, *, disclose: bool = True
) -> list[Problem]:
    """Who may not be declared for the month: the lines (row, civil_number) with what the registry
    holds of each (birth_date, death_date, merged_into: the surviving civil number; all empty for
    a civil number it does not know). Without `disclose` (an employer's system: it may not read the
    registry), every such line gets the same rule, which tells none of the person's dates."""
    checks: list[tuple[pl.Expr, Callable[[dict[str, Any]], str]]] = [
        (pl.col("birth_date").is_null(), lambda _: "no person with this civil number in the registry"),
        (
            pl.col("merged_into").is_not_null(),
            lambda r: f"is a duplicate record merged into {r['merged_into']}: declare that civil number",
        ),
        (pl.col("birth_date") > month_end, lambda r: f"was born on {r['birth_date']}, after the month"),
        (pl.col("death_date") < month_start, lambda r: f"died on {r['death_date']}, before the month"),
    ]
    problems: list[Problem] = []
    seen: set[int] = set()
    for broken, rule in checks:
        for row in joined.filter(broken.fill_null(False)).iter_rows(named=True):
            if row["row"] not in seen:  # one problem a row: the first rule it breaks
                seen.add(row["row"])
                said = rule(row) if disclose else UNDISCLOSED
                problems.append(Problem(row["row"], "civil_number", row["civil_number"], said))
    return problems


def employer_problems(lines: pl.DataFrame, known: set[str]) -> list[Problem]:
    """Rows of a batch whose employer is not registered."""
    unknown = lines.filter(~pl.col("cr_number").is_in(list(known)))
    return [
        Problem(row, "cr_number", cr, "no employer registered with this commercial registration number")
        for row, cr in unknown.select("row", "cr_number").iter_rows()
    ]
