"""`himaya enrollment` and `himaya payroll` as a finance officer types them, bad paths included."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.adapters.iso20022 import read_bank_file
from himaya.adapters.iso20022.bank import answer_pain002, read_pain001
from himaya.cli.main import app
from himaya.core.money import format_omr, parse_omr
from tests.logins import logged_in

runner = CliRunner()


PAYER = {"HIMAYA_PAYER_IBAN": "OM930180000009876543210", "HIMAYA_PAYER_BIC": "BMUSOMRXXXX"}  # not the demo's


STEPS = ("run", "submit", "approve", "export", "reconcile", "close")  # done by a user logged in


def himaya(*args: str | Path, actor: str = "maker", payer: dict[str, str | None] = PAYER) -> Result:
    env: dict[str, str | None] = {"HIMAYA_ACTOR": actor, **payer}
    if args[:1] == ("payroll",) and args[1] in STEPS:
        env.update(logged_in(os.environ["HIMAYA_DATABASE_URL"], actor))
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def registry(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    people = tmp_path / "people.parquet"
    for args in (
        ("db", "upgrade"),
        ("synth", "--persons", "3000", "--seed", "12", "--output", people),
        ("registry", "import", people, "--as-of", "2025-12-01"),
        ("enrollment", "sync", "--period", "2026-01"),
    ):
        result = himaya(*args)
        assert result.exit_code == 0, result.stderr
    return tmp_path


def test_the_cycle_at_the_terminal(registry: Path) -> None:
    run = himaya("payroll", "run", "--period", "2026-01")
    assert run.exit_code == 0, run.stderr
    assert "run 2026-01: calculated;" in run.stdout
    payable, held = (
        int(re.search(rf"([\d,.]+) OMR {word}", run.stdout)[1].replace(",", "").replace(".", ""))  # type: ignore[index]
        for word in ("payable", "held")
    )
    assert himaya("payroll", "submit", "--period", "2026-01").exit_code == 0
    refused = himaya("payroll", "approve", "--period", "2026-01")
    assert refused.exit_code == 5 and "cannot approve it: another user must (maker-checker)" in refused.stderr
    assert himaya("payroll", "approve", "--period", "2026-01", actor="checker").exit_code == 0
    exported = himaya(
        "payroll", "export", "--period", "2026-01", "--output-dir", registry / "bank", "--execution-date", "2026-01-25"
    )
    assert exported.exit_code == 0, exported.stderr
    files = sorted((registry / "bank").glob("HIMAYA-202601-*.xml"))
    assert files and f"exported {len(files)} file(s)" in exported.stdout

    sent = read_pain001(files[0])
    answer_pain002(sent, registry / "status.xml", rejected={sent.transfers[0][0]}, created=datetime.now(UTC))
    reconciled = himaya("payroll", "reconcile", registry / "status.xml")
    assert reconciled.exit_code == 0, reconciled.stderr
    assert f"{len(sent.transfers) - 1:,} paid, 1 rejected" in reconciled.stdout

    status = himaya("payroll", "status")
    assert status.exit_code == 0
    assert "2026-01  exported    submitted by maker, approved by checker;" in status.stdout
    assert "1 rejected" in status.stdout
    shown = f"{format_omr(payable, grouped=True)} OMR payable, {format_omr(held, grouped=True)} OMR held"
    assert shown in status.stdout
    report = himaya("payroll", "report", "--period", "2026-01", "--output", registry / "report.csv")
    assert report.exit_code == 0, report.stderr
    assert "changes against the month before:" in report.stdout
    by_place = pl.read_csv(registry / "report.csv", infer_schema=False)
    assert by_place.columns == ["programme", "governorate", "beneficiaries", "amount", "recovered", "exceptions"]
    assert by_place["amount"].str.contains(r"^\d+\.\d{3}$").all()  # OMR, as on screen
    rows, totals = by_place.head(-1), by_place.row(-1, named=True)
    assert totals["programme"] == "total" and int(totals["exceptions"]) == rows["exceptions"].cast(int).sum() > 0
    assert parse_omr(totals["amount"]) == sum(parse_omr(a) for a in rows["amount"])
    assert payable + held == parse_omr(totals["amount"]) and held > 0  # held lines apart from what is paid out
    changes = pl.read_csv(registry / "report-diff.csv", infer_schema=False)
    assert changes["now"].str.contains(r"^\d+\.\d{3}$").all()
    assert set(changes["change"]) == {"new"} and changes["reason"].str.starts_with("entitled in 2026-01").all()
    refused_close = himaya("payroll", "close", "--period", "2026-01")
    assert "cannot close a run that is exported: it must be reconciled" in refused_close.stderr


def _exported(registry: Path) -> Path:
    for args, actor in (
        (("payroll", "run", "--period", "2026-01"), "maker"),
        (("payroll", "submit", "--period", "2026-01"), "maker"),
        (("payroll", "approve", "--period", "2026-01"), "checker"),
        (("payroll", "export", "--period", "2026-01", "--output-dir", registry / "bank"), "maker"),
    ):
        result = himaya(*args, actor=actor)
        assert result.exit_code == 0, result.stderr
    return registry / "bank"


def _rejected(folder: Path) -> set[str]:
    return {s.end_to_end_id for f in folder.iterdir() for s in read_bank_file(f).statuses if s.outcome == "rejected"}


def test_a_simulated_bank_answers_an_export_and_the_answer_reconciles_the_run(registry: Path) -> None:
    folder = _exported(registry)
    transfers = sum(len(read_pain001(f).transfers) for f in folder.glob("*.xml"))
    answers = registry / "answers"
    args = ("payroll", "bank-answer", "--period", "2026-01", "--from", folder, "--output-dir", answers)
    answered = himaya(*args, "--reject-share", "0.1", "--seed", "7")
    assert answered.exit_code == 0, answered.stderr
    files = sorted(answers.iterdir())
    kinds = [read_bank_file(f).kind for f in files]  # each validated against its schema as it is read
    assert kinds.count("pain.002.001.10") == len(list(folder.glob("*.xml"))) and "camt.054.001.08" in kinds
    again = registry / "again"
    assert himaya(*args[:-1], again, "--reject-share", "0.1", "--seed", "7").exit_code == 0
    drawn = _rejected(answers)
    assert drawn == _rejected(again) and len(drawn) == round(transfers * 0.1) > 0  # the same seed, the same draw
    rejected = len(drawn)
    reconciled = himaya("payroll", "reconcile", answers)
    assert reconciled.exit_code == 0, reconciled.stderr
    assert "reconciled: 2026-01" in reconciled.stdout
    status = himaya("payroll", "status").stdout
    assert f"{rejected:,} rejected" in status and f"{transfers - rejected:,} paid" in status
    refused = himaya("payroll", "bank-answer", "--period", "2026-02", "--from", folder, "--output-dir", answers)
    assert refused.exit_code == 2 and "no exported file of the run of 2026-02" in refused.stderr
    share = himaya(*args, "--reject-share", "1.5")
    assert share.exit_code == 2 and "--reject-share must be between 0 and 1, not 1.5" in share.stderr


def test_export_refuses_an_account_nobody_configured_and_the_held_are_listed(registry: Path) -> None:
    for args, actor in (
        (("payroll", "run", "--period", "2026-01"), "maker"),
        (("payroll", "submit", "--period", "2026-01"), "maker"),
        (("payroll", "approve", "--period", "2026-01"), "checker"),
    ):
        assert himaya(*args, actor=actor).exit_code == 0
    export = ("payroll", "export", "--period", "2026-01", "--output-dir", registry / "bank")
    for payer in ({"HIMAYA_PAYER_IBAN": None}, {"HIMAYA_PAYER_IBAN": "OM810180000001299123456"}):
        refused = himaya(*export, payer={**PAYER, **payer})
        assert refused.exit_code == 2 and "set HIMAYA_PAYER_IBAN" in refused.stderr
        assert not (registry / "bank").exists()
    wrong = himaya(*export, payer={**PAYER, "HIMAYA_PAYER_IBAN": "OM000180000009876543210"})
    assert wrong.exit_code == 2 and "is not a valid IBAN" in wrong.stderr
    assert himaya(*export).exit_code == 0

    status = himaya("payroll", "status").stdout
    held_omr = re.search(r"([\d,.]+) OMR held", status)[1]  # type: ignore[index]
    listed = himaya("payroll", "held", "--period", "2026-01", "--output", registry / "held.csv")
    assert listed.exit_code == 0, listed.stderr
    assert f"{held_omr} OMR" in listed.stdout
    lines = pl.read_csv(registry / "held.csv", infer_schema=False)
    assert lines.columns == ["person_id", "payee_id", "programme", "month", "kind", "amount", "reason"]
    assert lines["amount"].str.contains(r"^\d+\.\d{3}$").all()
    assert format_omr(sum(parse_omr(a) for a in lines["amount"]), grouped=True) == held_omr
    assert lines.height == int(re.search(r"([\d,]+) line\(s\) held", listed.stdout)[1].replace(",", ""))  # type: ignore[index]


def test_a_lost_folder_is_written_again_with_its_first_batching_and_payer(registry: Path) -> None:
    for args, actor in (
        (("payroll", "run", "--period", "2026-01"), "maker"),
        (("payroll", "submit", "--period", "2026-01"), "maker"),
        (("payroll", "approve", "--period", "2026-01"), "checker"),
    ):
        assert himaya(*args, actor=actor).exit_code == 0
    bank = registry / "bank"
    export = ("payroll", "export", "--period", "2026-01", "--output-dir", bank)
    assert himaya(*export, "--batch-size", "300", "--execution-date", "2026-01-25").exit_code == 0
    first = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in bank.iterdir()}
    assert any(name.endswith("-2.xml") for name in first)  # a bank cut in two files
    shutil.rmtree(bank)
    # Another batch size and execution date asked, no payer configured any more: the files first written.
    again = himaya(*export, "--again", "--batch-size", "50000", "--execution-date", "2026-03-01", payer={})
    assert again.exit_code == 0, again.stderr
    assert f"wrote again {len(first)} file(s)" in again.stdout
    assert {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in bank.iterdir()} == first
    refused = himaya(*export, "--again")
    assert refused.exit_code == 2 and "is not empty: nothing was written" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("payroll", "submit", "--period", "2026-03"), "there is no run for 2026-03"),
        (
            ("payroll", "run", "--period", "2026-01", "--recovery-share", "1.5"),
            "the recovery share must be between 0 and 1, not 1.5",
        ),
        (("payroll", "export", "--period", "2026-01", "--batch-size", "0"), "--batch-size must be at least 1"),
        (("payroll", "export", "--period", "2026-01"), "cannot export a run that is calculated"),
        (("payroll", "reconcile", "nowhere.xml"), "nowhere.xml: no such file"),
        (("payroll", "export", "--period", "2026-03", "--again"), "there is no run for 2026-03"),
        (("payroll", "export", "--period", "2026-01", "--again"), "is calculated: its files cannot be written again"),
    ],
)
def test_bad_requests_exit_2_and_change_nothing(registry: Path, args: tuple[str, ...], message: str) -> None:
    if "export" in args and "--batch-size" not in args:
        assert himaya("payroll", "run", "--period", "2026-01").exit_code == 0
    result = himaya(*args)
    assert result.stderr.startswith("error: ")  # no blank line first (issue 20, item 11)
    # A run's state is a conflict (4), a run that does not exist is not found (3), the rest bad input (2).
    assert result.exit_code == (4 if "cannot " in message else 3 if "no run" in message else 2)
    assert message in result.stderr


def test_a_sync_that_ends_enrollments_records_each_as_a_decision(registry: Path) -> None:
    """Two years on, children have come of age: their endings are decisions, told and appealable."""
    synced = himaya("enrollment", "sync", "--period", "2028-01")
    assert synced.exit_code == 0, synced.stderr
    found = re.search(r"([\d,]+) ended; ([\d,]+) stop decision\(s\) recorded and told \(appealable\)", synced.stdout)
    assert found is not None, synced.stdout
    assert 0 < int(found[2].replace(",", "")) <= int(found[1].replace(",", ""))
