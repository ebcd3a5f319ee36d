"""Plan the month's enrollment changes from the month's entitlements (pure: no storage).

Who is entitled and not enrolled is enrolled, from the month the rule gives: the child benefit
from the month of birth, the elderly benefit from the month of the 60th birthday, the disability
benefit from the month the assessment was registered, everything else (Family Income Support,
orphan and widow benefits) from the month of the sync, which stands for the application.
Nobody is enrolled before the pack's first month. Who is enrolled and no longer entitled is
ended with the month before.
"""

from __future__ import annotations

import polars as pl

from himaya.core.periods import Period

START_RULES = {
    "child": "from the month of birth",
    "elderly": "from the month of the 60th birthday",
    "disability": "from the month the assessment was registered",
}


def month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def plan_enrollments(
    entitled: pl.DataFrame, active: pl.DataFrame, period: Period, *, first: Period, elderly_age: int = 60
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(to enroll, to end).

    `entitled`: person_id, programme, birth_date, assessed_from (Date or null) for the month.
    `active`: person_id, programme for the enrollments in force.
    To enroll: person_id, programme, start_month, reason. To end: person_id, programme, end_month, reason.
    """
    this_month, floor = period.start, first.start
    rule = pl.col("programme")
    start = (
        pl.when(rule == "child")
        .then(month_start(pl.col("birth_date")))
        .when(rule == "elderly")
        .then(month_start(pl.col("birth_date").dt.offset_by(f"{elderly_age}y")))
        .when(rule == "disability")
        .then(month_start(pl.col("assessed_from").fill_null(pl.lit(floor))))
        .otherwise(pl.lit(this_month))
    )
    start = pl.min_horizontal(pl.max_horizontal(start, pl.lit(floor)), pl.lit(this_month))
    reason = pl.concat_str(
        pl.lit("entitled in "),
        pl.lit(str(period)),
        pl.lit("; "),
        rule.replace_strict(START_RULES, default="from the month of the sync (the application)"),
    )
    to_enroll = entitled.join(active, on=["person_id", "programme"], how="anti").select(
        "person_id", "programme", start.alias("start_month"), reason.alias("reason")
    )
    to_end = active.join(entitled, on=["person_id", "programme"], how="anti").select(
        "person_id",
        "programme",
        pl.lit(period.shifted(-1).start).alias("end_month"),
        pl.lit(f"not entitled in {period}").alias("reason"),
    )
    return to_enroll, to_end
