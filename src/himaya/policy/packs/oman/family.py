"""Family Income Support (law arts. 39 ff.): the family's income topped up to 115 x sqrt(n).

The family unit, its income and the head's situation are computed in flat stages (named columns
`fis.*`): first what each row says of itself, then what the family says of its members, then the
income of each member, then the family's totals. The amount is paid on the head's row.
"""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Check, Figure, Formula, Op, Operand, Rule, Shown, amount_of
from himaya.policy.packs.oman.common import OMANI, age_at, alive, born_by
from himaya.policy.parameters import Parameters

FAMILY = "family_id"
relationship = pl.col("relationship")
is_head = relationship == "head"
is_child = relationship == "child"
woman = pl.col("sex") == "F"
status = pl.col("marital_status")

COUNTED = pl.col("fis.counted")
MEMBERS = pl.col("fis.members")
INCOME = pl.col("fis.income")
MEMBER_INCOME = pl.col("fis.member_income")
TARGET = pl.col("fis.target")


def of_head(expr: pl.Expr) -> pl.Expr:
    """The head's value of a row-level `expr`, on every row of the family (exactly one head each)."""
    # A sum over the window is polars' fast path (and shares the family grouping with the other
    # sums of the same stage); `any` and `filter().first()` are several times slower.
    return (is_head & expr).cast(pl.Int8).sum().over(FAMILY) > 0


def family_total(expr: pl.Expr) -> pl.Expr:
    return expr.sum().over(FAMILY)


def counted_member(p: Parameters, period: Period) -> pl.Expr:
    """Who forms the family unit: head and spouses, dependent children, and unmarried daughters."""
    age = age_at(period.start)
    child_max_age: int = p.fis.child_max_age
    daughter_max_age: int = p.fis.daughter_max_age
    not_working = ~pl.col("employed")
    child_counts = is_child & not_working & (age <= child_max_age)
    daughter_counts = (
        is_child
        & woman
        & not_working
        & (age < daughter_max_age)
        & ((status == "single") | ((status == "divorced") & ~pl.col("has_children")))
    )
    return alive(period) & born_by(period) & (relationship.is_in(["head", "spouse"]) | child_counts | daughter_counts)


def _capacity_waived(p: Parameters, period: Period) -> pl.Expr:
    """From 2026, a woman heading the family is not assessed on her earning capacity when she is
    single and 40 or over; divorced with children and 40 or over, or without custody of them;
    or widowed without children. Reads the stage column `fis.counted_children`."""
    has_children = pl.col("has_children")
    waiver_age: int = p.fis.earning_capacity_waiver_age
    older = age_at(period.start) >= waiver_age
    no_custody = pl.col("fis.counted_children") == 0
    return (
        is_head
        & woman
        & (
            ((status == "single") & older)
            | ((status == "divorced") & has_children & older)
            | ((status == "divorced") & has_children & no_custody)
            | ((status == "widowed") & ~has_children)
        )
    )


# A member's income as the family's assessment counts it, component by component (each its own
# column, so an explanation can show the sum), and what the 2026 rules for families headed by a
# widowed or divorced woman leave out of it, with why.
INCOME_PARTS = {
    "wage": Text("wage", "الأجر"),
    "pension": Text("pension", "المعاش"),
    "survivor_pension": Text("survivor pension", "معاش المستحقين"),
    "alimony": Text("alimony", "النفقة"),
    "other_income": Text("other income", "دخل آخر"),
    "earning_capacity": Text("earning capacity", "القدرة على الكسب"),
    "benefits": Text("benefits of the Fund counted as income", "منافع الصندوق المحتسبة دخلاً"),
}
EXCLUDED = {
    "alimony": Text(
        "alimony is not counted: the family is headed by a widowed or divorced woman",
        "لا تُحتسب النفقة لأن الأسرة ترأسها امرأة أرملة أو مطلقة",
    ),
    "survivor_pension": Text(
        "a child's survivor pension is not counted: the family is headed by a widowed or divorced woman",
        "لا يُحتسب معاش المستحقين للأبناء لأن الأسرة ترأسها امرأة أرملة أو مطلقة",
    ),
    "earning_capacity": Text(
        "earning capacity is not counted for a woman heading the family in her situation",
        "لا تُحتسب القدرة على الكسب لرئيسة الأسرة في حالتها",
    ),
}


def income_parts(p: Parameters, period: Period) -> tuple[pl.Expr, ...]:
    """Each component of a member's counted income (`fis.part.*`, zero for a member not counted) and
    each amount left out by the women's income rules (`fis.excluded.*`); reads the `fis.*` stage columns."""
    declared = {k: pl.col(k) for k in ("wage", "pension", "survivor_pension", "alimony", "other_income")}
    declared["earning_capacity"] = pl.col("earning_capacity")
    left_out: dict[str, pl.Expr] = {}
    if p.fis.womens_income_rules:
        widowed_or_divorced_head = pl.col("fis.head_widowed_or_divorced_woman")
        left_out = {
            "alimony": widowed_or_divorced_head,
            "survivor_pension": widowed_or_divorced_head & is_child,
            "earning_capacity": _capacity_waived(p, period),
        }
    parts = {k: pl.when(left_out[k]).then(0).otherwise(v) if k in left_out else v for k, v in declared.items()}
    parts["benefits"] = pl.sum_horizontal(pl.lit(0, pl.Int64), *(amount_of(key) for key in p.fis.counted_benefits))
    counted = [pl.when(COUNTED).then(v).otherwise(0).alias(f"fis.part.{k}") for k, v in parts.items()]
    excluded = (
        [pl.when(COUNTED & left_out[k]).then(declared[k]).otherwise(0).alias(f"fis.excluded.{k}") for k in EXCLUDED]
        if left_out
        else [pl.lit(0, pl.Int64).alias(f"fis.excluded.{k}") for k in EXCLUDED]
    )
    return (*counted, *excluded)


MEMBER_INCOME_SUM = pl.sum_horizontal(*(pl.col(f"fis.part.{k}") for k in INCOME_PARTS))


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


# Each member: counted or not, the income counted, its components and what is left out of it.
MEMBER_FIGURES = (
    Figure("counted", Text("counted in the family unit", "محتسب ضمن الأسرة"), COUNTED, Shown.YES_NO),
    Figure("income", Text("income counted", "الدخل المحتسب"), MEMBER_INCOME, Shown.MONEY),
    *(Figure(f"part.{k}", label, pl.col(f"fis.part.{k}"), Shown.MONEY) for k, label in INCOME_PARTS.items()),
    *(Figure(f"excluded.{k}", why, pl.col(f"fis.excluded.{k}"), Shown.MONEY) for k, why in EXCLUDED.items()),
)
# The support worked out for the family (policy/statement.py writes it out).
FORMULAS = (
    Formula(
        Operand("figure:target", Text("the target", "الحد المستهدف")),
        Operand("parameter:fis.base", Text("the amount for one person", "المبلغ لفرد واحد")),
        ((Op.TIMES_ROOT, Operand("figure:members", Text("the members counted", "عدد الأفراد المحتسبين"))),),
    ),
    Formula(
        Operand("amount", Text("the support", "مبلغ الدعم")),
        Operand("figure:target", Text("the target", "الحد المستهدف")),
        ((Op.MINUS, Operand("figure:income", Text("the income counted", "الدخل المحتسب"))),),
    ),
)


def family_income_support(p: Parameters, period: Period) -> Rule:
    head_is_lone_woman_status = woman & status.is_in(["single", "divorced", "widowed"])
    stages = (
        (counted_member(p, period).alias("fis.counted"),),
        (
            family_total(COUNTED.cast(pl.Int64)).alias("fis.members"),
            family_total((COUNTED & is_child).cast(pl.Int32)).alias("fis.counted_children"),
            (family_total((COUNTED & (pl.col("nationality") == OMANI)).cast(pl.Int32)) > 0).alias("fis.omani_member"),
            of_head(woman & status.is_in(["widowed", "divorced"])).alias("fis.head_widowed_or_divorced_woman"),
            of_head(head_is_lone_woman_status).alias("fis.head_single_divorced_or_widowed_woman"),
            of_head(pl.col("resident")).alias("fis.head_resident"),
            of_head(alive(period)).alias("fis.head_alive"),
            of_head(born_by(period)).alias("fis.head_born"),
        ),
        (*income_parts(p, period), target(p.fis.base, MEMBERS).alias("fis.target")),
        (MEMBER_INCOME_SUM.alias("fis.member_income"), family_total(MEMBER_INCOME_SUM).alias("fis.income")),
    )
    benefit = (TARGET - INCOME).clip(lower_bound=0)
    lone_woman = (MEMBERS == 1) & pl.col("fis.head_single_divorced_or_widowed_woman")
    cap = pl.lit(p.fis.single_woman_cap, pl.Int64)
    return Rule(
        stages=stages,
        checks=(
            Check(
                "head_resident",
                Text("the head lives in Oman", "رب الأسرة مقيم في سلطنة عُمان"),
                pl.col("fis.head_resident"),
            ),
            Check(
                "head_alive",
                Text("the head is alive in the month", "رب الأسرة على قيد الحياة في الشهر"),
                pl.col("fis.head_alive"),
            ),
            Check(
                # A head born after the month is no member yet: nothing is paid to them for it.
                "head_born",
                Text("the head is born by the end of the month", "رب الأسرة مولود بنهاية الشهر"),
                pl.col("fis.head_born"),
            ),
            Check(
                "omani_member",
                Text("at least one counted member is Omani", "فرد واحد على الأقل من المحتسبين عُماني"),
                pl.col("fis.omani_member"),
            ),
        ),
        amount=pl.when(lone_woman).then(pl.min_horizontal(benefit, cap)).otherwise(benefit),
        figures=(
            Figure("members", Text("members counted (n)", "عدد الأفراد المحتسبين (ن)"), MEMBERS, Shown.NUMBER),
            Figure(
                "target",
                Text("target: base x square root of n", "المبلغ المستهدف: الأساس × الجذر التربيعي لـ ن"),
                TARGET,
                Shown.MONEY,
            ),
            Figure("income", Text("family income counted", "دخل الأسرة المحتسب"), INCOME, Shown.MONEY),
        ),
        member_figures=MEMBER_FIGURES,
        formulas=FORMULAS,
    )
