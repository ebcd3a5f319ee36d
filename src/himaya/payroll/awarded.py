"""The insurance's awards as a source of payment lines, beside the enrollments: each approved award
(pension, survivor's share, job security) is owed every month from its start to its end, the whole
maternity allowance once in the month it starts. The run pays the month's as regular lines and any
month before still unpaid as arrears; the unique index (one line per person, programme and month,
ever) and `insert_lines`, which leaves out what any run already holds, make it never twice."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period
from himaya.payroll.model import LineKind


def award_months(awarded: pl.DataFrame, period: Period, go_live: date) -> pl.DataFrame:
    """person_id, programme, month, amount, kind of the months owed up to `period`.

    `awarded`: person_id, programme, start_month, end_month (null: open), amount (baisa a month),
    once (the whole amount in the start month), death_date. A monthly award is paid from go-live
    at the earliest; no month after the beneficiary's death is owed.

    >>> from datetime import date
    >>> a = pl.DataFrame({"person_id": ["1"], "programme": ["pension_old_age"], "start_month": [date(2026, 1, 1)],
    ...     "end_month": [None], "amount": [150_000], "once": [False], "death_date": [None]},
    ...     schema_overrides={"end_month": pl.Date, "death_date": pl.Date})
    >>> award_months(a, Period(2026, 3), date(2026, 2, 1))["month"].to_list()
    [datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)]
    """
    text: pl.DataType = pl.String()
    schema: dict[str, pl.DataType] = {
        "person_id": text,
        "programme": text,
        "month": pl.Date(),
        "amount": pl.Int64(),
        "kind": text,
    }
    if not awarded.height:
        return pl.DataFrame(schema=schema)
    first = (
        pl.when(pl.col("once")).then(pl.col("start_month")).otherwise(pl.max_horizontal("start_month", pl.lit(go_live)))
    )
    last = pl.when(pl.col("once")).then(pl.col("start_month")).otherwise(pl.col("end_month").fill_null(period.start))
    last = pl.min_horizontal(last, pl.lit(period.start))
    owed = (
        awarded.with_columns(first.alias("first"), last.alias("last"))
        .filter(pl.col("first") <= pl.col("last"))
        .with_columns(pl.date_ranges("first", "last", interval="1mo").alias("month"))
        .explode("month")
        .filter(pl.col("death_date").is_null() | (pl.col("month") <= pl.col("death_date")))
    )
    regular = pl.col("month") == pl.lit(period.start)
    return owed.select(
        "person_id",
        "programme",
        "month",
        "amount",
        pl.when(regular).then(pl.lit(LineKind.REGULAR.value)).otherwise(pl.lit(LineKind.ARREARS.value)).alias("kind"),
    ).cast(pl.Schema(schema))
