"""What a supervisor's exceptions pay and keep, pure (no database): the payroll pays an exception's
amount only in a month it is in force, with the enrollment in force, where the rules pay the person
nothing for the programme, to the living, once per person and programme; the sync keeps what they
keep and enrolls who they keep and nobody enrolled."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.periods import Period
from himaya.enrollment.sync import keep_exceptions
from himaya.payroll.rules import by_exception, enrolled_in

MARCH = Period(2026, 3)
EXCEPTIONS = pl.DataFrame(
    {
        "person_id": ["a", "b", "c", "d", "e", "e"],
        "programme": ["disability"] * 6,
        "from_month": [date(2026, 2, 1)] * 4 + [date(2026, 4, 1), date(2026, 1, 1)],
        "until_month": [date(2026, 4, 1), date(2026, 2, 1), date(2026, 12, 1), date(2026, 12, 1),
                        date(2026, 12, 1), date(2026, 3, 1)],
        "amount": [100_000, 90_000, 80_000, 70_000, 60_000, 50_000],
        "exception_case": ["C-2026-000001", "C-2026-000002", "C-2026-000003", "C-2026-000004", "C-2026-000005",
                           "C-2026-000006"],
    }
)  # fmt: skip
PEOPLE = pl.DataFrame(
    {
        "person_id": ["a", "b", "c", "d", "e"],
        "family_id": ["f1", "f2", "f3", "f4", "f5"],
        "death_date": [None, None, None, date(2026, 3, 20), None],
    },
    schema={"person_id": pl.String, "family_id": pl.String, "death_date": pl.Date},
)


def test_an_exception_pays_in_force_where_the_rules_do_not_and_never_twice() -> None:
    entitled = pl.DataFrame({"person_id": ["c"], "programme": ["disability"], "amount": [130_000]})
    enrolled = pl.DataFrame({"person_id": ["a", "b", "c", "d", "e"], "programme": ["disability"] * 5})
    paid = by_exception(EXCEPTIONS, entitled, enrolled, PEOPLE, MARCH)
    # a: in force; b: past its until month; c: the rules pay; d: dead by the month's end; e: the one in force.
    assert paid.sort("person_id").rows() == [
        ("a", "f1", "disability", MARCH.start, 100_000, "C-2026-000001"),
        ("e", "f5", "disability", MARCH.start, 50_000, "C-2026-000006"),
    ]
    assert by_exception(EXCEPTIONS, entitled, enrolled.filter(pl.col("person_id") != "a"), PEOPLE, MARCH).height == 1


def test_only_an_enrollment_in_force_in_the_month_is_paid() -> None:
    enrollments = pl.DataFrame(
        {"person_id": ["a", "b"], "programme": ["disability"] * 2, "start_month": [date(2026, 1, 1)] * 2,
         "end_month": [None, date(2026, 2, 1)]},
        schema={"person_id": pl.String, "programme": pl.String, "start_month": pl.Date, "end_month": pl.Date},
    )  # fmt: skip
    assert enrolled_in(enrollments, MARCH.start)["person_id"].to_list() == ["a"]


def test_the_sync_keeps_what_an_exception_keeps_and_enrolls_who_nobody_enrolled() -> None:
    kept = EXCEPTIONS.filter(pl.col("person_id").is_in(["a", "c"]))
    active = pl.DataFrame({"person_id": ["a"], "programme": ["disability"]})
    ending = pl.DataFrame(
        {"person_id": ["a", "z"], "programme": ["disability"] * 2, "end_month": [date(2026, 2, 1)] * 2,
         "reason": ["not entitled in 2026-03"] * 2}
    )  # fmt: skip
    nobody = pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String, "start_month": pl.Date,
                                  "reason": pl.String})  # fmt: skip
    to_enroll, to_end = keep_exceptions(nobody, ending, active, kept, first=Period(2024, 1))
    assert to_end["person_id"].to_list() == ["z"]
    assert to_enroll.rows() == [
        ("c", "disability", date(2026, 2, 1), "kept in force by exception C-2026-000003 until 2026-12")
    ]
