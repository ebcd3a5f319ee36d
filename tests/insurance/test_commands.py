"""`himaya insurance ...` as an officer types it, on SQLite and PostgreSQL, bad paths included: a
refused file names every problem and writes nothing, a month declared twice is a conflict (exit 4),
an unknown employer is not found (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.core.clock import today
from himaya.core.periods import Period
from tests.conftest import REPO

EXAMPLES = REPO / "examples" / "insurance"
PEOPLE = REPO / "src/himaya/policy/packs/oman/examples/people.csv"
runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env={"HIMAYA_ACTOR": "insurance:officer"})


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    for args in (
        ("db", "upgrade"),
        ("registry", "import", PEOPLE, "--as-of", "2025-12-01"),
        ("insurance", "employers", EXAMPLES / "employers.csv"),
    ):
        result = himaya(*args)
        assert result.exit_code == 0, result.stderr


def test_the_month_at_the_terminal(store: None) -> None:
    declared = himaya("insurance", "declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01",
                      "--employer", "1234567")  # fmt: skip
    assert declared.exit_code == 0, declared.stderr
    assert "2026-01 declared: 1 employer(s), 3 insured, wages 4,220.000 OMR, contributions due 509.428 OMR" in (
        declared.stdout
    )
    from_json = himaya("insurance", "declare", EXAMPLES / "al-batinah-2026-01.json", "--month", "2026-01",
                       "--employer", "2345678")  # fmt: skip
    assert from_json.exit_code == 0 and "2 insured, wages 770.500 OMR" in from_json.stdout, from_json.stderr
    twice = himaya("insurance", "declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01",
                   "--employer", "1234567")  # fmt: skip
    assert twice.exit_code == 4 and "2026-01 is already declared for employer 1234567" in twice.stderr
    batch = himaya("insurance", "declare", EXAMPLES / "batch-2026-02.csv", "--month", "2026-02")
    assert batch.exit_code == 0 and "2 employer(s), 4 insured" in batch.stdout, batch.stderr
    dues = himaya("insurance", "contributions", "--month", "2026-01", "--employer", "1234567")
    assert "1234567 Nizwa Dates Company, 2026-01: 509.428 OMR" in dues.stdout, dues.stderr
    assert "Maternity leave" in dues.stdout and "Savings" not in dues.stdout
    paid = himaya("insurance", "pay", "--employer", "1234567", "--amount", "509.428", "--on", "2026-02-12",
                  "--reference", "TRF-1")  # fmt: skip
    assert paid.exit_code == 0 and "payment TRF-1 of 509.428 OMR from 1234567 recorded" in paid.stdout
    again = himaya("insurance", "pay", "--employer", "1234567", "--amount", "509.428", "--reference", "TRF-1")
    assert again.exit_code == 4 and "reference 'TRF-1'" in again.stderr
    other_case = himaya("insurance", "pay", "--employer", "1234567", "--amount", "509.428", "--reference", " trf-1 ")
    assert other_case.exit_code == 4 and "reference 'trf-1' of this employer is already recorded (as 'TRF-1')" in (
        " ".join(other_case.stderr.split())
    )
    arrears = himaya("insurance", "arrears", "--on", "2026-05-31")
    assert arrears.exit_code == 0, arrears.stderr
    printed = " ".join(arrears.stdout.split())
    assert "arrears on 2026-05-31: 2 employer(s) owe" in printed
    assert "2345678 2026-01 due 2026-02-15 outstanding 140.246 4 month(s) late surcharge 5.610" in printed
    career = himaya("insurance", "career", "10000061")
    assert "10000061: 2 month(s) declared, wages 720.000 OMR" in career.stdout, career.stderr


def test_a_broken_declaration_is_refused_whole_with_every_problem(store: None) -> None:
    refused = himaya("insurance", "declare", EXAMPLES / "broken.csv", "--month", "2026-01", "--employer", "1234567")
    assert refused.exit_code == 2
    assert "6 problem(s); the table was refused" in refused.stderr
    for line in (
        "row 1, column wage, value '420.0001': has more than 3 decimals",
        "row 2, column civil_number, value '99999999': no person with this civil number in the registry",
        "row 3, column civil_number, value '10000051': is declared twice for one employer: also on row 4",
        "row 3, column days, value '32': must be from 1 to 31, the days of 2026-01",
        "row 4, column wage, value '0': must be more than 0.000",
    ):
        assert line in refused.stderr
    assert "no contributions declared" in himaya("insurance", "contributions").stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01", "--employer", "7777777"], 3,
         "no employer registered with commercial registration number '7777777'"),
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2099-01", "--employer", "1234567"], 2,
         "after the current month"),
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2023-12", "--employer", "1234567"], 2,
         "before 2024-01"),
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01", "--employer", "2345678",
          "--correct"], 4, "is not declared yet for employer 2345678: nothing to correct"),
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01"], 2,
         "header, column cr_number: required column is missing"),
        (["pay", "--employer", "1234567", "--amount", "12.3456", "--reference", "X"], 2, "more than 3 decimals"),
        (["pay", "--employer", "1234567", "--amount", "0", "--reference", "X"], 2, "must be more than 0.000"),
        (["pay", "--employer", "1234567", "--amount", "1", "--reference", "X;DROP TABLE"], 2, "the reference"),
        (["pay", "--employer", "1234567", "--amount", "99999999999999999", "--on", "2026-02-12", "--reference", "R1"],
         2, "Invalid value for '--amount': '99999999999999999' is more than"),
        (["pay", "--employer", "1234567", "--amount", "1", "--on", "1900-02-12", "--reference", "R1"], 2,
         "received on 1900-02-12 is before 2024-01, the first month of the law in force"),
        (["declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", str(Period.containing(today("Asia/Muscat"))),
          "--employer", "1234567"], 2, "has not ended yet"),
        (["career", "10000099"], 3, "no declared month for civil number '10000099'"),
    ],
)  # fmt: skip
def test_refusals_name_what_is_wrong(store: None, args: list[str | Path], status: int, message: str) -> None:
    result = himaya("insurance", *args)
    assert result.exit_code == status, result.stdout + result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"civil_number": "10000021"}', "must hold a JSON array of objects"),
        ("[]", "the array is empty"),
        (
            '[{"civil_number": "10000021", "wage": [1], "days": 31}]',
            "row 1, key 'wage': a value must be text or a number",
        ),
    ],
)
def test_a_json_declaration_that_is_not_a_table_is_refused(
    store: None, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "declaration.json"
    path.write_text(content, encoding="utf-8")
    result = himaya("insurance", "declare", path, "--month", "2026-01", "--employer", "1234567")
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_a_declaration_without_rows_is_refused(store: None, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("civil_number,wage,days\n", encoding="utf-8")
    result = himaya("insurance", "declare", path, "--month", "2026-01", "--employer", "1234567")
    assert result.exit_code == 2 and "the table has no rows" in result.stderr, result.stderr


def test_json_amounts_are_read_exactly(store: None, tmp_path: Path) -> None:
    path = tmp_path / "declaration.json"
    path.write_text(json.dumps([{"civil_number": "10000021", "wage": 0.1, "days": 31}]), encoding="utf-8")
    result = himaya("insurance", "declare", path, "--month", "2026-01", "--employer", "1234567")
    assert result.exit_code == 0 and "wages 0.100 OMR" in result.stdout, result.stderr


def test_the_insurance_unknowns_are_listed_as_assumed() -> None:
    assumed = himaya("parameters", "--status", "ASSUMED").stdout
    for path in ("insurance.late_surcharge", "insurance.due_day", "insurance.rates_at_month_end"):
        assert path in assumed
    assert "insurance.old_age.employee" not in assumed
    confirmed = himaya("parameters", "--status", "CONFIRMED", "--at", "2026-07-19").stdout
    assert "insurance.sick_leave.employer = 0.01" in confirmed
