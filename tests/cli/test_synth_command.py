"""`himaya synth` as a user types it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from himaya.cli.app import out
from himaya.cli.main import app

runner = CliRunner()


def test_synth_writes_a_table_the_engine_accepts(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    result = runner.invoke(app, ["synth", "--persons", "3000", "--seed", "1", "--output", str(people)])
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stdout and "3,000 persons" in result.stdout
    entitlements = runner.invoke(app, ["entitlements", str(people), "--period", "2025-01"])
    assert entitlements.exit_code == 0, entitlements.stderr
    assert ",child,10.000" in entitlements.stdout
    frame = pl.read_csv(people, infer_schema=False)
    assert {"given_name_ar", "family_name_en", "governorate", "wilayat", "mobile", "bank_code", "iban"} <= set(
        frame.columns
    )


def test_report_and_duplicates(tmp_path: Path) -> None:
    people = tmp_path / "people.parquet"
    result = runner.invoke(
        app, ["synth", "--persons", "20000", "--seed", "2", "--output", str(people), "--duplicates", "0.01", "--report"]
    )
    assert result.exit_code == 0, result.stderr
    assert "Calibration" in result.stdout and "Family Income Support (families)" in result.stdout
    assert "Age pyramid" in result.stdout
    truth = pl.read_csv(tmp_path / "people.duplicates.csv", infer_schema=False)
    assert truth.columns == ["original_person_id", "duplicate_person_id", "variations"]
    assert truth.height == 200
    assert pl.read_parquet(people).height == 20_200


def test_scale_and_governorate(tmp_path: Path) -> None:
    people = tmp_path / "dakhiliyah.parquet"
    result = runner.invoke(
        app, ["synth", "--scale", "0.005", "--seed", "3", "--governorate", "Ad Dakhiliyah", "--output", str(people)]
    )
    assert result.exit_code == 0, result.stderr
    frame = pl.read_parquet(people)
    assert set(frame["governorate"]) == {"Ad Dakhiliyah"}
    assert 1_500 < frame.height < 3_500  # half a percent of the governorate's ~470,000 residents


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "1", "--output", "x.csv"], "give exactly one of --persons N and --scale F"),
        (
            ["--persons", "5", "--scale", "1", "--seed", "1", "--output", "x.csv"],
            "give exactly one of --persons N and --scale F",
        ),
        (["--persons", "5", "--seed", "1", "--output", "x.json"], "write the people table as .csv or .parquet"),
        (["--persons", "5", "--seed", "1", "--output", "x.txt"], "cannot tell the format"),
        (
            ["--persons", "5", "--seed", "1", "--output", "x.csv", "--governorate", "Atlantis"],
            "unknown governorate 'Atlantis'",
        ),
        (["--persons", "5", "--seed", "1", "--output", "x.csv", "--duplicates", "2"], "between 0 and 0.5"),
        (["--persons", "0", "--seed", "1", "--output", "x.csv"], "at least one person"),
    ],
)
def test_bad_usage(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["synth", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not list(tmp_path.iterdir())


def test_a_synthetic_iraq_with_its_report_and_the_iraq_pack_pays_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The console's width is read once, when the CLI is imported (80 without a terminal): widened so
    # that the table's labels are not wrapped over two lines.
    monkeypatch.setattr(out, "width", 200)
    people = tmp_path / "iraq.csv"
    command = ["synth", "--pack", "iraq", "--persons", "20000", "--seed", "4", "--output", str(people), "--report"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.stderr
    assert "Calibration of the synthetic Iraq" in result.stdout
    assert "Social protection subsidy: families paid" in result.stdout and "Shafaq News" in result.stdout
    assert "Governorates" in result.stdout and "Halabja" in result.stdout
    frame = pl.read_csv(people, infer_schema=False)
    assert {"household_id", "district", "given_name_ar", "pmt_pc_welfare", "state_employee"} <= set(frame.columns)
    paid = runner.invoke(app, ["entitlements", str(people), "--pack", "iraq", "--period", "2025-09"])
    assert paid.exit_code == 0, paid.stderr
    assert ",sp_cash," in paid.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pack", "atlantis"], "no synthetic population for pack 'atlantis'; one of: oman, iraq"),
        (["--pack", "iraq", "--duplicates", "0.1"], "--duplicates is not available for --pack iraq"),
        (["--pack", "iraq", "--governorate", "Atlantis"], "unknown governorate 'Atlantis'"),
    ],
)
def test_iraq_refusals_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    output = tmp_path / "out.csv"
    result = runner.invoke(app, ["synth", "--persons", "100", "--seed", "1", "--output", str(output), *args])
    assert result.exit_code != 0
    assert message in " ".join((result.stdout + result.stderr).split())
    assert not output.exists()
