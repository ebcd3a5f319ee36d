"""Oman's life-cycle design in Iraq, for a reform to switch on (issue 17): a universal child benefit,
an old-age benefit for those who draw no pension, a disability benefit and a family income top-up to
the poverty line. None is in Iraq's law: their amounts are zero and the top-up is off by default
(`life_cycle.*`), so today's rules pay none of them; `examples/reforms/iraq-life-cycle.yaml` sets
them, and switches the cash subsidy off (`sp_cash.active`).

The three benefits are categorical: no test of the family's welfare. The top-up is assessed on the
welfare the subsidy's rule works out (`sp.*` stages: the researcher's measured score, else the
pack's formula), with the family's life-cycle benefits counted against the gap.
"""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.ages import age_at
from himaya.policy.pack import Check, Figure, Rule, Shown, amount_of
from himaya.policy.packs.iraq.grants import lives_here
from himaya.policy.packs.iraq.subsidy import FAMILY, IRAQI, MEMBERS, WELFARE, below_line
from himaya.policy.parameters import Parameters

CATEGORICAL = ("child_benefit", "old_age", "disability_benefit")
IRAQI_CHECK = Check("nationality", Text("Iraqi", "عراقي الجنسية"), pl.col("nationality") == IRAQI)


def _in_force(amount: int) -> Check:
    return Check(
        "in_force",
        Text("the benefit is in force (a reform sets its amount)", "المنفعة نافذة (يحدد مبلغها إصلاح)"),
        pl.lit(amount > 0),
    )


def child_benefit(p: Parameters, period: Period) -> Rule:
    c = p.life_cycle.child
    return Rule(
        checks=(
            *lives_here(p, period),
            IRAQI_CHECK,
            Check(
                "child",
                Text(f"under {c.max_age} on the first day of the month", f"دون {c.max_age} سنة في أول يوم من الشهر"),
                age_at(period.start) < c.max_age,
            ),
            _in_force(c.amount),
        ),
        amount=pl.lit(c.amount, pl.Int64),
        figures=(Figure("age", Text("age", "العمر"), age_at(period.start), Shown.NUMBER),),
    )


def old_age(p: Parameters, period: Period) -> Rule:
    o = p.life_cycle.old_age
    return Rule(
        checks=(
            *lives_here(p, period),
            IRAQI_CHECK,
            Check(
                "elderly",
                Text(f"aged {o.min_age} or over on the first day of the month", f"بلغ {o.min_age} سنة فأكثر"),
                age_at(period.start) >= o.min_age,
            ),
            Check(
                "no_pension",
                Text("draws no pension", "لا يتقاضى راتباً تقاعدياً"),
                (pl.col("pension").fill_null(0) == 0) & ~pl.col("state_pension").fill_null(False),
            ),
            _in_force(o.amount),
        ),
        amount=pl.lit(o.amount, pl.Int64),
        figures=(Figure("age", Text("age", "العمر"), age_at(period.start), Shown.NUMBER),),
    )


def disability_benefit(p: Parameters, period: Period) -> Rule:
    amount = p.life_cycle.disability.amount
    return Rule(
        checks=(
            *lives_here(p, period),
            IRAQI_CHECK,
            Check(
                "disability",
                Text("has a recorded disability", "لديه إعاقة مسجلة"),
                pl.col("disability_category").is_not_null(),
            ),
            _in_force(amount),
        ),
        amount=pl.lit(amount, pl.Int64),
    )


BENEFITS = pl.col("lc.benefits")


def family_top_up(p: Parameters, period: Period) -> Rule:
    """The family's gap to the line, (line - welfare) x members, times the share paid, less the
    life-cycle benefits its members receive; paid to the head. Reads the subsidy's stages."""
    t, line = p.life_cycle.top_up, p.poverty_line.per_person
    share = t.share_of_gap
    gap = (pl.lit(line, pl.Int64) - WELFARE).clip(lower_bound=0) * MEMBERS
    amount = (gap * share.numerator) // share.denominator - BENEFITS
    return Rule(
        stages=((pl.sum_horizontal([amount_of(k) for k in CATEGORICAL]).sum().over(FAMILY).alias("lc.benefits"),),),
        checks=(
            Check(
                "head_alive",
                Text("the head is alive in the month", "رب الأسرة على قيد الحياة"),
                pl.col("sp.head_alive"),
            ),
            Check(
                "head_resident", Text("the head lives in Iraq", "رب الأسرة مقيم في العراق"), pl.col("sp.head_resident")
            ),
            Check(
                "federal",
                Text("the family lives in a federal governorate", "تقيم الأسرة في محافظة اتحادية"),
                pl.col("sp.head_federal"),
            ),
            Check(
                "nationality",
                Text(
                    "the head is Iraqi (or a lawful permanent resident, as the subsidy's rule says)",
                    "رب الأسرة عراقي الجنسية (أو مقيم إقامة دائمة مشروعة، كما في قاعدة الإعانة)",
                ),
                pl.col("sp.head_nationality"),
            ),
            below_line(line),
            Check(
                "in_force",
                Text("the top-up is in force (a reform switches it on)", "الدعم نافذ (يفعّله إصلاح)"),
                pl.lit(bool(t.active)),
            ),
        ),
        amount=amount.fill_null(0),
        figures=(
            Figure("members", Text("members counted (n)", "عدد الأفراد المحتسبين (ن)"), MEMBERS, Shown.NUMBER),
            Figure("welfare", Text("welfare per person a month", "الرفاه الشهري للفرد"), WELFARE, Shown.MONEY),
            Figure(
                "benefits",
                Text("the family's life-cycle benefits a month", "منافع دورة الحياة الشهرية للأسرة"),
                BENEFITS,
                Shown.MONEY,
            ),
        ),
    )
