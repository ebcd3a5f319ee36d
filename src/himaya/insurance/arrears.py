"""Arrears: what each employer owes for each month on a given day, and the late-payment surcharge.

A payment settles the employer's contributions oldest month first (by due date). Each rial of a
month's contributions is late from the day after its due date until the payment that settled it,
or until the day of the statement if none has: the surcharge is `insurance.late_surcharge` of it
for each month or part of a month late, not compounded, rounded half up to the baisa per month
and payment. Payments above what is due are the employer's credit. All of it in sets: the
employers' dues and payments laid end to end as intervals of baisa, cut where either changes.
"""

from __future__ import annotations

from datetime import date

import polars as pl

ARREARS_COLUMNS = ("cr_number", "month", "due_date", "due", "paid", "outstanding", "months_late", "surcharge")


def months_late(due: pl.Expr, settled: pl.Expr) -> pl.Expr:
    """Months or parts of a month from `due` to `settled` (0 when settled by the due date).

    >>> frame = pl.DataFrame({"due": [date(2026, 2, 15)] * 4,
    ...                       "paid": [date(2026, 2, 15), date(2026, 2, 16), date(2026, 3, 15), date(2026, 3, 16)]})
    >>> frame.select(months_late(pl.col("due"), pl.col("paid")).alias("late"))["late"].to_list()
    [0, 1, 1, 2]
    """
    whole = (settled.dt.year() - due.dt.year()) * 12 + settled.dt.month() - due.dt.month()
    part = (settled.dt.day() > due.dt.day()).cast(pl.Int64)
    return pl.when(settled <= due).then(0).otherwise(whole.cast(pl.Int64) + part).cast(pl.Int64)


def _intervals(frame: pl.DataFrame, order: list[str], prefix: str) -> pl.DataFrame:
    """Each row's amount as the interval [start, end) of the employer's running total, in `order`."""
    end = pl.col("amount").cum_sum().over("cr_number", order_by=order)
    return frame.with_columns(end.alias(f"{prefix}_end")).with_columns(
        (pl.col(f"{prefix}_end") - pl.col("amount")).alias(f"{prefix}_start")
    )


def _pieces(due: pl.DataFrame, paid: pl.DataFrame) -> pl.DataFrame:
    """The employers' dues cut wherever a month's dues or a payment begins or ends: each piece
    (at, to) with its month (due_date, surcharge rate) and the payment covering it, if any."""
    cuts = (
        pl.concat(
            [
                due.select("cr_number", pl.col("due_start").alias("at")),
                paid.select("cr_number", pl.col("paid_start").alias("at")),
                paid.select("cr_number", pl.col("paid_end").alias("at")),
            ]
        )
        .unique()
        .join(due.group_by("cr_number").agg(pl.col("due_end").max().alias("total")), on="cr_number")
        .filter(pl.col("at") < pl.col("total"))
        .sort("cr_number", "at")
    )
    return (
        cuts.with_columns(pl.col("at").shift(-1).over("cr_number").fill_null(pl.col("total")).alias("to"))
        .join_asof(due.sort("cr_number", "due_start"), left_on="at", right_on="due_start", by="cr_number",
                   check_sortedness=False)
        .join_asof(paid.sort("cr_number", "paid_start").select("cr_number", "paid_start", "paid_end", "received_on"),
                   left_on="at", right_on="paid_start", by="cr_number", check_sortedness=False)
    )  # fmt: skip


def arrears(dues: pl.DataFrame, payments: pl.DataFrame, on: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per employer and month: ARREARS_COLUMNS; per employer: cr_number, credit).

    `dues`: cr_number, month, due_date, amount (baisa), rate_numerator and rate_denominator (the
    month's surcharge rate). `payments`: cr_number, received_on, amount; those after `on` are not
    counted."""
    owed = dues.filter(pl.col("amount") > 0)  # an empty interval would take the next month's rials
    due = _intervals(owed.sort("cr_number", "due_date", "month"), ["due_date", "month"], "due")
    paid = _intervals(
        payments.filter(pl.col("received_on") <= on).sort("cr_number", "received_on"), ["received_on"], "paid"
    )
    settled_on = pl.when(pl.col("at") < pl.col("paid_end")).then(pl.col("received_on"))
    late = months_late(pl.col("due_date"), settled_on.fill_null(pl.lit(on)))
    size = pl.col("to") - pl.col("at")
    numerator = size * late * pl.col("rate_numerator")
    by_month = (
        _pieces(due, paid)
        .with_columns(
            pl.when(settled_on.is_not_null()).then(size).otherwise(0).alias("paid_part"),
            ((2 * numerator + pl.col("rate_denominator")) // (2 * pl.col("rate_denominator"))).alias("surcharge"),
            pl.when(settled_on.is_null()).then(late).otherwise(0).alias("late_now"),
        )
        .group_by("cr_number", "month")
        .agg(
            pl.col("paid_part").sum().alias("paid"),
            pl.col("surcharge").sum(),
            pl.col("late_now").max().alias("months_late"),
        )
    )
    table = (
        dues.select("cr_number", "month", "due_date", pl.col("amount").alias("due"))
        .join(by_month, on=["cr_number", "month"], how="left")
        .with_columns(pl.col("paid", "surcharge", "months_late").fill_null(0))
        .with_columns((pl.col("due") - pl.col("paid")).alias("outstanding"))
        .select(ARREARS_COLUMNS)
        .sort("cr_number", "month")
    )
    return table, _credit(dues, paid)


def _credit(dues: pl.DataFrame, paid: pl.DataFrame) -> pl.DataFrame:
    """cr_number, credit: what each employer paid beyond all its dues."""
    total_due = dues.group_by("cr_number").agg(pl.col("amount").sum().alias("due"))
    total_paid = paid.group_by("cr_number").agg(pl.col("amount").sum().alias("paid"))
    return (
        total_paid.join(total_due, on="cr_number", how="left")
        .select("cr_number", (pl.col("paid") - pl.col("due").fill_null(0)).clip(0).alias("credit"))
        .filter(pl.col("credit") > 0)
        .sort("cr_number")
    )
