"""`himaya public statistics` as a journalist or an open-data portal types it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def registry(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    people = tmp_path / "people.parquet"
    for args in (
        ("db", "upgrade"),
        ("synth", "--persons", "500", "--seed", "3", "--output", people),
        ("registry", "import", people, "--as-of", "2025-12-01"),
        ("enrollment", "sync", "--period", "2026-01"),
    ):
        result = himaya(*args)
        assert result.exit_code == 0, result.stderr
    return tmp_path


def test_csv_and_json_to_a_file_or_the_terminal(registry: Path) -> None:
    out = registry / "statistics.csv"
    result = himaya("public", "statistics", "--format", "csv", "--from", "2026-01", "--to", "2026-02", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert f": {out}" in result.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["month"] for r in rows} == {"2026-01", "2026-02"}
    corner = next(r for r in rows if r["month"] == "2026-01" and r["programme"] == r["governorate"] == "all")
    assert int(corner["beneficiaries"]) >= 10 and corner["governorate_ar"] == "جميع المحافظات"
    assert all(r["beneficiaries"] == "" or int(r["beneficiaries"]) == 0 or int(r["beneficiaries"]) >= 10 for r in rows)
    shown = himaya(
        "public", "statistics", "--format", "json", "--from", "2026-01", "--to", "2026-01", "--programme", "elderly"
    )
    assert shown.exit_code == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert {r["programme"] for r in body["rows"]} == {"elderly"} and body["trend"][0]["month"] == "2026-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "January"), "from: period 'January' is not a month like 2026-01"),
        (("--from", "2026-05", "--to", "2026-01"), "from 2026-05 is after to 2026-01"),
        (("--format", "xml"), "'xml' is not one of"),
    ],
)
def test_bad_options_exit_2_with_the_reason(
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{tmp_path / 'never-opened.db'}")  # refused before
    result = himaya("public", "statistics", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "never-opened.db").exists()


def test_an_unknown_governorate_is_named_with_the_registrys_own(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The governorates are the registry's pack's: the store is read to know them, and nothing is written."""
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    assert himaya("db", "upgrade").exit_code == 0
    result = himaya("public", "statistics", "--governorate", "Atlantis")
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "governorate 'Atlantis' is not one of" in said and "Muscat" in said
