"""The people table as ministries hand it over: CSV saved by a spreadsheet, Excel workbooks, and
files that are not tables at all. Each is read, or refused with exit 2 and what to do; never a traceback."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.demo import EXAMPLE
from himaya.cli.main import app


def entitlements(path: Path) -> Result:
    return CliRunner().invoke(app, ["entitlements", str(path), "--period", "2026-11"])


@pytest.fixture(scope="module")
def expected() -> str:
    result = entitlements(EXAMPLE)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def refused(path: Path) -> str:
    result = entitlements(path)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.exception)
    return " ".join(result.stderr.split())


def test_an_empty_file_is_refused_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "empty.csv: the file is empty (0 bytes)" in refused(tmp_path / "empty.csv")
    (tmp_path / "blank.csv").write_bytes(b"\n\n")
    assert "blank.csv: the file has no header row" in refused(tmp_path / "blank.csv")


def test_a_folder_is_not_a_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "people.csv"
    folder.mkdir()
    message = refused(folder)
    assert "is a folder, not a file" in message and "no such file" not in message


def test_semicolons_and_tabs_are_read_like_commas(tmp_path: Path, expected: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for name, separator in (("semicolons.csv", ";"), ("tabs.csv", "\t")):
        (tmp_path / name).write_text(text.replace(",", separator), encoding="utf-8")
        result = entitlements(tmp_path / name)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == expected


def test_a_windows_1256_file_is_told_to_be_saved_as_utf8(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[0] += ",note"
    lines[1:] = [line + "," for line in lines[1:]]
    lines[3] = lines[3] + "أرملة"  # a word in Arabic on line 4
    (tmp_path / "arabic.csv").write_bytes("\n".join(lines).encode("cp1256"))
    message = refused(tmp_path / "arabic.csv")
    assert "arabic.csv: is not UTF-8 text (line 4" in message
    assert "Windows-1256" in message and "CSV UTF-8" in message and "iconv -f WINDOWS-1256 -t UTF-8" in message


def test_a_misnamed_column_is_named_with_the_one_it_stands_for(tmp_path: Path) -> None:
    people = pl.read_csv(EXAMPLE, infer_schema=False)
    people.rename({"sex": "gender"}).write_csv(tmp_path / "gender.csv")
    message = refused(tmp_path / "gender.csv")
    assert "header, column sex: required column is missing from the table; the table has a column 'gender'" in message
    assert "rename it 'sex'?" in message
    people.rename({"birth_date": "birthdate", "family_id": "famliy"}).write_csv(tmp_path / "two.csv")
    message = refused(tmp_path / "two.csv")
    assert "column 'birthdate' the contract does not know: rename it 'birth_date'?" in message
    assert "column 'famliy' the contract does not know: rename it 'family_id'?" in message


def test_an_excel_workbook_is_read_like_the_csv(tmp_path: Path, expected: str) -> None:
    people = pl.read_csv(EXAMPLE, infer_schema=False)
    # As a spreadsheet keeps them: ids and amounts as numbers, dates as date cells, flags as booleans.
    typed = people.with_columns(
        pl.col("person_id").cast(pl.Int64),
        pl.col("birth_date", "death_date").str.to_date(),
        pl.col("pension", "wage").cast(pl.Float64),
        pl.col("resident") == "true",
    )
    typed.write_excel(tmp_path / "people.xlsx")
    result = entitlements(tmp_path / "people.xlsx")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_an_excel_workbook_gets_the_same_validation(tmp_path: Path) -> None:
    people = pl.read_csv(EXAMPLE, infer_schema=False)
    broken = people.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("?")).otherwise("sex").alias("sex"))
    broken.write_excel(tmp_path / "people.xlsx")
    assert "row 2, column sex, value '?': must be one of F, M" in refused(tmp_path / "people.xlsx")
    (tmp_path / "not.xlsx").write_bytes(b"a,b\n1,2\n")
    assert "not.xlsx: cannot be read as an Excel workbook (.xlsx)" in refused(tmp_path / "not.xlsx")
