"""Plan the month's enrollment changes from the month's entitlements (pure: no storage).

Who is entitled and not enrolled is enrolled, from the month the pack's start rule for the
programme gives (in Oman: the child benefit from the month of birth, the elderly benefit from the
month of the birthday of `elderly.min_age`, the disability benefit from the month the assessment was
registered); a programme without a start rule from the month of the sync, which stands for the
application. Nobody is enrolled before the pack's first month, nor after the month of the sync.
Who is enrolled and no longer entitled is ended with the month before.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from himaya.core.periods import Period
from himaya.policy.pack import EnrollmentStart

APPLICATION = "from the month of the sync (the application)"
APPLIED = "from the month of the application"


def month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def plan_enrollments(
    entitled: pl.DataFrame,
    active: pl.DataFrame,
    period: Period,
    *,
    first: Period,
    starts: Mapping[str, EnrollmentStart] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(to enroll, to end).

    `entitled`: person_id, programme, birth_date, assessed_from (Date or null) for the month, and
    optionally applied_on (Date or null): the day the person applied, from whose month a programme
    without a start rule is due (an application decided late, or granted on appeal: the months since
    are then paid as arrears).
    `active`: person_id, programme for the enrollments in force. `starts`: the pack's start rules
    (`pack.enrollment_starts(parameters of the month)`); a start the rule cannot give (no date) is
    the pack's first month.
    To enroll: person_id, programme, start_month, reason. To end: person_id, programme, end_month, reason.
    """
    this_month, floor = period.start, first.start
    rule = pl.col("programme")
    applied = "applied_on" in entitled.columns
    start: pl.Expr = month_start(pl.col("applied_on")).fill_null(pl.lit(this_month)) if applied else pl.lit(this_month)
    for programme, given in reversed(list((starts or {}).items())):
        start = pl.when(rule == programme).then(month_start(given.month).fill_null(pl.lit(floor))).otherwise(start)
    start = pl.min_horizontal(pl.max_horizontal(start, pl.lit(floor)), pl.lit(this_month))
    words = {programme: given.rule for programme, given in (starts or {}).items()}
    otherwise = pl.lit(APPLICATION)
    if applied:
        otherwise = pl.when(pl.col("applied_on").is_not_null()).then(pl.lit(APPLIED)).otherwise(otherwise)
    reason = pl.concat_str(
        pl.lit("entitled in "),
        pl.lit(str(period)),
        pl.lit("; "),
        rule.replace_strict(words, default=None, return_dtype=pl.String).fill_null(otherwise),
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


def keep_exceptions(
    to_enroll: pl.DataFrame, to_end: pl.DataFrame, active: pl.DataFrame, kept: pl.DataFrame, *, first: Period
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The plan with a supervisor's exceptions in force in the month held: an enrollment they keep is
    not ended, and one they keep but nobody enrolled (an application approved by override) is enrolled
    from the exception's first month. After its until month the exception is no longer `kept`: the
    enrollment is ended as usual.

    `kept`: person_id, programme, from_month, until_month, exception_case, of the exceptions in force
    in the month (of living people).

    >>> from datetime import date
    >>> kept = pl.DataFrame({"person_id": ["1"], "programme": ["disability"], "from_month": [date(2026, 2, 1)],
    ...                      "until_month": [date(2026, 12, 1)], "exception_case": ["C-2026-000124"]})
    >>> none = pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    >>> ending = pl.DataFrame({"person_id": ["1"], "programme": ["disability"], "end_month": [date(2026, 2, 1)],
    ...                        "reason": ["not entitled in 2026-03"]})
    >>> to_enroll, to_end = keep_exceptions(none, ending, ending.select("person_id", "programme"), kept,
    ...                                     first=Period(2024, 1))
    >>> to_enroll.height, to_end.height
    (0, 0)
    """
    pair = ["person_id", "programme"]
    to_end = to_end.join(kept, on=pair, how="anti")
    reason = pl.format(
        "kept in force by exception {} until {}", pl.col("exception_case"), pl.col("until_month").dt.strftime("%Y-%m")
    )
    held = (
        kept.join(active.select(pair), on=pair, how="anti")
        .join(to_enroll.select(pair), on=pair, how="anti")
        .unique(pair, keep="first", maintain_order=True)
        .select(
            "person_id",
            "programme",
            pl.max_horizontal(pl.col("from_month"), pl.lit(first.start)).alias("start_month"),
            reason.alias("reason"),
        )
    )
    return (pl.concat([to_enroll, held], how="vertical_relaxed") if held.height else to_enroll), to_end
