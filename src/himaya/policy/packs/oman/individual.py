"""The individual benefits: child, elderly, disability, orphan, widow, and how they combine."""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Check, Figure, Formula, Op, Operand, Rule, Shown, Withholding, amount_of
from himaya.policy.packs.oman.common import age_at, age_figure, base_checks
from himaya.policy.packs.oman.names import PROGRAMME_NAMES
from himaya.policy.parameters import Parameters


def child(p: Parameters, period: Period) -> Rule:
    """Law art. 37: every Omani child under 18 on the first day of the month."""
    max_age = p.child.max_age
    return Rule(
        checks=(
            *base_checks(period),
            Check(
                "under_age",
                Text(f"under {max_age} on the first day of the month", f"دون {max_age} سنة في أول يوم من الشهر"),
                age_at(period.start) < max_age,
            ),
        ),
        amount=pl.lit(p.child.amount, pl.Int64),
        figures=(age_figure(period.start, key="age"),),
    )


def own_income() -> pl.Expr:
    """The elderly income test's own income: wage, pensions and other income (not alimony)."""
    return pl.col("wage") + pl.col("pension") + pl.col("survivor_pension") + pl.col("other_income")


def elderly(p: Parameters, period: Period) -> Rule:
    """Law art. 30, with the income test of the royal directives of 11 January 2026."""
    full = p.elderly.amount
    min_age = p.elderly.min_age
    amount: pl.Expr = pl.lit(full, pl.Int64)
    if p.elderly.income_test.active:
        test = p.elderly.income_test
        full_until, zero_from, rate = test.full_until, test.zero_from, test.taper_rate
        excess = own_income() - full_until
        # full - rate * excess, rounded half up to the baisa, in exact integer arithmetic.
        tapered = (2 * full * rate.denominator - 2 * rate.numerator * excess + rate.denominator) // (
            2 * rate.denominator
        )
        amount = (
            pl.when(own_income() <= full_until)
            .then(full)
            .when(own_income() >= zero_from)
            .then(0)
            .otherwise(tapered.clip(lower_bound=0))
        )
    return Rule(
        checks=(
            *base_checks(period),
            Check(
                "of_age",
                Text(
                    f"aged {min_age} or more on the last day of the month",
                    f"بلغ {min_age} سنة أو أكثر في آخر يوم من الشهر",
                ),
                age_at(period.end) >= min_age,
            ),
        ),
        amount=amount,
        figures=(
            age_figure(period.end, key="age"),
            Figure(
                "own_income",
                Text("own monthly income (wage, pensions, other)", "الدخل الشهري الخاص (الأجر والمعاشات ودخل آخر)"),
                own_income(),
                Shown.MONEY,
            ),
        ),
    )


def disability(p: Parameters, period: Period) -> Rule:
    """Law art. 31: a valid disability card in a qualifying category, at any age."""
    categories = list(p.disability.categories)
    return Rule(
        checks=(
            *base_checks(period),
            Check("card", Text("holds a valid disability card", "يحمل بطاقة إعاقة سارية"), pl.col("disability_card")),
            Check(
                "category",
                Text("disability category qualifies", "فئة الإعاقة مؤهلة"),
                pl.col("disability_category").is_in(categories).fill_null(False),
            ),
        ),
        amount=pl.lit(p.disability.amount, pl.Int64),
        figures=(
            Figure("category", Text("disability category", "فئة الإعاقة"), pl.col("disability_category"), Shown.TEXT),
        ),
    )


def orphan(p: Parameters, period: Period) -> Rule:
    """Law art. 33: a child with a deceased (or unknown) parent, topped up to the ceiling."""
    max_age = p.orphan.max_age
    return Rule(
        checks=(
            *base_checks(period),
            Check(
                "under_age",
                Text(f"under {max_age} on the first day of the month", f"دون {max_age} سنة في أول يوم من الشهر"),
                age_at(period.start) < max_age,
            ),
            Check(
                "parent_deceased",
                Text("father or mother deceased or unknown", "أحد الوالدين متوفًّى أو مجهول"),
                pl.col("father_deceased") | pl.col("mother_deceased"),
            ),
        ),
        amount=(pl.lit(p.orphan.ceiling, pl.Int64) - pl.col("survivor_pension")).clip(lower_bound=0),
        figures=(
            age_figure(period.start, key="age"),
            Figure(
                "survivor_pension", Text("survivor pension", "معاش المستحقين"), pl.col("survivor_pension"), Shown.MONEY
            ),
        ),
        formulas=(_topped_up("orphan", "survivor_pension", Text("the survivor pension", "معاش المستحقين")),),
    )


def widow(p: Parameters, period: Period) -> Rule:
    """Law art. 33: a widow who has not remarried, under 60, topped up to the ceiling."""
    max_age = p.widow.max_age
    pensions = pl.col("pension") + pl.col("survivor_pension")
    return Rule(
        checks=(
            *base_checks(period),
            Check("woman", Text("a woman", "أنثى"), pl.col("sex") == "F"),
            Check(
                "widowed",
                Text("widowed and not remarried", "أرملة لم تتزوج مرة أخرى"),
                pl.col("marital_status") == "widowed",
            ),
            Check(
                "under_age",
                Text(f"under {max_age} on the last day of the month", f"دون {max_age} سنة في آخر يوم من الشهر"),
                age_at(period.end) < max_age,
            ),
        ),
        amount=(pl.lit(p.widow.ceiling, pl.Int64) - pensions).clip(lower_bound=0),
        figures=(
            age_figure(period.end, key="age"),
            Figure(
                "pensions", Text("own and survivor pensions", "المعاش الخاص ومعاش المستحقين"), pensions, Shown.MONEY
            ),
        ),
        formulas=(_topped_up("widow", "pensions", Text("the pensions", "المعاشات")),),
    )


def _topped_up(programme: str, figure: str, label: Text) -> Formula:
    """A benefit that tops a pension up to a ceiling: the ceiling less the pension."""
    return Formula(
        Operand("amount", Text("the benefit", "مبلغ المنفعة")),
        Operand(f"parameter:{programme}.ceiling", Text("the ceiling", "الحد الأعلى")),
        ((Op.MINUS, Operand(f"figure:{figure}", label)),),
    )


def combination(p: Parameters, period: Period) -> tuple[Withholding, ...]:
    """Of each exclusive pair, a person entitled to both is paid the first only."""
    return tuple(
        Withholding(
            programme=second,
            when=(amount_of(first) > 0) & (amount_of(second) > 0),
            reason=Text(
                f"not paid together with the {PROGRAMME_NAMES[first].en}, which is paid instead",
                f"لا تُجمع مع {PROGRAMME_NAMES[first].ar} التي تُصرف بدلاً منها",
            ),
        )
        for first, second in p.combination.exclusive
    )
