"""The job security benefit (policy/oman.md section 5), vectorised over any number of claims: 60 %
of the average monthly wage of the 24 months before the loss of the job, at least 115.000, paid at
most 6 months a claim; qualifying contributions 12 in the last 36 months for a first claim, 18 in
42 for a second, 24 in 48 for a third, 36 in 60 after (`insurance.job_security.benefit.*`).

A month counts when the person was insured for job security in it, before the month of the loss;
its wage is the branch's contributory wage (capped at its ceiling, times the days worked over the
month's days; two jobs summed and capped again), as `pension.pensionable` computes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import polars as pl

from himaya.core.errors import InvalidInputError
from himaya.core.money import Currency
from himaya.core.text import Text
from himaya.insurance.pension import Kind, Status, _rounded
from himaya.insurance.pension_explain import PensionExplanation, Step, money_text, used_parameters
from himaya.insurance.pension_terms import _typed
from himaya.policy.parameters import ParameterError, ParameterTree

PATHS = tuple(
    f"insurance.job_security.benefit.{name}" for name in ("rate", "minimum", "months", "average_months", "qualifying")
)


@dataclass(frozen=True)
class JobSecurityTerms:
    day: date
    rate: Fraction
    minimum: int  # baisa a month
    months: int  # paid at most, a claim
    average_months: int
    qualifying: tuple[tuple[int, int], ...]  # (months of contributions, within the last months), claim by claim

    def rule(self, claim: int) -> tuple[int, int]:
        """The qualifying pair of the `claim`-th claim (the last pair for any later one)."""
        return self.qualifying[min(claim, len(self.qualifying)) - 1]


def job_security_terms(tree: ParameterTree, day: date) -> JobSecurityTerms:
    p = "insurance.job_security.benefit."
    pairs = _typed(tree, p + "qualifying", day, tuple)
    try:
        qualifying = tuple((int(n), int(w)) for n, w in pairs)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {p}qualifying on {day}: {pairs!r} is not pairs of whole numbers") from None
    if not qualifying or any(not 0 < n <= w for n, w in qualifying):
        raise ParameterError(
            f"parameter {p}qualifying on {day}: each pair is [months, within months], 0 < months <= within"
        )
    return JobSecurityTerms(
        day=day,
        rate=_typed(tree, p + "rate", day, Fraction),
        minimum=_typed(tree, p + "minimum", day, int),
        months=_typed(tree, p + "months", day, int),
        average_months=_typed(tree, p + "average_months", day, int),
        qualifying=qualifying,
    )


def months_before(month: pl.Expr, lost_on: pl.Expr) -> pl.Expr:
    """How many months `month` is before the month of `lost_on` (1: the month before)."""
    years = lost_on.dt.year().cast(pl.Int64) - month.dt.year().cast(pl.Int64)
    return years * 12 + lost_on.dt.month().cast(pl.Int64) - month.dt.month().cast(pl.Int64)


def benefits(claims: pl.DataFrame, career: pl.DataFrame, terms: JobSecurityTerms) -> pl.DataFrame:
    """Each claim's benefit: civil_number, lost_on, claim, needed, within, qualifying (months of
    contributions within), averaged (months averaged), average, monthly, months_paid, total, status.

    `claims` has civil_number, lost_on (the day the job was lost), claim (1 for a first claim, ...),
    and may have death_date (a person dead before the job was lost has no claim: status dead);
    `career` the months of job security insurance (civil_number, month, wage, revalued) of
    `pension.pensionable` on the branch's month table.
    """
    if claims["claim"].min() is not None and int(claims["claim"].min()) < 1:  # type: ignore[arg-type]
        raise InvalidInputError("claim: the first claim is 1")
    last = len(terms.qualifying)
    needed = (
        pl.col("claim").clip(upper_bound=last).replace_strict({i + 1: n for i, (n, _) in enumerate(terms.qualifying)})
    )
    within = (
        pl.col("claim").clip(upper_bound=last).replace_strict({i + 1: w for i, (_, w) in enumerate(terms.qualifying)})
    )
    died = pl.col("death_date").is_not_null() & (pl.col("death_date") < pl.col("lost_on"))
    framed = claims.with_columns(
        needed.cast(pl.Int64).alias("needed"),
        within.cast(pl.Int64).alias("within"),
        (died if "death_date" in claims.columns else pl.lit(False)).alias("dead"),
    )
    before = months_before(pl.col("month"), pl.col("lost_on"))
    joined = framed.join(career, on="civil_number", how="left").with_columns(before.alias("before"))
    counted = joined.group_by("civil_number", "lost_on", "claim", maintain_order=True).agg(
        pl.col("needed").first(),
        pl.col("within").first(),
        pl.col("dead").first(),
        pl.col("before").is_between(1, pl.col("within")).sum().cast(pl.Int64).alias("qualifying"),
        pl.col("before").is_between(1, terms.average_months).sum().cast(pl.Int64).alias("averaged"),
        pl.col("wage").filter(pl.col("before").is_between(1, terms.average_months)).sum().alias("wages"),
    )
    average = pl.when(pl.col("averaged") > 0).then(_rounded(pl.col("wages"), pl.max_horizontal("averaged", 1)))
    r = terms.rate
    entitled = (pl.col("qualifying") >= pl.col("needed")) & ~pl.col("dead")
    monthly = pl.max_horizontal(_rounded(pl.col("average") * r.numerator, r.denominator), pl.lit(terms.minimum))
    return (
        counted.with_columns(average.otherwise(0).cast(pl.Int64).alias("average"))
        .with_columns(
            pl.when(entitled).then(monthly).otherwise(0).cast(pl.Int64).alias("monthly"),
            pl.when(entitled).then(terms.months).otherwise(0).cast(pl.Int64).alias("months_paid"),
            pl.when(pl.col("dead")).then(pl.lit(Status.DEAD.value))
            .when(entitled).then(pl.lit(Status.ENTITLED.value))
            .otherwise(pl.lit(Status.TOO_FEW_MONTHS.value)).alias("status"),
        )
        .with_columns((pl.col("monthly") * pl.col("months_paid")).alias("total"))
        .select("civil_number", "lost_on", "claim", "needed", "within", "qualifying", "averaged", "average", "monthly",
                "months_paid", "total", "status")
    )  # fmt: skip


def explain(row: dict[str, object], tree: ParameterTree, currency: Currency) -> PensionExplanation:
    """One claim's benefit (a row of `benefits`) step by step, with its parameters."""
    lost_on = row["lost_on"]
    assert isinstance(lost_on, date)
    claim, needed, within = (str(row[k]) for k in ("claim", "needed", "within"))
    steps = [
        Step(Text("Claim", "الطلب"), Text(f"{claim} (qualifying: {needed} month(s) in the last {within})",
                                          f"{claim} (التأهل: {needed} شهرًا خلال آخر {within})")),
        Step(Text("Months of contributions in them", "أشهر الاشتراك خلالها"), _same(row["qualifying"])),
        Step(Text("Months averaged", "الأشهر التي حُسب متوسطها"), _same(row["averaged"])),
        Step(Text("Average monthly wage", "متوسط الأجر الشهري"), money_text(currency, int(str(row["average"])))),
        Step(Text("Months paid", "أشهر الصرف"), _same(row["months_paid"])),
        Step(Text("Total of the claim", "مجموع الطلب"), money_text(currency, int(str(row["total"])))),
    ]  # fmt: skip
    return PensionExplanation(
        civil_number=str(row["civil_number"]),
        kind=Kind.JOB_SECURITY,
        day=lost_on,
        status=Status(str(row["status"])),
        pension=int(str(row["monthly"])),
        steps=tuple(steps),
        parameters=tuple(used_parameters(tree, (*PATHS, "insurance.job_security.ceiling"), lost_on)),
    )


def _same(value: object) -> Text:
    return Text(str(value), str(value))
