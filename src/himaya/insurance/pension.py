"""Pure, vectorised pension rules: old-age, disability and death pensions from careers, for any
number of insured persons at once. No database; every amount is integer baisa.

A month's pensionable wage is the old-age branch's contributory wage: each declared wage capped at
the ceiling of its month and, as contributions are, times the days worked over the month's days;
a month with two jobs counts once, its wages summed and capped at the ceiling again (ASSUMED: the
pension is on one wage a month). It is carried to the pension's year by the revaluation factors;
the average is over every month of old-age insurance. Then, each step rounded half up to the baisa:

    accrued  = average x accrual x months / 12             (2 % a year, part years pro rata)
    capped   = min(accrued, average x maximum)              (both from the exact average)
    reduced  = capped x (1 - reduction x months early / 12)  (old age before the unreduced age)
    pension  = max(reduced, minimum)                        (when entitled)

Disability and death pensions credit the months from the event to the unreduced age
(`insurance.invalidity.credited`) and are never reduced.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import polars as pl

from himaya.insurance.pension_terms import SCALE, PensionTerms


class Kind(StrEnum):
    OLD_AGE = "old_age"
    DISABILITY = "disability"
    DEATH = "death"
    JOB_SECURITY = "job_security"  # not a pension: `job_security.benefits`, explained alike
    MATERNITY = "maternity"  # not a pension: `maternity.allowances` (the whole leave's), explained alike


class Status(StrEnum):
    ENTITLED = "entitled"
    TOO_YOUNG = "too_young"  # before the earliest age of an (even reduced) old-age pension
    TOO_FEW_MONTHS = "too_few_months"  # fewer months of contributions than the minimum
    DEAD = "dead"  # an old-age or disability pension asked for after the person's death
    BEFORE_BRANCH = "before_branch"  # a benefit for an event before its branch of insurance was in force


def _rounded(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """numerator / denominator rounded half up, in integers (both >= 0, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def pensionable(lines: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """civil_number, month, wage (pensionable), revalued: one row a person and month (in no order) of old-age
    insurance, from the declared lines (civil_number, month, wage, days, omani) and `month_table`.

    >>> from datetime import date
    >>> jan = date(2026, 1, 1)
    >>> lines = pl.DataFrame({"civil_number": ["1", "1", "2"], "month": [jan] * 3,
    ...                       "wage": [2_500_000, 1_000_000, 620_000], "days": [31, 31, 15], "omani": [True] * 3})
    >>> table = pl.DataFrame({"month": [jan], "ceiling": [3_000_000], "month_days": [31], "omani": [True],
    ...                       "non_omani": [False], "factor": [1_100_000_000]})
    >>> pensionable(lines, table).sort("civil_number").rows()
    [('1', datetime.date(2026, 1, 1), 3000000, 3300000), ('2', datetime.date(2026, 1, 1), 300000, 330000)]
    """
    joined = lines.join(months, on="month", suffix="_covered")
    covered = pl.when(pl.col("omani")).then(pl.col("omani_covered")).otherwise(pl.col("non_omani"))
    capped = pl.min_horizontal(pl.col("wage"), pl.col("ceiling"))
    return (
        joined.filter(covered)
        .with_columns(_rounded(capped * pl.col("days"), pl.col("month_days")).alias("wage"))
        .group_by("civil_number", "month")
        .agg(pl.col("wage").sum(), pl.col("ceiling").first(), pl.col("factor").first())
        .with_columns(pl.min_horizontal("wage", "ceiling").alias("wage"))
        .with_columns(_rounded(pl.col("wage") * pl.col("factor"), SCALE).alias("revalued"))
        .select("civil_number", "month", "wage", "revalued")
    )


def age_months(born: pl.Expr, day: date) -> pl.Expr:
    """Completed months of age on `day` (a birthday on the 31st is reached on a shorter month's last day
    only the next month)."""
    months = (day.year - born.dt.year().cast(pl.Int64)) * 12 + (day.month - born.dt.month().cast(pl.Int64))
    return months - (born.dt.day() > day.day).cast(pl.Int64)


def _service(people: pl.DataFrame, career: pl.DataFrame, on: date) -> pl.DataFrame:
    """Months of old-age insurance before `on` (its own month counted if it began before it)."""
    totals = (
        career.filter(pl.col("month") < on)
        .group_by("civil_number")
        .agg(pl.len().cast(pl.Int64).alias("months"), pl.col("revalued").sum().alias("revalued_total"))
    )
    return people.join(totals, on="civil_number", how="left").with_columns(
        pl.col("months").fill_null(0), pl.col("revalued_total").fill_null(0)
    )


def pensions(people: pl.DataFrame, career: pl.DataFrame, terms: PensionTerms, kind: Kind, on: date) -> pl.DataFrame:
    """Each person's pension of `kind` on `on` (for a disability or death: its day), with every step:
    civil_number, age_months, months, average, unreduced_months (the unreduced age), credited,
    accrued, capped, months_early, reduced, minimum_applied, pension, status.

    `people` has civil_number, sex (F or M), birth_date, death_date; `career` the `pensionable` months.
    """
    if kind is Kind.JOB_SECURITY:
        raise ValueError("the job security benefit is job_security.benefits, not a pension")
    frame = _service(people, career, on)
    age = age_months(pl.col("birth_date"), on)
    women = pl.col("sex") == "F"
    unreduced = pl.when(women).then((terms.age - terms.women_earlier) * 12).otherwise(terms.age * 12)
    average = pl.when(pl.col("months") > 0).then(_rounded(pl.col("revalued_total"), pl.col("months"))).otherwise(0)
    frame = frame.with_columns(age.alias("age_months"), unreduced.alias("unreduced_months"), average.alias("average"))
    invalid = kind is not Kind.OLD_AGE
    credit = (pl.col("unreduced_months") - pl.col("age_months")).clip(lower_bound=0)
    frame = frame.with_columns(
        (credit if invalid and terms.credited else pl.lit(0, pl.Int64)).cast(pl.Int64).alias("credited"),
        (pl.col("unreduced_months") - pl.col("age_months")).clip(0, terms.early_years * 12).alias("months_early")
        if not invalid
        else pl.lit(0, pl.Int64).alias("months_early"),
    )
    # From the exact average (the total over the months), rounded once: more months never lower it.
    a, top, months = terms.accrual, terms.maximum, pl.max_horizontal("months", 1)
    served = pl.col("revalued_total") * (pl.col("months") + pl.col("credited")) * a.numerator
    accrued = _rounded(served, months * 12 * a.denominator)
    ceiling = _rounded(pl.col("revalued_total") * top.numerator, months * top.denominator)
    frame = frame.with_columns(accrued.alias("accrued")).with_columns(
        pl.min_horizontal("accrued", ceiling).alias("capped")
    )
    r = terms.reduction
    kept = 12 * r.denominator - pl.col("months_early") * r.numerator
    frame = frame.with_columns(_rounded(pl.col("capped") * kept, 12 * r.denominator).alias("reduced"))
    frame = frame.with_columns(_status(kind, terms, on).alias("status"))
    entitled = pl.col("status") == Status.ENTITLED.value
    return frame.with_columns(
        (entitled & (pl.col("reduced") < terms.minimum)).alias("minimum_applied"),
        pl.when(entitled).then(pl.max_horizontal("reduced", pl.lit(terms.minimum))).otherwise(0).alias("pension"),
    ).select(
        "civil_number", "sex", "birth_date", "age_months", "months", "average", "unreduced_months", "credited",
        "accrued", "capped", "months_early", "reduced", "minimum_applied", "pension", "status",
    )  # fmt: skip


def _status(kind: Kind, terms: PensionTerms, on: date) -> pl.Expr:
    dead = pl.col("death_date").is_not_null() & (pl.col("death_date") < on)
    if kind is Kind.OLD_AGE:
        earliest = pl.col("unreduced_months") - terms.early_years * 12
        return (
            pl.when(dead)
            .then(pl.lit(Status.DEAD.value))
            .when(pl.col("age_months") < earliest)
            .then(pl.lit(Status.TOO_YOUNG.value))
            .when(pl.col("months") < terms.minimum_months)
            .then(pl.lit(Status.TOO_FEW_MONTHS.value))
            .otherwise(pl.lit(Status.ENTITLED.value))
        )
    few = pl.col("months") < terms.invalidity_minimum_months
    status = pl.when(few).then(pl.lit(Status.TOO_FEW_MONTHS.value)).otherwise(pl.lit(Status.ENTITLED.value))
    if kind is Kind.DISABILITY:
        return pl.when(dead).then(pl.lit(Status.DEAD.value)).otherwise(status)
    return status
