"""A declaration's contract (every problem named, the file refused whole), who may be declared, and
the arrears: payments settle the oldest months first, the surcharge counts the months late. No database."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from himaya.core.errors import InputTableError
from himaya.core.periods import Period
from himaya.insurance.arrears import arrears
from himaya.insurance.files import read_declaration, read_employers
from himaya.insurance.rules import UNDISCLOSED, person_problems
from himaya.policy.pack import PolicyPack

JANUARY, FEBRUARY = Period(2026, 1), Period(2026, 2)


def _raw(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String))


def _problems(error: pytest.ExceptionInfo[InputTableError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def _declared(raw: pl.DataFrame, oman: PolicyPack, month: Period, employer: str | None = "1234567") -> pl.DataFrame:
    """The declaration's rows, or InputTableError with every problem, as the action raises it."""
    lines, problems = read_declaration(raw, oman, month, source="d.csv", employer=employer)
    if problems:
        raise InputTableError("d.csv", problems)
    return lines


def test_a_good_declaration_reads_into_baisa(oman: PolicyPack) -> None:
    raw = _raw(
        [
            {"civil_number": "10000021", "wage": "420.000", "days": "31", "basic_wage": ""},
            {"civil_number": "10000061", "wage": "300", "days": "20", "basic_wage": "250.5"},
        ]
    )
    lines = _declared(raw, oman, JANUARY)
    assert lines.to_dicts() == [
        {
            "row": 1,
            "cr_number": "1234567",
            "civil_number": "10000021",
            "wage": 420_000,
            "basic_wage": 420_000,
            "days": 31,
        },
        {
            "row": 2,
            "cr_number": "1234567",
            "civil_number": "10000061",
            "wage": 300_000,
            "basic_wage": 250_500,
            "days": 20,
        },
    ]


def test_every_problem_of_a_declaration_is_named_and_the_file_refused(oman: PolicyPack) -> None:
    raw = _raw(
        [
            {"civil_number": "10000021", "wage": "420.0001", "days": "31"},
            {"civil_number": "0123", "wage": "-5", "days": "x"},
            {"civil_number": "10000031", "wage": "0", "days": "29", "basic_wage": "1.000"},
            {"civil_number": "10000041", "wage": "100.000", "days": "28", "basic_wage": "200.000"},
            {"civil_number": "10000041", "wage": "1000001.000", "days": "0"},
        ]
    )
    with pytest.raises(InputTableError) as error:  # the values' shapes, then the month's rules on the rows that parse
        _declared(raw, oman, FEBRUARY)
    assert _problems(error) == [
        "row 1, column wage, value '420.0001': has more than 3 decimals: OMR amounts are exact to the baisa",
        "row 2, column civil_number, value '0123': must be a civil number: 8 digits, not starting with 0",
        "row 2, column days, value 'x': must be a whole number of days",
        "row 2, column wage, value '-5': must not be negative",
        "row 3, column days, value '29': must be from 1 to 28, the days of 2026-02",
        "row 3, column wage, value '0': must be more than 0.000: a month without wage is not declared",
        "row 4, column basic_wage, value '200.000': is more than the wage: the basic wage is part of it",
        "row 4, column civil_number, value '10000041': is declared twice for one employer: also on row 5",
        "row 5, column civil_number, value '10000041': is declared twice for one employer: also on row 4",
        "row 5, column days, value '0': must be from 1 to 28, the days of 2026-02",
        "row 5, column wage, value '1000001.000': is more than 1,000,000.000 a month",
    ]


def test_a_column_named_like_the_rows_numbering_is_an_extra_column(oman: PolicyPack) -> None:
    raw = _raw([{"civil_number": "10000021", "wage": "420", "days": "31", "__row": "7"}])  # a JSON key, say
    lines = _declared(raw, oman, JANUARY)
    assert lines.select("row", "civil_number", "wage").rows() == [(1, "10000021", 420_000)]


def test_a_missing_column_is_named_with_the_one_probably_meant(oman: PolicyPack) -> None:
    raw = _raw([{"civil_number": "10000021", "salary": "420.000", "days": "31"}])
    with pytest.raises(InputTableError) as error:
        _declared(raw, oman, JANUARY)
    assert "header, column wage: required column is missing from the table" in _problems(error)[0]


def test_a_batch_names_each_rows_employer(oman: PolicyPack) -> None:
    raw = _raw(
        [
            {"cr_number": "1234567", "civil_number": "10000021", "wage": "420", "days": "31"},
            {"cr_number": "2345678", "civil_number": "10000021", "wage": "100", "days": "31"},  # a second job
            {"cr_number": "12", "civil_number": "10000022", "wage": "100", "days": "31"},
        ]
    )
    with pytest.raises(InputTableError) as error:
        _declared(raw, oman, JANUARY, None)
    assert _problems(error) == [
        "row 3, column cr_number, value '12': must be a commercial registration number: 6 to 10 digits,"
        " not starting with 0"
    ]
    lines = _declared(raw.slice(0, 2), oman, JANUARY, None)
    assert lines["cr_number"].to_list() == ["1234567", "2345678"]


def test_the_employer_register_is_validated_like_the_people_table(oman: PolicyPack) -> None:
    raw = _raw(
        [
            {"cr_number": "1234567", "name": "Nizwa Dates", "sector": "private", "wilayat": "Nizwa"},
            {"cr_number": "1234567", "name": " padded", "sector": "oil", "wilayat": "Atlantis"},
        ]
    )
    with pytest.raises(InputTableError) as error:
        read_employers(raw, oman, source="employers.csv")
    assert _problems(error)[0].startswith("row 1, column cr_number, value '1234567': must be unique: also on row 2")
    assert any("column name, value ' padded'" in p for p in _problems(error))
    assert any("column sector, value 'oil': must be one of private, government" in p for p in _problems(error))
    assert any("column wilayat, value 'Atlantis': must be one of" in p for p in _problems(error))


def test_who_may_not_be_declared() -> None:
    lines = pl.DataFrame({"row": [1, 2, 3, 4, 5], "civil_number": ["1", "2", "3", "4", "5"]})
    found = pl.DataFrame(
        {
            "civil_number": ["2", "3", "4", "5"],
            "birth_date": [date(1980, 1, 1), date(1980, 1, 1), date(2026, 2, 1), date(1950, 1, 1)],
            "death_date": [None, None, None, date(2025, 12, 31)],
            "merged_into": [None, "9", None, None],
        }
    )
    joined = lines.join(found, on="civil_number", how="left")
    problems = [str(p) for p in person_problems(joined, JANUARY.start, JANUARY.end)]
    assert problems == [
        "row 1, column civil_number, value '1': no person with this civil number in the registry",
        "row 3, column civil_number, value '3': is a duplicate record merged into 9: declare that civil number",
        "row 4, column civil_number, value '4': was born on 2026-02-01, after the month",
        "row 5, column civil_number, value '5': died on 2025-12-31, before the month",
    ]
    hidden = person_problems(joined, JANUARY.start, JANUARY.end, disclose=False)  # an employer's system
    assert [(p.row, p.value, p.rule) for p in hidden] == [(r, str(r), UNDISCLOSED) for r in (1, 3, 4, 5)]
    assert not any(word in str(hidden) for word in ("2026-02-01", "2025-12-31", "merged into 9"))


def _dues(*months: tuple[str, int, int]) -> pl.DataFrame:
    """(cr_number, month number of 2026, baisa): due on the 15th of the next month, 1 % a month late."""
    return pl.DataFrame(
        [
            {
                "cr_number": cr,
                "month": date(2026, m, 1),
                "due_date": date(2026, m + 1, 15),
                "amount": amount,
                "rate_numerator": 1,
                "rate_denominator": 100,
            }
            for cr, m, amount in months
        ]
    )


def _payments(*paid: tuple[str, date, int]) -> pl.DataFrame:
    schema = {"cr_number": pl.String, "received_on": pl.Date, "amount": pl.Int64}
    return pl.DataFrame([dict(zip(schema, p, strict=True)) for p in paid], schema=schema)


def test_paid_by_the_due_date_owes_nothing_more() -> None:
    table, credit = arrears(_dues(("A", 1, 100_000)), _payments(("A", date(2026, 2, 15), 100_000)), date(2026, 6, 30))
    assert table.select("due", "paid", "outstanding", "months_late", "surcharge").row(0) == (100_000, 100_000, 0, 0, 0)
    assert credit.is_empty()


def test_payments_settle_the_oldest_month_first_and_lateness_is_counted_per_part() -> None:
    dues = _dues(("A", 1, 100_000), ("A", 2, 200_000), ("B", 1, 50_000))
    paid = _payments(
        ("A", date(2026, 3, 20), 150_000),  # all of January (due 15 February: 2 months late), 50.000 of February
        ("A", date(2026, 5, 1), 100_000),  # 100.000 of February (due 15 March): 2 months late
        ("A", date(2026, 9, 1), 999_000),  # after the statement's day: not counted
    )
    table, credit = arrears(dues, paid, date(2026, 6, 30))
    rows = {(r["cr_number"], r["month"].month): r for r in table.to_dicts()}
    assert (rows["A", 1]["paid"], rows["A", 1]["outstanding"], rows["A", 1]["surcharge"]) == (100_000, 0, 2_000)
    # February: 50.000 paid 5 days late (1 % of it), 100.000 two months late (2 %), 50.000 unpaid on
    # 30 June, 3 months and 15 days after its due date (4 %).
    assert (rows["A", 2]["paid"], rows["A", 2]["outstanding"], rows["A", 2]["months_late"]) == (150_000, 50_000, 4)
    assert rows["A", 2]["surcharge"] == 500 + 2_000 + 2_000
    # B never paid: from 15 February to 30 June, 5 months or parts, 1 % each.
    assert (rows["B", 1]["outstanding"], rows["B", 1]["months_late"], rows["B", 1]["surcharge"]) == (50_000, 5, 2_500)
    assert credit.is_empty()


def test_a_payment_above_what_is_due_is_the_employers_credit() -> None:
    table, credit = arrears(
        _dues(("A", 1, 100_000), ("A", 2, 0)), _payments(("A", date(2026, 2, 1), 130_000)), date(2026, 3, 31)
    )
    assert table["outstanding"].to_list() == [0, 0] and table["surcharge"].to_list() == [0, 0]
    assert credit.rows() == [("A", 30_000)]


def test_what_is_unpaid_before_its_due_date_is_not_late() -> None:
    table, _ = arrears(_dues(("A", 5, 100_000)), _payments(), date(2026, 6, 15))
    assert table.select("outstanding", "months_late", "surcharge").row(0) == (100_000, 0, 0)
