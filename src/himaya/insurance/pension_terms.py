"""The pack's pension parameters resolved for one day, before any rule runs (as `rates.py` does for
contributions): the rules see plain numbers, never a parameter lookup.

`PensionTerms` holds the values in force on the day of the pension (its as-of day, or the day of
the disability or death); `month_table` the values that depend on each month of the career: the
old-age wage ceiling, the days of the month, who the branch covered, and the revaluation factor
that carries the month's wage to the pension's year. Months before a parameter's first value (a
career that began under the former schemes) take that first value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import TypeVar

import polars as pl

from himaya.core.money import round_half_up
from himaya.core.periods import Period
from himaya.insurance.model import Branch, Coverage
from himaya.insurance.rates import branch_rates
from himaya.policy.parameters import ParameterError, ParameterTree, ParameterValue

SCALE = 10**9  # revaluation factors are fixed-point integers of this scale
GROUPS = ("widows", "children", "parents")
T = TypeVar("T")
PENSION_NAMES = ("accrual", "age", "women_earlier", "early_retirement", "reduction", "minimum_months", "minimum")
PENSION_PATHS = tuple(f"insurance.pension.{name}" for name in (*PENSION_NAMES, "maximum"))
INVALIDITY_PATHS = ("insurance.invalidity.minimum_months", "insurance.invalidity.credited")
CAREER_PATHS = ("insurance.old_age.ceiling", "insurance.old_age.covers", "insurance.pension.revaluation")


@dataclass(frozen=True)
class PensionTerms:
    day: date
    accrual: Fraction  # of the average wage per year of service
    age: int  # years: the pension age, unreduced for men
    women_earlier: int  # years before it, unreduced for women
    early_years: int  # years before the unreduced age from which a reduced pension may be paid
    reduction: Fraction  # per year early (months pro rata)
    minimum_months: int  # of contributions, old age
    minimum: int  # baisa a month
    maximum: Fraction  # of the average wage
    invalidity_minimum_months: int
    credited: bool  # disability and death: months to the pension age credited


def _in_force(tree: ParameterTree, path: str, day: date) -> ParameterValue:
    parameter = tree[path]
    return parameter.value_at(max(day, parameter.values[0].start)).value


def _typed(tree: ParameterTree, path: str, day: date, kind: type[T]) -> T:
    value = _in_force(tree, path, day)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ParameterError(f"parameter {path} on {day}: {value!r} is not a {kind.__name__}")
    return value


def pension_terms(tree: ParameterTree, day: date) -> PensionTerms:
    """The pension parameters in force on `day`."""
    p = "insurance.pension."
    return PensionTerms(
        day=day,
        accrual=_typed(tree, p + "accrual", day, Fraction),
        age=_typed(tree, p + "age", day, int),
        women_earlier=_typed(tree, p + "women_earlier", day, int),
        early_years=_typed(tree, p + "early_retirement", day, int),
        reduction=_typed(tree, p + "reduction", day, Fraction),
        minimum_months=_typed(tree, p + "minimum_months", day, int),
        minimum=_typed(tree, p + "minimum", day, int),
        maximum=_typed(tree, p + "maximum", day, Fraction),
        invalidity_minimum_months=_typed(tree, "insurance.invalidity.minimum_months", day, int),
        credited=_typed(tree, "insurance.invalidity.credited", day, bool),
    )


def revaluation(tree: ParameterTree, year: int, to_year: int) -> Fraction:
    """The factor that carries a wage of `year` to `to_year`: (1 + the rate of each year after it).

    >>> from himaya.policy.packs import load_pack
    >>> revaluation(load_pack().parameters, 2020, 2026)
    Fraction(1, 1)
    """
    factor = Fraction(1)
    for y in range(year + 1, to_year + 1):
        factor *= 1 + _typed(tree, "insurance.pension.revaluation", date(y, 1, 1), Fraction)
    return factor


def month_table(
    tree: ParameterTree, months: list[date], day: date, *, branch: Branch = Branch.OLD_AGE, revalued: bool = True
) -> pl.DataFrame:
    """month, ceiling (baisa), month_days, omani and non_omani (covered by the branch that month),
    factor (the revaluation to `day`'s year, fixed point of SCALE; 1 unless `revalued`) for each of `months`."""
    years = {m.year for m in months}
    factors = {y: revaluation(tree, y, day.year) if revalued else Fraction(1) for y in years}
    rows = []
    for month in months:
        end = Period(month.year, month.month).end
        ceiling = tree[f"insurance.{branch.value}.ceiling"]
        rates = branch_rates(tree, branch, max(end, ceiling.values[0].start))
        rows.append(
            {
                "month": month,
                "ceiling": rates.ceiling,
                "month_days": end.day,
                "omani": Coverage.OMANI in rates.covers,
                "non_omani": Coverage.NON_OMANI in rates.covers,
                "factor": round_half_up(factors[month.year] * SCALE),
            }
        )
    schema = {"month": pl.Date, "ceiling": pl.Int64, "month_days": pl.Int64, "omani": pl.Boolean}
    return pl.DataFrame(rows, schema=schema | {"non_omani": pl.Boolean, "factor": pl.Int64})


@dataclass(frozen=True)
class SharingTable:
    """The survivors' shares in force on a day: for each set of groups present (a key such as
    'widows_children'), each group's share of the pension; and a lone parent's part of the parents'."""

    day: date
    rows: dict[str, dict[str, Fraction]]
    one_parent: Fraction

    def paths(self, key: str) -> tuple[str, ...]:
        return (*(f"insurance.survivors.{key}.{g}" for g in self.rows[key]), "insurance.survivors.one_parent")


def sharing_table(tree: ParameterTree, day: date) -> SharingTable:
    """The dated sharing table; ParameterError if a row's shares do not sum to 1."""
    rows: dict[str, dict[str, Fraction]] = {}
    for mask in range(1, 8):
        present = [g for i, g in enumerate(GROUPS) if mask >> i & 1]
        key = "_".join(present)
        rows[key] = {g: _typed(tree, f"insurance.survivors.{key}.{g}", day, Fraction) for g in present}
        if sum(rows[key].values()) != 1:
            raise ParameterError(
                f"insurance.survivors.{key} on {day}: the shares sum to {sum(rows[key].values())}, not 1"
            )
    return SharingTable(day, rows, _typed(tree, "insurance.survivors.one_parent", day, Fraction))


@dataclass(frozen=True)
class Leaving:
    """What happens when a survivor leaves a death pension, on a day: whether the pension is shared
    again among those left (else the leaver's share lapses), the age a child's share ends at, and
    whether a widow's or a daughter's share ends on her marriage."""

    share_again: bool
    child_age_limit: int
    marriage_ends_widow: bool = True
    marriage_ends_daughter: bool = True


def leaving(tree: ParameterTree, day: date) -> Leaving:
    p = "insurance.survivors."
    return Leaving(
        _typed(tree, p + "share_again", day, bool),
        _typed(tree, p + "child_age_limit", day, int),
        _typed(tree, p + "marriage_ends_widow", day, bool),
        _typed(tree, p + "marriage_ends_daughter", day, bool),
    )


def child_age_limit(tree: ParameterTree, day: date) -> int | None:
    """The survivors' child age limit in force on `day`; None for a pack without survivor pensions."""
    path = "insurance.survivors.child_age_limit"
    return _typed(tree, path, day, int) if path in tree else None


def birthday(born: date, years: int) -> date:
    """The day a person born on `born` is `years` old (a 29 February birthday: 1 March)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)
