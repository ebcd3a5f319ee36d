"""What a survivor pension's shares changed after their months were paid does to the payroll (pure):
a survivor who left, whose share was paid for months after the last one owed, owes what was paid
too much (a debt, recovered as the payroll recovers a line paid after a death); a survivor whose
share went up for months already paid at the lower amount is owed the difference (a top-up line,
programme `survivor_topup`, paid as arrears by the next run). The months owed are the share rows'
(`awarded.award_months`), what was paid the lines of the month less the debts laid on them.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period
from himaya.payroll.awarded import award_months
from himaya.payroll.model import LineKind

SURVIVOR = "survivor_pension"
TOPUP = "survivor_topup"  # the difference of a month paid before the shares went up (one line a month)
PAID_PROGRAMMES = (SURVIVOR, TOPUP)
EVER = date(1900, 1, 1)


def owed_months(rows: pl.DataFrame, last: date) -> pl.DataFrame:
    """person_key, month, owed (baisa) of the survivors' share rows up to the month of `last`.

    `rows`: person_key, valid_from, valid_to, start_date, end_date (the award's), amount, death_date:
    every share row of theirs in an approved or ended survivor pension. A row never in force (ended
    the day before its start) owes nothing."""
    if not rows.height:
        return pl.DataFrame(schema={"person_key": pl.Int64, "month": pl.Date, "owed": pl.Int64})
    first = pl.max_horizontal("valid_from", "start_date")
    end = pl.min_horizontal("valid_to", "end_date")  # nulls ignored: open
    frame = rows.select(
        pl.col("person_key").cast(pl.String).alias("person_id"),
        pl.lit(SURVIVOR).alias("programme"),
        first.dt.month_start().alias("start_month"),
        pl.when(end < first).then(first.dt.month_start().dt.offset_by("-1mo")).otherwise(end.dt.month_start())
        .alias("end_month"),
        "amount",
        pl.lit(False).alias("once"),
        "death_date",
    )  # fmt: skip
    months = award_months(frame, Period.containing(last), EVER)
    return (
        months.group_by("person_id", "month")
        .agg(pl.col("amount").sum().alias("owed"))
        .select(pl.col("person_id").cast(pl.Int64).alias("person_key"), "month", "owed")
    )


def debts(lines: pl.DataFrame, owed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(new debts: line_id, amount; debts changed: debt_id, amount) so that what each survivor was
    paid for each month, less the debts on its lines, is no more than owed; a month paid short of
    what is owed now lowers its debts not yet recovered (the rest is a top-up's, `topups`).

    `lines`: line_id, person_key, month, amount, deduction, debt_id, debt_amount, recovered (the debt
    columns null without one) of the exported or paid lines; `owed`: person_key, month, owed."""
    joined = lines.join(owed, on=["person_key", "month"], how="left").with_columns(pl.col("owed").fill_null(0))
    new: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    for _, group in joined.sort("line_id", descending=True).group_by(["person_key", "month"], maintain_order=True):
        rows = group.to_dicts()
        paid = sum(r["amount"] - (r["debt_amount"] or 0) for r in rows)
        gap = paid - rows[0]["owed"]
        for r in rows:  # the latest line first
            if gap > 0:
                room = r["amount"] - r["deduction"] - (r["debt_amount"] or 0)
                take = min(gap, max(room, 0))
                if take and r["debt_id"] is None:
                    new.append((r["line_id"], take))
                elif take:
                    changed.append((r["debt_id"], r["debt_amount"] + take))
                gap -= take
            elif gap < 0 and r["debt_id"] is not None:
                give = min(-gap, r["debt_amount"] - r["recovered"])
                if give > 0:
                    changed.append((r["debt_id"], r["debt_amount"] - give))
                    gap += give
    schema = {"line_id": pl.Int64, "amount": pl.Int64}
    return (
        pl.DataFrame(new, schema=schema, orient="row"),
        pl.DataFrame(changed, schema={"debt_id": pl.Int64, "amount": pl.Int64}, orient="row"),
    )


def topups(owed: pl.DataFrame, paid: pl.DataFrame) -> pl.DataFrame:
    """The months of survivors' shares paid short of what they are owed now, as top-up arrears:
    person_id, programme (`survivor_topup`), month, amount (the difference), kind.

    `owed`: the run's award months (`award_months`); `paid`: person_id, month, paid (the month's
    survivor lines, top-ups included, less their debts). A month without a line is the ordinary
    arrears' (`owed` pays it); a month with its top-up line already is not topped up again."""
    schema = {"person_id": pl.String, "programme": pl.String, "month": pl.Date, "amount": pl.Int64, "kind": pl.String}
    if not paid.height:
        return pl.DataFrame(schema=schema)
    short = (
        owed.filter(pl.col("programme") == SURVIVOR)
        .join(paid, on=["person_id", "month"])
        .filter(pl.col("amount") > pl.col("paid"))
    )
    return short.select(
        "person_id",
        pl.lit(TOPUP).alias("programme"),
        "month",
        (pl.col("amount") - pl.col("paid")).alias("amount"),
        pl.lit(LineKind.ARREARS.value).alias("kind"),
    ).cast(pl.Schema(schema))
