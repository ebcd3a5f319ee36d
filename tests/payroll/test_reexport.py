"""Issue 20, item 1: a lost folder written again byte for byte from the database alone, on SQLite
and PostgreSQL; never a new message id, never a line changed, refusals writing nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.adapters.iso20022 import write_pain001
from himaya.adapters.iso20022.bank import answer_camt054, answer_pain002, read_pain001
from himaya.bootstrap import payroll as store
from himaya.core.errors import InvalidInputError
from himaya.db.registry_import import import_people
from himaya.db.tables import audit_entry, payment_line, payroll_run, person
from himaya.payroll.bank import Payer
from himaya.policy.pack import PolicyPack
from himaya.synth.identity import iban_check_digits
from tests.payroll.test_cycle import FEBRUARY, JANUARY, NOW, PAYER, _exported_january, _lines, _ready, reconcile


def _digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def _left(tmp_path: Path) -> list[str]:
    """What is in the test's folder besides the SQLite database."""
    return sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("himaya.db"))


def _again(engine: Engine, folder: Path, actor: str = "finance:auditor") -> list[Path]:
    return store.export_again(engine, JANUARY, folder, actor=actor, writer=write_pain001)


def _states(engine: Engine) -> pl.DataFrame:
    columns = ("id", "status", "message_id", "iban", "reason", "run_id")
    return _lines(engine).select(columns).sort("id")


def _reads(engine: Engine) -> list[tuple[str, str, dict[str, object]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_entry.c.actor, audit_entry.c.subject, audit_entry.c.after).where(
                audit_entry.c.action == "read"
            )
        ).all()
    return [(str(actor), str(subject), json.loads(after)) for actor, subject, after in rows]


def test_a_lost_folder_is_written_again_byte_for_byte(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    first = tmp_path / "bank"
    files = _exported_january(engine, synthetic, oman, first)
    original, lines = _digests(first), _states(engine)
    shutil.rmtree(first)

    again = _again(engine, tmp_path / "again")
    assert [f.name for f in again] == [f.name for f in files]
    assert _digests(tmp_path / "again") == original
    assert _states(engine).equals(lines)  # no line changed, no new message id
    assert _reads(engine) == [
        (
            "finance:auditor",
            "payroll:2026-01:files",
            {"again": True, "folder": str(tmp_path / "again"), "files": list(original)},
        )
    ]
    assert _left(tmp_path) == ["again"]  # nothing left aside


def test_names_corrected_in_the_registry_after_the_export_do_not_change_the_files_written_again(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _exported_january(engine, synthetic, oman, tmp_path / "bank")
    original = _digests(tmp_path / "bank")
    with engine.begin() as connection:  # every name corrected since (a registry correction, in bulk)
        connection.execute(sa.update(person).values(given_name_en="Corrected", family_name_en="Since"))
    _again(engine, tmp_path / "again")
    assert _digests(tmp_path / "again") == original  # each transfer names its payee as the file first did


def test_the_recorded_batching_payer_and_dates_are_used_not_todays(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    payer = Payer("Fund", "OM930180000009876543210", "BMUSOMRXXXX")
    files = store.export(
        engine, JANUARY, tmp_path / "bank", actor="finance", payer=payer, execution=date(2026, 1, 27),
        writer=write_pain001, batch_size=40,
    )  # fmt: skip
    assert len(files) > len({f.name.split("-")[2] for f in files})  # banks cut in batches of 40
    original = _digests(tmp_path / "bank")

    _again(engine, tmp_path / "again")
    assert _digests(tmp_path / "again") == original
    text = (tmp_path / "again" / files[0].name).read_text(encoding="utf-8")
    assert payer.iban in text and "2026-01-27" in text


def test_after_the_banks_answers_the_files_are_still_the_first_ones(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path / "bank")
    original = _digests(tmp_path / "bank")
    sent = read_pain001(files[0])
    rejected = {sent.transfers[0][0], sent.transfers[1][0]}
    answer_pain002(sent, tmp_path / "status.xml", rejected=rejected, created=NOW)
    assert reconcile(engine, tmp_path / "status.xml").rejected == 2
    for index, file in enumerate(files[1:]):
        answer_camt054(read_pain001(file), tmp_path / f"booked-{index}.xml", returned=set(), created=NOW,
                       booked=JANUARY.end)  # fmt: skip
        reconcile(engine, tmp_path / f"booked-{index}.xml")
    assert {"paid", "rejected"} <= set(_lines(engine)["status"])

    _again(engine, tmp_path / "again")
    assert _digests(tmp_path / "again") == original


def test_a_run_never_exported_is_refused_writing_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    with pytest.raises(
        store.PayrollError,
        match="the run of 2026-01 is approved: its files cannot be written again, it was never exported",
    ):
        _again(engine, tmp_path / "again")
    assert not _left(tmp_path) and not _reads(engine)


def test_a_folder_not_empty_or_a_file_is_refused_writing_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _exported_january(engine, synthetic, oman, tmp_path / "bank")
    before = _digests(tmp_path / "bank")
    with pytest.raises(InvalidInputError, match="bank is not empty: nothing was written"):
        _again(engine, tmp_path / "bank")
    (tmp_path / "file.xml").write_text("mine")
    with pytest.raises(InvalidInputError, match=r"file\.xml is a file, not a folder: nothing was written"):
        _again(engine, tmp_path / "file.xml")
    assert _digests(tmp_path / "bank") == before and (tmp_path / "file.xml").read_text() == "mine"
    assert _left(tmp_path) == ["bank", "file.xml"] and not _reads(engine)
    (tmp_path / "empty").mkdir()
    _again(engine, tmp_path / "empty")  # an empty folder will do
    assert _digests(tmp_path / "empty") == before


def test_a_file_that_would_differ_from_its_digest_is_refused_by_name(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path / "bank")
    e2e = read_pain001(files[-1]).transfers[0][0]
    with engine.begin() as connection:  # a line changed behind the application's back
        connection.execute(sa.update(payment_line).where(payment_line.c.end_to_end_id == e2e).values(amount=1))
    with pytest.raises(store.PayrollError, match=rf"{files[-1].name} of the run of 2026-01 would differ"):
        _again(engine, tmp_path / "again")
    assert _left(tmp_path) == ["bank"] and not _reads(engine)


def test_a_reject_re_issued_next_month_leaves_both_months_files_as_sent(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path / "jan")
    january = _digests(tmp_path / "jan")
    sent = read_pain001(files[0])
    rejected = sent.transfers[0][0]
    answer_pain002(sent, tmp_path / "status.xml", rejected={rejected}, created=NOW)
    reconcile(engine, tmp_path / "status.xml")
    with engine.connect() as connection:
        payee = connection.execute(
            sa.select(person.c.civil_number)
            .join(payment_line, payment_line.c.payee_id == person.c.id)
            .where(payment_line.c.end_to_end_id == rejected)
        ).scalar_one()
    account = 1234567890123456
    new_iban = f"OM{int(iban_check_digits(np.array([18]), np.array([account]))[0]):02d}018{account:016d}"
    fixed = synthetic.with_columns(
        pl.when(pl.col("person_id") == payee).then(pl.lit(new_iban)).otherwise(pl.col("iban")).alias("iban"),
        pl.when(pl.col("person_id") == payee).then(pl.lit("018")).otherwise(pl.col("bank_code")).alias("bank_code"),
    )
    import_people(engine, fixed, as_of=date(2026, 2, 10), actor="registrar", source={"file": "fix.parquet"})
    assert store.calculate(engine, oman, FEBRUARY, actor="maker").reissued == 1  # the line leaves January's message
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        store.transition(engine, FEBRUARY, action, actor=actor)
    store.export(engine, FEBRUARY, tmp_path / "feb", actor="finance", payer=PAYER, execution=date(2026, 2, 25),
                 writer=write_pain001)  # fmt: skip
    february = _digests(tmp_path / "feb")

    _again(engine, tmp_path / "jan-again")
    assert _digests(tmp_path / "jan-again") == january  # the reject as it was sent, to its old account
    store.export_again(engine, FEBRUARY, tmp_path / "feb-again", actor="finance", writer=write_pain001)
    assert _digests(tmp_path / "feb-again") == february


def test_a_run_exported_before_the_record_is_refused_writing_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _exported_january(engine, synthetic, oman, tmp_path / "bank")
    with engine.begin() as connection:  # as a store migrated from before 0025 holds it
        connection.execute(sa.update(payroll_run).values(export=None))
    with pytest.raises(store.PayrollError, match="exported before exports were recorded"):
        _again(engine, tmp_path / "again")
    assert _left(tmp_path) == ["bank"] and not _reads(engine)
