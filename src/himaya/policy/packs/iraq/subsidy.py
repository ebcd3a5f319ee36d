"""The social protection cash subsidy of Law 11/2014 (`shared/policy/iraq.md`, section 3.1).

A family is paid when it lives in a governorate of the federal scheme, its head is Iraqi (or a
lawful permanent resident), its welfare per person is below the poverty line, and no member falls
under an exclusion that is switched on. The welfare is the one the social researcher's survey
measured (`pmt_pc_welfare` on the head's row), or else the pack's formula: the weighted incomes of
the members counted, plus a value per member and per ration card, divided by their number. The
amount follows the size of the family, on the men's or the women's scale by the head's sex.

The family's columns are computed in flat stages (`sp.*`), as Oman's family support is, and the
amount is paid on the head's row.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.ages import alive, born_by
from himaya.policy.pack import Check, Figure, Rule, Shown, Withholding, amount_of
from himaya.policy.packs.iraq.names import MONTHS
from himaya.policy.packs.iraq.schema import IQD, PUPIL_LEVELS
from himaya.policy.parameters import Parameters

FAMILY = "family_id"
IRAQI = "IQ"
is_head = pl.col("relationship") == "head"

COUNTED = pl.col("sp.counted")
MEMBERS = pl.col("sp.members")
WELFARE = pl.col("sp.welfare")


def of_head(expr: pl.Expr) -> pl.Expr:
    """The head's value of a row-level `expr`, on every row of the family (exactly one head each)."""
    return (is_head & expr).cast(pl.Int8).sum().over(FAMILY) > 0


def any_member(expr: pl.Expr) -> pl.Expr:
    """Whether a member counted in the family has `expr` true, on every row of the family."""
    return (COUNTED & expr).cast(pl.Int32).sum().over(FAMILY) > 0


def federal(p: Parameters) -> pl.Expr:
    """The row's governorate is reached by the federal scheme (not one of the Kurdistan Region's)."""
    return ~pl.col("governorate").is_in(list(p.territory.excluded_governorates))


def _weighted(column: str, weight: Fraction) -> pl.Expr:
    """An income times a rate, in whole dinars (rounded down, exactly)."""
    return (pl.col(column) * weight.numerator) // weight.denominator


def counted_member(p: Parameters, period: Period) -> pl.Expr:
    """Who is counted in the family: alive and born in the month, living in Iraq unless members
    abroad are counted too (`sp_cash.count_members_abroad`)."""
    present = pl.lit(True) if p.sp_cash.count_members_abroad else pl.col("resident")
    return alive(period) & born_by(period) & present


def formula_welfare(p: Parameters) -> pl.Expr:
    """A member's part of the family's welfare by the pack's formula (before dividing by n)."""
    pmt = p.sp_cash.pmt
    return (
        _weighted("wage", pmt.weight.wage)
        + _weighted("pension", pmt.weight.pension)
        + _weighted("other_income", pmt.weight.other_income)
        + pl.lit(pmt.per_member, pl.Int64)
        + pl.when(pl.col("ration_card")).then(pl.lit(pmt.ration_card_value, pl.Int64)).otherwise(0)
    )


EXCLUSIONS = {
    # switch -> (the column that excludes, the condition in words)
    "state_employee": (
        "state_employee",
        Text("no member of the family is a state employee", "لا يوجد في الأسرة موظف في الدولة"),
    ),
    "state_pensioner": (
        "state_pension",
        Text("no member of the family receives a state pension", "لا يوجد في الأسرة متقاعد يتقاضى راتباً تقاعدياً"),
    ),
    "security_forces": (
        "security_forces",
        Text("no member of the family serves in the security forces", "لا يوجد في الأسرة منتسب إلى القوات الأمنية"),
    ),
    "law18_insured": (
        "law18_insured",
        Text(
            "no member of the family is insured under the workers' social security law (Law 18/2023)",
            "لا يوجد في الأسرة مشمول بقانون التقاعد والضمان الاجتماعي للعمال (القانون 18 لسنة 2023)",
        ),
    ),
}


def scale_amount(p: Parameters, members: pl.Expr, woman_head: pl.Expr) -> pl.Expr:
    """The amount for a family of `members`: the first member's amount and one more for each other
    member up to the scale's largest size, on the women's or the men's scale; never above the cap."""

    def on(scale: Parameters) -> pl.Expr:
        counted = pl.min_horizontal(members, pl.lit(scale.max_members, pl.Int64))
        return pl.lit(scale.first_member, pl.Int64) + pl.lit(scale.per_additional_member, pl.Int64) * (counted - 1)

    amount = pl.when(woman_head).then(on(p.sp_cash.women)).otherwise(on(p.sp_cash.men))
    return pl.min_horizontal(amount, pl.lit(p.sp_cash.max_per_household, pl.Int64))


def _stages(p: Parameters, period: Period) -> tuple[tuple[pl.Expr, ...], ...]:
    """Who is counted; then the family's size, formula total, measured welfare and the head's
    situation; then the welfare per person and where it comes from."""
    measured = pl.when(is_head).then(pl.col("pmt_pc_welfare")).max().over(FAMILY)
    use_measured = pl.col("sp.measured").is_not_null() if p.sp_cash.pmt.use_measured else pl.lit(False)
    nationality = pl.col("nationality") == IRAQI
    if p.sp_cash.foreign_residents:
        nationality = nationality | pl.col("permanent_resident")
    return (
        (counted_member(p, period).alias("sp.counted"),),
        (
            COUNTED.cast(pl.Int64).sum().over(FAMILY).alias("sp.members"),
            pl.when(COUNTED).then(formula_welfare(p)).otherwise(0).sum().over(FAMILY).alias("sp.formula_total"),
            measured.alias("sp.measured"),
            of_head(pl.col("sex") == "F").alias("sp.woman_head"),
            of_head(alive(period)).alias("sp.head_alive"),
            of_head(born_by(period)).alias("sp.head_born"),
            of_head(pl.col("resident")).alias("sp.head_resident"),
            of_head(federal(p)).alias("sp.head_federal"),
            of_head(nationality).alias("sp.head_nationality"),
            *(any_member(pl.col(column)).alias(f"sp.any.{key}") for key, (column, _) in EXCLUSIONS.items()),
        ),
        (
            pl.when(use_measured)
            .then(pl.col("sp.measured"))
            .when(MEMBERS > 0)
            .then(pl.col("sp.formula_total") // MEMBERS)
            .alias("sp.welfare"),
            pl.when(use_measured).then(pl.lit("measured")).otherwise(pl.lit("formula")).alias("sp.welfare_source"),
        ),
    )


def below_line(line: int) -> Check:
    """The poverty-line test on the welfare per person (the subsidy's, and the life-cycle top-up's)."""
    return Check(
        "below_line",
        Text(
            f"welfare per person below the poverty line ({IQD.shown(line, grouped=True)} a month)",
            f"الرفاه للفرد دون خط الفقر ({IQD.shown(line, 'ar', grouped=True)} شهرياً)",
        ),
        (line > WELFARE).fill_null(False),
    )


def _checks(p: Parameters) -> tuple[Check, ...]:
    line = p.poverty_line.per_person
    exclusions = tuple(
        Check(f"not_{key}", label, ~pl.col(f"sp.any.{key}"))
        for key, (_, label) in EXCLUSIONS.items()
        if getattr(p.sp_cash.exclude, key)
    )
    nationality = (
        Text("the head is Iraqi, or a lawful permanent resident", "رب الأسرة عراقي الجنسية أو مقيم إقامة دائمة مشروعة")
        if p.sp_cash.foreign_residents
        else Text("the head is Iraqi", "رب الأسرة عراقي الجنسية")
    )
    return (
        Check(
            "head_alive",
            Text("the head is alive in the month", "رب الأسرة على قيد الحياة في الشهر"),
            pl.col("sp.head_alive"),
        ),
        Check(
            "head_born",
            Text("the head is born by the end of the month", "رب الأسرة مولود بنهاية الشهر"),
            pl.col("sp.head_born"),
        ),
        Check("head_resident", Text("the head lives in Iraq", "رب الأسرة مقيم في العراق"), pl.col("sp.head_resident")),
        Check(
            "federal",
            Text(
                "the family lives in a governorate of the federal scheme (outside the Kurdistan Region)",
                "تقيم الأسرة في محافظة يشملها النظام الاتحادي (خارج إقليم كوردستان)",
            ),
            pl.col("sp.head_federal"),
        ),
        Check("nationality", nationality, pl.col("sp.head_nationality")),
        below_line(line),
        *exclusions,
        *(
            ()
            if p.sp_cash.active
            else (
                Check(
                    "in_force",
                    Text(
                        "the subsidy is in force (a reform has replaced it)",
                        "الإعانة نافذة (استبدل بها إصلاحٌ غيرها)",
                    ),
                    pl.lit(False),
                ),
            )
        ),
    )


def _figures(line: int) -> tuple[Figure, ...]:
    return (
        Figure("members", Text("members counted (n)", "عدد الأفراد المحتسبين (ن)"), MEMBERS, Shown.NUMBER),
        Figure(
            "caseload",
            Text("caseload", "الفئة"),
            pl.when(pl.col("sp.woman_head")).then(pl.lit("women")).otherwise(pl.lit("men")),
            Shown.TEXT,
        ),
        Figure("welfare", Text("welfare per person a month", "الرفاه الشهري للفرد"), WELFARE, Shown.MONEY),
        Figure("welfare_source", Text("welfare", "مصدر الرفاه"), pl.col("sp.welfare_source"), Shown.TEXT),
        Figure(
            "poverty_line",
            Text("poverty line per person a month", "خط الفقر الشهري للفرد"),
            pl.lit(line, pl.Int64),
            Shown.MONEY,
        ),
    )


def sp_cash(p: Parameters, period: Period) -> Rule:
    return Rule(
        stages=_stages(p, period),
        checks=_checks(p),
        amount=scale_amount(p, MEMBERS, pl.col("sp.woman_head")),
        figures=_figures(p.poverty_line.per_person),
    )


def pupils_all_absent(p: Parameters, period: Period) -> pl.Expr:
    """In a month of the school year, the family has pupils (members counted in it, enrolled at
    primary, intermediate or preparatory school) and none of them attended."""
    if MONTHS[period.month - 1] not in p.student_grant.months:
        return pl.lit(False)
    # Only a member the family is counted with: a pupil living abroad (not counted) suspends nothing.
    pupil = counted_member(p, period) & pl.col("enrolled") & pl.col("school_level").is_in(PUPIL_LEVELS)
    pupils = pupil.cast(pl.Int32).sum().over(FAMILY)
    attending = (pupil & pl.col("attending")).cast(pl.Int32).sum().over(FAMILY)
    return (pupils > 0) & (attending == 0)


def absence_suspension(p: Parameters, period: Period) -> tuple[Withholding, ...]:
    """From 2025, the subsidy (and so the student grants that rest on it) is not paid for a month
    in which all the family's pupils were absent from school."""
    if not p.student_grant.absence_suspends_sp_cash:
        return ()
    absent = pupils_all_absent(p, period)
    reason = Text(
        "suspended: all the family's pupils were absent from school this month",
        "موقوفة: تغيَّب جميع تلاميذ الأسرة عن المدرسة هذا الشهر",
    )
    grant_reason = Text(
        "the family's subsidy is suspended: all its pupils were absent from school this month",
        "إعانة الأسرة موقوفة: تغيَّب جميع تلاميذها عن المدرسة هذا الشهر",
    )
    return (
        Withholding("sp_cash", absent & (amount_of("sp_cash") > 0), reason),
        Withholding("student_grant", absent & (amount_of("student_grant") > 0), grant_reason),
    )
