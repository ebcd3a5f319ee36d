"""Family Income Support (law arts. 39 ff.): the family's income topped up to 115 x sqrt(n).

Everything here is a window over the family: counted members, their income and the head's
situation are broadcast to every row, and the amount is paid on the head's row.
"""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Check, Figure, Rule, Shown, amount_of
from himaya.policy.packs.oman.common import OMANI, age_at, alive, born_by
from himaya.policy.parameters import Parameters

FAMILY = "family_id"
relationship = pl.col("relationship")
is_head = relationship == "head"
is_child = relationship == "child"


def of_head(expr: pl.Expr) -> pl.Expr:
    """The head's value of `expr`, on every row of the family (each family has exactly one head)."""
    return expr.filter(is_head).first().over(FAMILY)


def family_total(expr: pl.Expr) -> pl.Expr:
    return expr.sum().over(FAMILY)


def counted_member(p: Parameters, period: Period) -> pl.Expr:
    """Who forms the family unit: head and spouses, dependent children, and unmarried daughters."""
    age = age_at(period.start)
    child_max_age: int = p.fis.child_max_age
    daughter_max_age: int = p.fis.daughter_max_age
    not_working = ~pl.col("employed")
    status = pl.col("marital_status")
    child_counts = is_child & not_working & (age <= child_max_age)
    daughter_counts = (
        is_child
        & (pl.col("sex") == "F")
        & not_working
        & (age < daughter_max_age)
        & ((status == "single") | ((status == "divorced") & ~pl.col("has_children")))
    )
    return alive(period) & born_by(period) & (relationship.is_in(["head", "spouse"]) | child_counts | daughter_counts)


def _head_is_woman_who_is(*statuses: str) -> pl.Expr:
    return of_head(pl.col("sex") == "F") & of_head(pl.col("marital_status").is_in(list(statuses)))


def member_income(p: Parameters, period: Period, counted: pl.Expr) -> pl.Expr:
    """The income a member brings into the family's assessment (baisa)."""
    alimony = pl.col("alimony")
    survivor = pl.col("survivor_pension")
    capacity = pl.col("earning_capacity")
    if p.fis.womens_income_rules:
        widowed_or_divorced_head = _head_is_woman_who_is("widowed", "divorced")
        alimony = pl.when(widowed_or_divorced_head).then(0).otherwise(alimony)
        survivor = pl.when(widowed_or_divorced_head & is_child).then(0).otherwise(survivor)
        capacity = pl.when(is_head & _capacity_not_counted(p, period, counted)).then(0).otherwise(capacity)
    benefits = [amount_of(key) for key in p.fis.counted_benefits]
    return pl.sum_horizontal(
        pl.col("wage"), pl.col("pension"), survivor, alimony, pl.col("other_income"), capacity, *benefits
    )


def _capacity_not_counted(p: Parameters, period: Period, counted: pl.Expr) -> pl.Expr:
    """From 2026, a woman heading the family is not assessed on her earning capacity when she is
    single and 40 or over; divorced with children and 40 or over, or without custody of them;
    or widowed without children."""
    status = pl.col("marital_status")
    has_children = pl.col("has_children")
    waiver_age: int = p.fis.earning_capacity_waiver_age
    forty = age_at(period.start) >= waiver_age
    no_counted_child = family_total((counted & is_child).cast(pl.Int32)) == 0
    return (pl.col("sex") == "F") & (
        ((status == "single") & forty)
        | ((status == "divorced") & has_children & forty)
        | ((status == "divorced") & has_children & no_counted_child)
        | ((status == "widowed") & ~has_children)
    )


def target(base: int, members: pl.Expr) -> pl.Expr:
    """base x sqrt(n), rounded half up to the baisa, exactly.

    round(sqrt(S)) for S = base^2 n is (isqrt(4S) + 1) // 2; the float square root is corrected by
    one step each way, which makes it the exact integer square root for every S below 2^52.
    """
    scaled = pl.lit(4 * base * base, pl.Int64) * members.cast(pl.Int64)
    guess = scaled.cast(pl.Float64).sqrt().floor().cast(pl.Int64)
    guess = pl.when(guess * guess > scaled).then(guess - 1).otherwise(guess)
    guess = pl.when((guess + 1) * (guess + 1) <= scaled).then(guess + 1).otherwise(guess)
    return (guess + 1) // 2


def family_income_support(p: Parameters, period: Period) -> Rule:
    counted = counted_member(p, period)
    members = family_total(counted.cast(pl.Int64))
    income = family_total(pl.when(counted).then(member_income(p, period, counted)).otherwise(0))
    goal = target(p.fis.base, members)
    benefit = (goal - income).clip(lower_bound=0)
    lone_woman = (members == 1) & _head_is_woman_who_is("single", "divorced", "widowed")
    benefit = (
        pl.when(lone_woman)
        .then(pl.min_horizontal(benefit, pl.lit(p.fis.single_woman_cap, pl.Int64)))
        .otherwise(benefit)
    )
    any_omani = family_total((counted & (pl.col("nationality") == OMANI)).cast(pl.Int32)) > 0
    return Rule(
        checks=(
            Check(
                "head_resident",
                Text("the head lives in Oman", "رب الأسرة مقيم في سلطنة عُمان"),
                of_head(pl.col("resident")),
            ),
            Check(
                "head_alive",
                Text("the head is alive in the month", "رب الأسرة على قيد الحياة في الشهر"),
                of_head(alive(period)),
            ),
            Check(
                "omani_member",
                Text("at least one counted member is Omani", "فرد واحد على الأقل من المحتسبين عُماني"),
                any_omani,
            ),
        ),
        amount=benefit,
        figures=(
            Figure("members", Text("members counted (n)", "عدد الأفراد المحتسبين (n)"), members, Shown.NUMBER),
            Figure(
                "target",
                Text("target: base x square root of n", "المبلغ المستهدف: الأساس × الجذر التربيعي لـ n"),
                goal,
                Shown.MONEY,
            ),
            Figure("income", Text("family income counted", "دخل الأسرة المحتسب"), income, Shown.MONEY),
        ),
        member_figures=(
            Figure("counted", Text("counted in the family unit", "محتسب ضمن الأسرة"), counted, Shown.YES_NO),
            Figure(
                "income",
                Text("income counted", "الدخل المحتسب"),
                pl.when(counted).then(member_income(p, period, counted)).otherwise(0),
                Shown.MONEY,
            ),
        ),
    )
