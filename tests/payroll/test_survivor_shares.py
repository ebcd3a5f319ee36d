"""payroll/shares.py: a survivor's months paid too much become debts (and debts not recovered are
lowered where a month is owed more); months paid short are topped up once."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.payroll.shares import debts, owed_months, topups

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
LINES = {"line_id": pl.Int64, "person_key": pl.Int64, "month": pl.Date, "amount": pl.Int64, "deduction": pl.Int64,
         "debt_id": pl.Int64, "debt_amount": pl.Int64, "recovered": pl.Int64}  # fmt: skip


def _rows(*rows: tuple[date, date | None, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [(7, start, end, date(2026, 7, 1), None, amount, None) for start, end, amount in rows],
        schema={"person_key": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date, "start_date": pl.Date,
                "end_date": pl.Date, "amount": pl.Int64, "death_date": pl.Date},
        orient="row",
    )  # fmt: skip


def test_the_months_owed_follow_the_rows_and_a_row_never_in_force_owes_nothing() -> None:
    owed = owed_months(_rows((date(2026, 7, 1), date(2026, 9, 30), 100), (date(2026, 10, 1), None, 150),
                             (date(2026, 11, 1), date(2026, 10, 31), 999)), NOV)  # fmt: skip
    assert dict(owed.sort("month").select("month", "owed").iter_rows()) == {
        date(2026, 7, 1): 100, date(2026, 8, 1): 100, date(2026, 9, 1): 100, OCT: 150, NOV: 150
    }  # fmt: skip


def test_a_leavers_months_become_debts_and_a_lowered_debt_gives_back() -> None:
    lines = pl.DataFrame([(1, 7, OCT, 100, 0, None, None, None), (2, 7, NOV, 100, 0, 9, 100, 30)], schema=LINES,
                         orient="row")  # fmt: skip
    owed = pl.DataFrame({"person_key": [7, 7], "month": [OCT, NOV], "owed": [0, 60]})
    new, changed = debts(lines, owed)
    assert new.rows() == [(1, 100)]  # October paid, nothing owed: the whole line
    assert changed.rows() == [(9, 40)]  # November owes 60 of the 100 paid: the debt of 100 lowered to 40
    again = pl.DataFrame({"person_key": [7], "month": [OCT], "owed": [0]})
    recovered = lines.with_columns(pl.col("debt_id").fill_null(8), pl.col("debt_amount").fill_null(100),
                                   pl.col("recovered").fill_null(0))  # fmt: skip
    assert debts(recovered.head(1), again)[0].is_empty()  # a debt already laid: nothing more


def test_a_month_paid_short_is_topped_up_by_the_difference() -> None:
    owed = pl.DataFrame({"person_id": ["5", "5", "6"], "programme": ["survivor_pension"] * 3, "month": [OCT, NOV, OCT],
                         "amount": [250, 250, 100], "kind": ["arrears", "regular", "arrears"]})  # fmt: skip
    paid = pl.DataFrame({"person_id": ["5", "6"], "month": [OCT, OCT], "paid": [166, 100]})
    assert topups(owed, paid).select("person_id", "programme", "month", "amount", "kind").rows() == [
        ("5", "survivor_topup", OCT, 84, "arrears")
    ]
