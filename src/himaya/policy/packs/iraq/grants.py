"""The student grant (budget law 13/2023, art. 52) and the full-time caregiver salary (Law 38/2013):
`shared/policy/iraq.md`, sections 3.2 and 3.4."""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.ages import age_at, alive, born_by
from himaya.policy.pack import Check, Figure, Rule, Shown, amount_of
from himaya.policy.packs.iraq.names import MONTH_NAMES, MONTHS
from himaya.policy.packs.iraq.subsidy import FAMILY, IRAQI, federal
from himaya.policy.parameters import Parameters

GRANT_LEVELS = ("primary", "intermediate", "preparatory", "university", "postgraduate")


def lives_here(p: Parameters, period: Period) -> tuple[Check, ...]:
    return (
        Check("alive", Text("alive in the month", "على قيد الحياة في الشهر"), alive(period)),
        Check("born", Text("born by the end of the month", "مولود بنهاية الشهر"), born_by(period)),
        Check("resident", Text("lives in Iraq", "مقيم في العراق"), pl.col("resident")),
        Check(
            "federal",
            Text(
                "lives in a governorate of the federal scheme (outside the Kurdistan Region)",
                "يقيم في محافظة يشملها النظام الاتحادي (خارج إقليم كوردستان)",
            ),
            federal(p),
        ),
    )


def student_grant(p: Parameters, period: Period) -> Rule:
    """A monthly grant, by school level, to each student enrolled (and attending, where the switch
    says so) of a family paid the subsidy, in the months of the school year."""
    amounts = p.student_grant.amount
    amount: pl.Expr = pl.lit(0, pl.Int64)
    for level in reversed(GRANT_LEVELS):
        amount = (
            pl.when(pl.col("school_level") == level).then(pl.lit(getattr(amounts, level), pl.Int64)).otherwise(amount)
        )
    month = MONTHS[period.month - 1]
    in_school_year = month in p.student_grant.months
    attendance = (
        (
            Check(
                "attending",
                Text("attended school or university in the month", "واظب على الدوام في الشهر"),
                pl.col("attending"),
            ),
        )
        if p.student_grant.attendance_required
        else ()
    )
    return Rule(
        checks=(
            *lives_here(p, period),
            Check(
                "student",
                Text("a student at a level the grant pays for", "طالب في مرحلة دراسية تشملها المنحة"),
                pl.col("school_level").is_in(GRANT_LEVELS).fill_null(False),
            ),
            Check("enrolled", Text("enrolled in the month", "مسجَّل في الشهر"), pl.col("enrolled")),
            *attendance,
            Check(
                "school_year",
                Text(
                    f"{MONTH_NAMES[month].en} is a month of the school year the grant is paid for",
                    f"شهر {MONTH_NAMES[month].ar} من أشهر السنة الدراسية التي تُصرف عنها المنحة",
                ),
                pl.lit(in_school_year),
            ),
            _family_supported(p),
        ),
        amount=amount,
        figures=(Figure("level", Text("school level", "المرحلة الدراسية"), pl.col("school_level"), Shown.TEXT),),
    )


def _family_supported(p: Parameters) -> Check:
    """The grant rests on the subsidy; under a reform that pays the family income top-up, on either."""
    if p.life_cycle.top_up.active:
        return Check(
            "family_subsidised",
            Text(
                "the family is paid the social protection subsidy or the family income top-up",
                "تتقاضى الأسرة إعانة الحماية الاجتماعية أو دعم دخل الأسرة",
            ),
            (amount_of("sp_cash") + amount_of("family_top_up")).sum().over(FAMILY) > 0,
        )
    return Check(
        "family_subsidised",
        Text("the family is paid the social protection subsidy", "تتقاضى الأسرة إعانة الحماية الاجتماعية"),
        amount_of("sp_cash").sum().over(FAMILY) > 0,
    )


def _caregiver_checks(p: Parameters, period: Period) -> list[Check]:
    c = p.caregiver
    age = age_at(period.start)
    cared_for = (
        alive(period) & born_by(period) & pl.col("disability_category").is_in(list(c.conditions)).fill_null(False)
    )
    kinship = pl.col("kinship_degree").cast(pl.Int32, strict=False)
    checks = [
        *lives_here(p, period),
        *(
            (Check("iraqi", Text("Iraqi national", "عراقي الجنسية"), pl.col("nationality") == IRAQI),)
            if c.nationals_only
            else ()
        ),
        Check(
            "of_age",
            Text(
                f"aged {c.min_age} to {c.max_age} on the first day of the month",
                f"عمره بين {c.min_age} و{c.max_age} سنة في أول يوم من الشهر",
            ),
            (age >= c.min_age) & (age <= c.max_age),
        ),
        Check(
            "cares_for",
            Text(
                "cares for another person with a condition the salary is paid for, alive in the month",
                "يعين شخصاً آخر مصاباً بحالة يُصرف عنها الراتب، على قيد الحياة في الشهر",
            ),
            (
                pl.col("cares_for").is_in(pl.col("person_id").filter(cared_for).implode())
                & (pl.col("cares_for") != pl.col("person_id"))  # no salary for caring for oneself
            ).fill_null(False),
        ),
        Check(
            "kinship",
            Text(
                f"a relative of that person up to the degree {c.max_kinship_degree}",
                f"قريب لذلك الشخص حتى الدرجة {c.max_kinship_degree}",
            ),
            (kinship <= c.max_kinship_degree).fill_null(False),
        ),
    ]
    if c.not_employed:
        not_working = ~(pl.col("employed") | pl.col("state_employee") | pl.col("security_forces"))
        checks.append(Check("not_employed", Text("not employed", "غير موظف ولا عامل"), not_working))
    return checks


def caregiver(p: Parameters, period: Period) -> Rule:
    """A monthly salary to a relative who cares full time for a person with a listed severe
    condition: of an age within the bounds, not employed, of a close enough degree of kinship, and
    (a switch) only one caregiver paid for each person cared for, the first by person_id."""
    c = p.caregiver
    age = age_at(period.start)
    kinship = pl.col("kinship_degree").cast(pl.Int32, strict=False)
    checks = _caregiver_checks(p, period)
    stages: tuple[tuple[pl.Expr, ...], ...] = ()
    if c.one_per_person:
        eligible = pl.all_horizontal([check.expr for check in checks])
        first = pl.col("person_id").filter(pl.col("cg.eligible")).min().over("cares_for")
        stages = (
            (eligible.alias("cg.eligible"),),
            ((pl.col("person_id") == first).fill_null(False).alias("cg.first"),),
        )
        checks.append(
            Check(
                "first_caregiver",
                Text(
                    "the first caregiver listed for that person (one salary for each person cared for)",
                    "أول معين مسجَّل لذلك الشخص (راتب واحد عن كل شخص)",
                ),
                pl.col("cg.first"),
            )
        )
    return Rule(
        stages=stages,
        checks=tuple(checks),
        amount=pl.lit(c.amount, pl.Int64),
        figures=(
            Figure(
                "age",
                Text(f"age on {period.start.isoformat()}", f"العمر في {period.start.isoformat()}"),
                age,
                Shown.NUMBER,
            ),
            Figure("cares_for", Text("person cared for", "الشخص الذي يعينه"), pl.col("cares_for"), Shown.TEXT),
            Figure("kinship", Text("degree of kinship", "درجة القرابة"), kinship, Shown.NUMBER),
        ),
    )
