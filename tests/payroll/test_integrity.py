"""Issue 11 and 20: nobody paid twice, whatever the timing, the bank's answer or the clerk's spelling.

On SQLite and PostgreSQL; the races on PostgreSQL (threads with their own connections, a barrier)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from himaya.adapters.iso20022 import BankFileError, read_bank_file, write_pain001
from himaya.adapters.iso20022.bank import answer_camt054, answer_pain002, read_pain001
from himaya.bootstrap import payroll as store
from himaya.core.errors import StaleRecordError
from himaya.db.registry_import import import_people
from himaya.db.stores.payroll import SqlPayrollStore, run_of
from himaya.db.tables import audit_entry, payment_line, payroll_run
from himaya.payroll import actions
from himaya.payroll.bank import Payer
from himaya.payroll.rules import MakerCheckerError, PayrollStateError
from himaya.policy.pack import PolicyPack
from himaya.synth.identity import iban_check_digits
from tests.payroll.test_cycle import (
    FEBRUARY,
    JANUARY,
    NOW,
    PAYER,
    _exported_january,
    _lines,
    _ready,
    reconcile,
)


def _audited(engine: Engine, action: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(audit_entry).where(audit_entry.c.action == action)
        ).scalar_one()


def _race(engine: Engine, monkeypatch: pytest.MonkeyPatch, act: Callable[[str], Any]) -> list[object]:
    """Two users act at once: both have read the run before either writes."""
    barrier = threading.Barrier(2, timeout=30)
    checked = actions.check_transition

    def check_then_wait(*args: Any, **kwargs: Any) -> Any:
        after = checked(*args, **kwargs)
        barrier.wait()
        return after

    monkeypatch.setattr(actions, "check_transition", check_then_wait)
    results: list[object] = [None, None]

    def one(index: int) -> None:
        try:
            results[index] = act(f"checker{index}")
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("action", ["submit", "approve"])
def test_two_users_at_once_exactly_one_wins_with_one_audit_entry(
    engine: Engine,
    database_url: str,
    synthetic: pl.DataFrame,
    oman: PolicyPack,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): the race needs PostgreSQL")
    _ready(engine, synthetic, oman)
    if action == "approve":
        store.transition(engine, JANUARY, "submit", actor="maker")
    results = _race(engine, monkeypatch, lambda actor: store.transition(engine, JANUARY, action, actor=actor))
    won = [r for r in results if isinstance(r, store.RunSummary)]
    lost = [r for r in results if isinstance(r, StaleRecordError)]
    assert (len(won), len(lost)) == (1, 1), results
    assert _audited(engine, f"payroll.{action}") == 1


def test_a_transition_from_a_stale_version_writes_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(engine, synthetic, oman)
    with engine.connect() as connection:
        read = dict(connection.execute(sa.select(payroll_run)).mappings().one())
    with engine.begin() as connection:  # another user moved the run meanwhile (a recalculation, say)
        connection.execute(sa.update(payroll_run).values(version=payroll_run.c.version + 1))
    monkeypatch.setattr(SqlPayrollStore, "run", lambda self, period: run_of(read))
    with pytest.raises(StaleRecordError, match="changed while this action ran"):
        store.transition(engine, JANUARY, "submit", actor="maker")
    with engine.connect() as connection:
        assert connection.execute(sa.select(payroll_run.c.state)).scalar_one() == "calculated"
    assert _audited(engine, "payroll.submit") == 0


@pytest.mark.parametrize("action", ["export", "reconcile"])
def test_export_and_reconcile_are_refused_as_plain_transitions(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, action: str
) -> None:
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    with pytest.raises(PayrollStateError, match="only by `himaya payroll"):
        store.transition(engine, JANUARY, action, actor="finance")


@pytest.mark.parametrize("spelling", ["maker ", " maker", "MAKER", "Maker"])
def test_the_maker_cannot_approve_under_another_spelling(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, spelling: str
) -> None:
    _ready(engine, synthetic, oman)  # calculated by "maker"
    store.transition(engine, JANUARY, "submit", actor="maker")
    with pytest.raises(MakerCheckerError, match="maker submitted this run and cannot approve it"):
        store.transition(engine, JANUARY, "approve", actor=spelling)


def test_who_calculated_the_run_cannot_approve_it(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    _ready(engine, synthetic, oman)  # calculated by "maker"
    store.transition(engine, JANUARY, "submit", actor="clerk")
    with pytest.raises(MakerCheckerError, match="maker calculated this run"):
        store.transition(engine, JANUARY, "approve", actor="Maker")


def test_the_tables_refuse_a_state_no_enum_knows(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    _ready(engine, synthetic, oman)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.update(payroll_run).values(state="paid"))


# --- bank answers ---------------------------------------------------------------------------


def _unchanged(engine: Engine, before: pl.DataFrame) -> None:
    assert _lines(engine).sort("id").equals(before)


def test_an_answer_applies_only_to_the_message_it_answers(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    a, b = read_pain001(files[0]), read_pain001(files[1])
    before = _lines(engine).sort("id")
    # A pain.002 for message A naming a transfer of message B.
    mixed = type(a)(a.message_id, a.debtor_iban, [*a.transfers, b.transfers[0]])
    answer_pain002(mixed, tmp_path / "mixed.xml", rejected=set(), created=NOW)
    with pytest.raises(store.PayrollError, match=f"mixed.xml: transfer {b.transfers[0][0]} is not a transfer of"):
        reconcile(engine, tmp_path / "mixed.xml")
    # The same in a camt.054.
    answer_camt054(mixed, tmp_path / "mixed-camt.xml", returned=set(), created=NOW, booked=JANUARY.end)
    with pytest.raises(store.PayrollError, match=f"transfer {b.transfers[0][0]} is not a transfer of message"):
        reconcile(engine, tmp_path / "mixed-camt.xml")
    _unchanged(engine, before)


def test_a_booked_transfer_is_never_rejected_afterwards(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    answer_camt054(sent, tmp_path / "booked.xml", returned=set(), created=NOW, booked=JANUARY.end)
    assert reconcile(engine, tmp_path / "booked.xml").paid == len(sent.transfers)
    before = _lines(engine).sort("id")
    answer_pain002(sent, tmp_path / "late.xml", rejected={sent.transfers[0][0]}, created=NOW)
    with pytest.raises(store.PayrollError, match=f"transfer {sent.transfers[0][0]} is paid: cannot become rejected"):
        reconcile(engine, tmp_path / "late.xml")
    _unchanged(engine, before)


def test_loading_the_same_answer_twice_changes_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    answer_pain002(sent, tmp_path / "status.xml", rejected={sent.transfers[0][0]}, created=NOW)
    first = reconcile(engine, tmp_path / "status.xml")
    assert (first.paid, first.rejected, first.unchanged) == (len(sent.transfers) - 1, 1, 0)
    before = _lines(engine).sort("id")
    again = reconcile(engine, tmp_path / "status.xml")
    assert (again.paid, again.rejected, again.unchanged) == (0, 0, len(sent.transfers))
    _unchanged(engine, before)


def _nudge(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_amount_that_differs_is_refused_naming_file_and_transfer(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    e2e, amount = sent.transfers[0]
    before = _lines(engine).sort("id")
    shown = f"{amount // 1000}.{amount % 1000:03d}"
    more = f"{amount // 1000 + 5}.{amount % 1000:03d}"
    answer_pain002(sent, tmp_path / "status.xml", rejected=set(), created=NOW)
    _nudge(tmp_path / "status.xml", f'Ccy="OMR">{shown}<', f'Ccy="OMR">{more}<')
    with pytest.raises(store.PayrollError, match=f"status.xml: transfer {e2e} amount differs from the {amount} baisa"):
        reconcile(engine, tmp_path / "status.xml")
    answer_camt054(sent, tmp_path / "booked.xml", returned=set(), created=NOW, booked=JANUARY.end)
    _nudge(tmp_path / "booked.xml", f'Ccy="OMR">{shown}<', f'Ccy="OMR">{amount // 1000 + 1}.{amount % 1000:03d}<')
    with pytest.raises(store.PayrollError, match=f"booked.xml: transfer {e2e} amount differs"):
        reconcile(engine, tmp_path / "booked.xml")
    answer_camt054(sent, tmp_path / "dollars.xml", returned=set(), created=NOW, booked=JANUARY.end)
    _nudge(tmp_path / "dollars.xml", 'Ccy="OMR"', 'Ccy="USD"')
    with pytest.raises(BankFileError, match=f"dollars.xml: transfer {e2e}: amount .* USD, not OMR"):
        read_bank_file(tmp_path / "dollars.xml")
    _unchanged(engine, before)


def test_a_credit_or_another_account_is_not_a_payment(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    answer_camt054(sent, tmp_path / "credit.xml", returned=set(), created=NOW, booked=JANUARY.end)
    _nudge(tmp_path / "credit.xml", "<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>CRDT</CdtDbtInd>")
    with pytest.raises(BankFileError, match=f"credit.xml: transfer {sent.transfers[0][0]}: a credit entry"):
        read_bank_file(tmp_path / "credit.xml")
    other = type(sent)(sent.message_id, "OM020180000001299000001", sent.transfers)
    answer_camt054(other, tmp_path / "other.xml", returned=set(), created=NOW, booked=JANUARY.end)
    before = _lines(engine).sort("id")
    reply = read_bank_file(tmp_path / "other.xml")
    with pytest.raises(store.PayrollError, match=r"is about account OM020180000001299000001, not the Fund"):
        store.reconcile(engine, reply, tmp_path / "other.xml", actor="finance", payer_iban=PAYER.iban)
    _unchanged(engine, before)


def test_an_unknown_status_names_the_file_and_the_transfer(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    answer_pain002(sent, tmp_path / "status.xml", rejected=set(), created=NOW)
    _nudge(tmp_path / "status.xml", "<TxSts>ACSC</TxSts>", "<TxSts>XXXX</TxSts>")
    with pytest.raises(
        BankFileError, match=f"status.xml: transfer {sent.transfers[0][0]}: unknown transaction status 'XXXX'"
    ):
        read_bank_file(tmp_path / "status.xml")


# --- the export and its folder --------------------------------------------------------------


def _approved(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")


def _export(engine: Engine, folder: Path, **options: Any) -> list[Path]:
    given = {"payer": PAYER, "batch_size": 50_000} | options
    return store.export(
        engine, JANUARY, folder, actor="finance", execution=date(2026, 1, 25), writer=write_pain001, **given
    )


def test_an_export_refuses_a_folder_holding_another_attempt(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    """A killed export with --batch-size 500 left its files; run again with another size, it refuses."""
    _approved(engine, synthetic, oman)
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "HIMAYA-202601-018-2.xml").write_text("<a file of an attempt that never committed/>")
    before = _lines(engine).sort("id")
    with pytest.raises(store.PayrollError, match=r"holds files of another export of this run \(HIMAYA-202601-018-2"):
        _export(engine, folder)
    _unchanged(engine, before)
    assert [p.name for p in folder.iterdir()] == ["HIMAYA-202601-018-2.xml"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]  # no temporary folder left
    (folder / "HIMAYA-202601-018-2.xml").unlink()
    files = _export(engine, folder, batch_size=500)
    assert sorted(folder.iterdir()) == sorted(files)


def test_a_refused_export_leaves_no_file_and_no_folder(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _approved(engine, synthetic, oman)
    wrong = Payer(PAYER.name, PAYER.iban[:2] + "00" + PAYER.iban[4:], PAYER.bic)  # check digits broken
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(store.PayrollError, match="is not a valid IBAN"):
        _export(engine, out / "bank", payer=wrong)

    def failing(path: Path, **_: Any) -> None:
        path.write_text("half a file")
        raise BankFileError(f"{path.name}: does not validate")

    with pytest.raises(BankFileError, match="does not validate"):
        store.export(
            engine, JANUARY, out / "bank", actor="finance", payer=PAYER, execution=date(2026, 1, 25), writer=failing
        )
    assert list(out.iterdir()) == []  # neither the folder nor a temporary one


def test_an_approved_line_changed_afterwards_is_not_exported(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _approved(engine, synthetic, oman)
    with engine.begin() as connection:  # someone changes an IBAN directly in the database
        line_id = connection.execute(
            sa.select(payment_line.c.id).where(payment_line.c.status == "pending").limit(1)
        ).scalar_one()
        connection.execute(
            sa.update(payment_line).where(payment_line.c.id == line_id).values(iban="OM020180000001299000001")
        )
    with pytest.raises(store.PayrollError, match="differ from those approved"):
        _export(engine, tmp_path / "bank")
    assert not (tmp_path / "bank").exists()
    with engine.connect() as connection:
        sealed = connection.execute(
            sa.select(audit_entry.c.after).where(audit_entry.c.action == "payroll.approve")
        ).scalar_one()
    assert '"seal"' in sealed  # the seal is in the audit chain


def test_a_held_line_is_paid_once_the_account_is_registered(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _exported_january(engine, synthetic, oman, tmp_path)
    held = _lines(engine).filter(pl.col("status") == "exception").row(0, named=True)
    with engine.connect() as connection:
        payee = connection.execute(
            sa.text("SELECT civil_number FROM person WHERE id = :p"), {"p": held["payee_id"]}
        ).scalar_one()
    account = 1234567890123457
    iban = f"OM{int(iban_check_digits(np.array([18]), np.array([account]))[0]):02d}018{account:016d}"
    fixed = synthetic.with_columns(
        pl.when(pl.col("person_id") == payee).then(pl.lit(iban)).otherwise(pl.col("iban")).alias("iban"),
        pl.when(pl.col("person_id") == payee).then(pl.lit("018")).otherwise(pl.col("bank_code")).alias("bank_code"),
    )
    import_people(engine, fixed, as_of=date(2026, 2, 10), actor="registrar", source={"file": "fix.parquet"})
    store.calculate(engine, oman, FEBRUARY, actor="maker")
    line = _lines(engine).filter(pl.col("id") == held["id"]).row(0, named=True)
    assert (line["status"], line["iban"], line["month"]) == ("pending", iban, JANUARY.start)
    assert line["reason"] == "re-issued (was no account)"
    again = store.calculate(engine, oman, FEBRUARY, actor="maker")  # recalculated: still once
    assert _lines(engine).filter(pl.col("id") == held["id"])["status"][0] == "pending"
    assert again.reissued >= 1


def test_status_shows_payable_held_and_paid_apart_and_a_closed_run_stays_as_closed(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    rejected = read_pain001(files[0]).transfers[0][0]
    for number, file in enumerate(files):
        sent = read_pain001(file)
        answer_pain002(sent, tmp_path / f"answer-{number}.xml", rejected={rejected} - {""}, created=NOW)
        reconcile(engine, tmp_path / f"answer-{number}.xml")
    lines = _lines(engine)
    due = lines["amount"] - lines["deduction"]
    january = store.status(engine).row(0, named=True)
    assert january["held"] == int(due.filter(lines["status"] == "exception").sum()) > 0
    assert january["payable"] == int(due.filter(lines["status"] != "exception").sum())
    assert january["paid_amount"] == int(due.filter(lines["status"] == "paid").sum())
    store.transition(engine, JANUARY, "close", actor="finance")
    closed = store.status(engine).row(0, named=True)
    with engine.begin() as connection:  # a later month takes the reject along (as a re-issue does)
        later = connection.execute(
            sa.insert(payroll_run)
            .values(period=FEBRUARY.start, state="calculated", created_by="maker", created_at=NOW, version=1)
            .returning(payroll_run.c.id)
        ).scalar_one()
        connection.execute(sa.update(payment_line).where(payment_line.c.end_to_end_id == rejected).values(run_id=later))
    assert store.status(engine).row(0, named=True) == closed
