"""The run's pure decisions moved out of the store (issue 11): the age of majority's day, which
entitlements an enrollment covers, the debts a late death makes, the approval's seal."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.payroll.lines import ChildPayee, payment_lines
from himaya.payroll.model import DebtStatus
from himaya.payroll.rules import adult_from, debts, in_force, seal

months = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 1)).map(lambda d: d.replace(day=1))


@given(months, st.integers(min_value=14, max_value=25))
def test_of_age_on_the_first_day_of_the_month_by_the_packs_age(month: date, age: int) -> None:
    day = adult_from(month, age)
    assert (day.month, day.day) == (month.month, 1)
    assert month.year - day.year == age


def test_a_pack_with_another_age_of_majority_pays_a_minor_without_account_to_the_guardian() -> None:
    """Born 2007-06-01: 18 on 2025-06-01, so of age in January 2026 under 18, a minor under 21."""
    people = pl.DataFrame(
        {
            "person_id": ["h", "y"],
            "family_id": ["f", "f"],
            "relationship": ["head", "child"],
            "iban": ["OM-HEAD", None],
            "bank_code": ["018", None],
            "birth_date": [date(1980, 1, 1), date(2007, 6, 1)],
        }
    )
    entitled = pl.DataFrame(
        {"person_id": ["y"], "family_id": ["f"], "programme": ["disability"], "month": [date(2026, 1, 1)],
         "amount": [130_000]}
    )  # fmt: skip

    def payee(age: int) -> str:
        lines = payment_lines(
            entitled, people, kind="regular", child_payee=ChildPayee.CHILD_FIRST,
            adult_from=adult_from(date(2026, 1, 1), age), codes={"disability": "DS"},
        )  # fmt: skip
        return str(lines["payee"][0])

    assert payee(18) == "y"  # of age: the line is their own (held until they have an account)
    assert payee(21) == "h"  # a minor without an account: paid to the guardian


@settings(deadline=None)
@given(
    st.lists(st.tuples(months, months, st.one_of(st.none(), months)), min_size=1, max_size=8),
)
def test_an_entitlement_is_paid_only_in_a_month_its_enrollment_covers(
    rows: list[tuple[date, date, date | None]],
) -> None:
    entitled = pl.DataFrame(
        {"person_id": [str(i) for i in range(len(rows))], "programme": ["p"] * len(rows), "month": [r[0] for r in rows]}
    )
    enrollments = pl.DataFrame(
        {"person_id": [str(i) for i in range(len(rows))], "programme": ["p"] * len(rows),
         "start_month": [r[1] for r in rows], "end_month": [r[2] for r in rows]},
        schema={"person_id": pl.String, "programme": pl.String, "start_month": pl.Date, "end_month": pl.Date},
    )  # fmt: skip
    kept = set(in_force(entitled, enrollments)["person_id"])
    expected = {
        str(i) for i, (month, start, end) in enumerate(rows) if start <= month and (end is None or month <= end)
    }
    assert kept == expected
    assert in_force(entitled, enrollments).columns == entitled.columns


def test_a_line_paid_after_a_death_becomes_a_debt_saying_why() -> None:
    overpaid = pl.DataFrame(
        {"line_id": [1], "amount": [80_000], "civil": ["12345678"], "died": [date(2026, 1, 5)],
         "month": [date(2026, 2, 1)], "payee_id": [7], "payee_died": [date(2026, 1, 5)], "head_id": [9],
         "head_died": [None]},
        schema_overrides={"head_died": pl.Date},
    )  # fmt: skip
    assert debts(overpaid).rows() == [
        (1, 80_000, "paid for 2026-02 to 12345678, who died on 2026-01-05", 9, DebtStatus.OPEN.value)
    ]


def test_the_seal_changes_with_any_field_of_a_line() -> None:
    lines = pl.DataFrame({"end_to_end_id": ["A", "B"], "amount": [1_000, 2_000], "iban": ["OM1", "OM2"]})
    assert seal(lines) == seal(lines.clone())
    assert seal(lines) != seal(lines.with_columns(pl.Series("amount", [1_000, 2_001])))
    assert seal(lines) != seal(lines.with_columns(pl.Series("iban", ["OM1", "OM3"])))
