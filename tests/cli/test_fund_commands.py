"""`himaya project --insurance`, as a user types it: the fund's projection beside the benefits'."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_project_insurance_reports_and_writes(tmp_path: Path) -> None:
    result = himaya("project", "--insurance", "--to", "2030", "--sensitivity", "--output", tmp_path / "f")
    assert result.exit_code == 0, result.stderr
    for words in (
        "The fund's projection / إسقاط صندوق التأمين",
        "Benefit expenditure by branch",
        "General average premium / متوسط القسط العام 2025-2030",
        "Both sides of the Social Protection Fund",
        "Sensitivity of the 2030 cost",
    ):
        assert words in result.stdout
    folder = tmp_path / "f"
    names = {p.name for p in folder.iterdir()}
    assert {"insurance.json", "insurance.csv", "insurance.parquet", "both-sides.csv", "sensitivity.csv"} <= names
    assert "insurance-fund.svg" in names
    table = pl.read_parquet(folder / "insurance.parquet")
    assert table["year"].to_list() == list(range(2025, 2031))
    csv = pl.read_csv(folder / "insurance.csv")
    assert csv.columns == table.columns
    assert csv["reserve_baisa"].to_list() == table["reserve_baisa"].to_list()
    document = json.loads((folder / "insurance.json").read_text(encoding="utf-8"))
    assert set(document["general_average_premium"]) == {"2025-2030"}
    assert len(document["sensitivity"]) == 6
    assert not list(folder.glob(".*.partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--insurance", "--variant", "median"], "--variant 'median': unknown WPP variant; known: medium, low"),
        (["--insurance", "--from", "2030"], "starts from its reserve on 1 January 2025"),
        (["--insurance", "--to", "2100"], "--to 2100: the fund's projection runs from 2025 to a year between"),
        (["--insurance", "--to", "2025"], "--to 2025: the fund's projection runs from 2025"),
        (["--variant", "low"], "add --insurance"),
        (["--sensitivity"], "add --insurance"),
    ],
)
def test_project_insurance_refuses_bad_input(args: list[str], message: str) -> None:
    result = himaya("project", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_project_insurance_takes_one_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n", encoding="utf-8")
    result = himaya("project", "--insurance", "--scenario", scenario, "--scenario", scenario)
    assert result.exit_code == 2
    assert "one scenario at a time" in result.stderr


def test_the_projections_assumptions_are_listed_as_assumed() -> None:
    result = himaya("parameters", "--status", "ASSUMED")
    assert result.exit_code == 0, result.stderr
    for name in ("initial_reserve", "insured_men", "average_wage", "pensioners", "investment_return", "pension_age"):
        assert f"insurance.projection.{name}" in result.stdout


def test_a_pack_without_social_insurance_is_refused() -> None:
    result = himaya("project", "--insurance", "--pack", "iraq", "--to", "2030")
    assert result.exit_code == 2
    assert "the iraq pack cannot project its insurance fund: unknown parameter 'insurance." in result.stderr


def test_an_assumption_out_of_range_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("name: r\nchanges:\n  insurance.projection.pension_age:\n    2024-01-01: 0\n")
    (tmp_path / "s.yaml").write_text("name: s\nrules:\n  reform: r.yaml\n", encoding="utf-8")
    result = himaya("project", "--insurance", "--to", "2030", "--scenario", tmp_path / "s.yaml")
    assert result.exit_code == 2
    assert "insurance.projection.pension_age from 2024-01-01: 0 is out of range: from 40 years to 80 years" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_second_run_leaves_no_file_of_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert himaya("project", "--insurance", "--to", "2030", "--sensitivity", "--output", folder).exit_code == 0
    first = (folder / "insurance-fund.svg").read_bytes()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    result = himaya("project", "--insurance", "--to", "2030", "--output", folder)
    assert result.exit_code == 0, result.stderr
    names = {p.name for p in folder.iterdir()}
    assert "sensitivity.csv" not in names  # the first run's, not this one's
    assert {"notes.txt", "insurance.json", "both-sides.csv", "insurance-fund.svg"} <= names  # not ours: kept
    assert (folder / "insurance-fund.svg").read_bytes() == first  # no date, no random ids: the same bytes
    assert b"dc:date" not in first


@pytest.mark.parametrize(("given", "message"), [("afile", "--output afile: not a folder"), ("", "--output ''")])
def test_a_bad_output_is_refused_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str,
                                                message: str) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = himaya("project", "--insurance", "--to", "2030", "--output", given)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "The fund's projection" not in result.stdout  # refused before anything ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
