"""`himaya db`, `himaya registry`, `himaya audit` and `entitlements --registry`, as a user types them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.synth.generate import SynthRequest, for_file, generate

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "test:registrar")
    assert himaya("db", "upgrade").exit_code == 0
    return database_url


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("registry")
    result = generate(SynthRequest(persons=4_000, seed=8, duplicates=0.02))
    people, truth = folder / "people.csv", folder / "people.duplicates.csv"
    for_file(result.people, "csv").write_csv(people)
    assert result.duplicate_pairs is not None
    result.duplicate_pairs.write_csv(truth)
    broken = folder / "broken.csv"
    frame = pl.read_csv(people, infer_schema=False)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("OM00" + "1" * 19)).otherwise(pl.col("iban")).alias("iban"),
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("1234")).otherwise(pl.col("person_id")).alias("person_id"),
    ).write_csv(broken)
    return {"people": people, "truth": truth, "broken": broken}


def test_commands_refuse_a_database_that_was_not_upgraded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    result = himaya("registry", "export")
    assert result.exit_code == 2
    assert "run `himaya db upgrade` first" in result.stderr
    assert "needs `himaya db upgrade`" in himaya("db", "status").stdout


def test_import_show_export_and_entitlements(database: str, files: dict[str, Path], tmp_path: Path) -> None:
    imported = himaya("registry", "import", files["people"], "--as-of", "2026-01-01")
    assert imported.exit_code == 0, imported.stderr
    assert "4,080 rows; 4,080 new people" in imported.stdout
    again = himaya("registry", "import", files["people"], "--as-of", "2026-02-01")
    assert "0 new people, 0 changed, 4,080 unchanged" in again.stdout

    civil = pl.read_csv(files["people"], infer_schema=False).filter(pl.col("wage").is_not_null())["person_id"][0]
    shown = himaya("registry", "show", civil)
    assert shown.exit_code == 0, shown.stderr
    assert civil in shown.stdout and "incomes" in shown.stdout and "(current)" in shown.stdout
    assert "no person with civil number '00000000'" in himaya("registry", "show", "00000000").stderr

    exported = tmp_path / "export.csv"
    assert himaya("registry", "export", "--output", exported).exit_code == 0
    back = pl.read_csv(exported, infer_schema=False).sort("person_id")
    original = pl.read_csv(files["people"], infer_schema=False).sort("person_id")
    assert back.equals(original.select(back.columns))

    from_file = himaya("entitlements", files["people"], "--period", "2026-01")
    from_registry = himaya("entitlements", "--registry", "--period", "2026-01")
    assert from_registry.exit_code == 0, from_registry.stderr
    assert from_registry.stdout == from_file.stdout
    assert himaya("entitlements", files["people"], "--registry", "--period", "2026-01").exit_code == 2
    family = original["family_id"][0]
    assert "Family " + family in himaya("explain", "--registry", "--period", "2026-01", "--family", family).stdout


def test_a_bad_file_is_refused_whole(database: str, files: dict[str, Path]) -> None:
    result = himaya("registry", "import", files["broken"])
    assert result.exit_code == 2
    assert "row 4, column iban" in result.stderr and "wrong IBAN check digits" in result.stderr
    assert "row 6, column person_id, value '1234': must be a civil number" in result.stderr
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM person")).scalar_one() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar_one() == 0
    engine.dispose()


def test_dedup_finds_the_duplicates_and_merge_removes_one(
    database: str, files: dict[str, Path], tmp_path: Path
) -> None:
    assert himaya("registry", "import", files["people"]).exit_code == 0
    pairs_file = tmp_path / "pairs.csv"
    result = himaya("registry", "dedup", "--output", pairs_file, "--truth", files["truth"])
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("against"))
    precision = float(line.split("precision ")[1].split(",")[0])
    recall = float(line.split("recall ")[1].split(" ")[0])
    assert precision >= 0.95 and recall >= 0.90, line
    pairs = pl.read_csv(pairs_file, infer_schema=False)
    keep, drop = pairs["person_a"][0], pairs["person_b"][0]
    merged = himaya("registry", "merge", keep, drop)
    assert merged.exit_code == 0, merged.stderr
    assert f"merged {drop} into {keep}" in merged.stdout
    assert "already merged" in himaya("registry", "merge", keep, drop).stderr
    verified = himaya("audit", "verify")
    assert verified.exit_code == 0 and "audit trail intact" in verified.stdout


def test_audit_verify_reports_tampering(database: str, files: dict[str, Path]) -> None:
    assert himaya("registry", "import", files["people"]).exit_code == 0
    head = himaya("audit", "verify").stdout.split("head ")[1].strip()
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_entry SET actor = 'intruder'"))
    engine.dispose()
    tampered = himaya("audit", "verify", "--expect-head", head)
    assert tampered.exit_code == 1
    assert "tampered: entry" in tampered.stderr and "content was changed" in tampered.stderr


def test_an_import_is_checked_like_every_other_write(database: str, files: dict[str, Path], tmp_path: Path) -> None:
    """A governorate that is not the wilayat's, a birth in year 9999 or an import dated in year 9999
    is refused (issue 12: one validation for every write path); nothing is written."""
    frame = pl.read_csv(files["people"], infer_schema=False)
    other = frame.filter(pl.col("governorate") != frame["governorate"][2])["governorate"][0]
    wrong = tmp_path / "wrong.csv"
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit(other)).otherwise(pl.col("governorate")).alias("governorate"),
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("9999-12-31"))
        .otherwise(pl.col("birth_date"))
        .alias("birth_date"),
    ).write_csv(wrong)
    refused = himaya("registry", "import", wrong, "--as-of", "2026-01-01")
    assert refused.exit_code == 2
    assert "row 3, column governorate" in refused.stderr and "row 5, column birth_date" in refused.stderr
    frozen = himaya("registry", "import", files["people"], "--as-of", "9999-12-31")
    assert frozen.exit_code == 2 and "days ahead" in frozen.stderr
    with sa.create_engine(database).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM person")).scalar_one() == 0


def test_import_refuses_a_dataset_folder(database: str, files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "people"
    assert himaya("partition", files["people"], "--output", folder, "--parts", "3").exit_code == 0
    imported = himaya("registry", "import", folder, "--as-of", "2026-01-01")  # one file, hashed for the record
    assert imported.exit_code == 2 and "is a folder, not a file" in imported.stderr
