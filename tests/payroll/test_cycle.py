"""The monthly cycle on both databases: enrollment, run, maker-checker, bank files, returns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from himaya.adapters.iso20022 import PAIN_001, BankFileError, read_bank_file, validate, write_pain001
from himaya.adapters.iso20022.bank import answer_camt054, answer_pain002, read_pain001
from himaya.bootstrap import payroll as store
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.db import audit
from himaya.db.registry_import import import_people
from himaya.db.tables import enrollment, payment_line
from himaya.payroll.bank import Payer
from himaya.payroll.rules import MakerCheckerError, PayrollStateError
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.synth.identity import iban_check_digits

JANUARY, FEBRUARY = Period(2026, 1), Period(2026, 2)
PAYER = Payer("Social Protection Fund", "OM810180000001299123456", "BMUSOMRXXXX")
NOW = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)


def _ready(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, period: Period = JANUARY) -> store.RunSummary:
    import_people(engine, synthetic, as_of=date(2025, 12, 1), actor="registrar", source={"file": "people.parquet"})
    store.sync_enrollments(engine, oman, period, actor="officer", today=period.start)
    return store.calculate(engine, oman, period, actor="maker")


def _exported_january(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, folder: Path) -> list[Path]:
    """January calculated, submitted by the maker, approved by the checker and exported."""
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    return store.export(
        engine, JANUARY, folder, actor="finance", payer=PAYER, execution=date(2026, 1, 25), writer=write_pain001
    )


def reconcile(engine: Engine, path: Path) -> store.Reconciliation:
    """As `himaya payroll reconcile` does: read and validate the file, then apply it."""
    try:
        reply = read_bank_file(path)
    except BankFileError as error:
        raise store.PayrollError(str(error)) from None
    return store.reconcile(engine, reply, path, actor="finance")


def _lines(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(payment_line)).mappings().all()
    return pl.DataFrame([dict(r) for r in rows], infer_schema_length=None)


def test_the_run_pays_exactly_the_entitlements(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    summary = _ready(engine, synthetic, oman)
    expected = entitlements(synthetic.select(oman.schema.names), oman, oman.parameters, JANUARY)
    total = expected.select(pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64).sum()).item()
    assert (summary.lines, summary.amount + summary.held) == (expected.height, total)
    lines = _lines(engine)
    held = lines.filter(pl.col("status") == "exception")["amount"].sum()
    assert summary.held == held > 0  # payable and held apart (issue 20, item 9)
    assert lines.filter(pl.col("status") == "exception")["reason"].unique().to_list() == [
        "no bank account for the payee"
    ]
    assert set(lines["status"].unique()) <= {"pending", "exception"}


def test_recalculating_gives_the_same_run(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    first = _ready(engine, synthetic, oman)
    before = _lines(engine).select("person_id", "programme", "month", "amount", "end_to_end_id").sort("end_to_end_id")
    again = store.calculate(engine, oman, JANUARY, actor="maker")
    after = _lines(engine).select("person_id", "programme", "month", "amount", "end_to_end_id").sort("end_to_end_id")
    assert first == again and before.equals(after)


def test_maker_checker_and_states(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path) -> None:
    _ready(engine, synthetic, oman)
    with pytest.raises(PayrollStateError, match="cannot approve a run that is calculated"):
        store.transition(engine, JANUARY, "approve", actor="checker")
    store.transition(engine, JANUARY, "submit", actor="maker")
    with pytest.raises(MakerCheckerError, match="maker submitted this run and cannot approve it"):
        store.transition(engine, JANUARY, "approve", actor="maker")
    with pytest.raises(store.PayrollError, match="is submitted: it can no longer be calculated"):
        store.calculate(engine, oman, JANUARY, actor="maker")
    assert store.transition(engine, JANUARY, "approve", actor="checker").state == "approved"
    with pytest.raises(store.PayrollError, match="is approved: it can no longer be calculated"):
        store.calculate(engine, oman, JANUARY, actor="maker")


def test_export_writes_valid_files_with_exact_sums(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _ready(engine, synthetic, oman)
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    files = store.export(
        engine,
        JANUARY,
        tmp_path,
        actor="finance",
        payer=PAYER,
        execution=date(2026, 1, 25),
        writer=write_pain001,
        batch_size=50,
    )
    assert len(files) > len({f.name.split("-")[2] for f in files})  # several banks, and batches within a bank
    lines = _lines(engine)
    pending = lines.filter(pl.col("status") == "exported")
    sent = [read_pain001(f) for f in files]
    for file in files:
        validate(file, PAIN_001)
    assert sum(len(s.transfers) for s in sent) == pending.height
    assert sum(a for s in sent for _, a in s.transfers) == pending["amount"].sum()
    assert all(len(s.transfers) <= 50 for s in sent)
    assert "<CtrlSum>" in files[0].read_text(encoding="utf-8") and 'Ccy="OMR"' in files[0].read_text(encoding="utf-8")


def test_a_line_without_a_bank_code_goes_out_in_a_file_of_its_own(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _ready(engine, synthetic, oman)
    with engine.begin() as connection:
        some = sa.select(payment_line.c.id).where(payment_line.c.status == "pending").limit(3).scalar_subquery()
        connection.execute(sa.update(payment_line).where(payment_line.c.id.in_(some)).values(bank_code=None))
    store.transition(engine, JANUARY, "submit", actor="maker")
    store.transition(engine, JANUARY, "approve", actor="checker")
    files = store.export(
        engine, JANUARY, tmp_path, actor="finance", payer=PAYER, execution=date(2026, 1, 25), writer=write_pain001
    )
    assert "HIMAYA-202601-None-1.xml" in [f.name for f in files]
    assert len(read_pain001(tmp_path / "HIMAYA-202601-None-1.xml").transfers) == 3
    assert _lines(engine).filter(pl.col("status") == "pending").height == 0


def test_bank_returns_reconcile_the_run(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    first = read_pain001(files[0])
    rejected = {first.transfers[0][0]}
    answer_pain002(first, tmp_path / "status.xml", rejected=rejected, created=NOW)
    result = reconcile(engine, tmp_path / "status.xml")
    assert (result.kind, result.rejected, result.paid) == ("pain.002.001.10", 1, len(first.transfers) - 1)
    for number, file in enumerate(files[1:]):
        sent = read_pain001(file)
        returned = {sent.transfers[0][0]} if number == 0 else set()
        answer_camt054(
            sent, tmp_path / f"booked-{number}.xml", returned=returned, created=NOW, booked=date(2026, 1, 26)
        )
        outcome = reconcile(engine, tmp_path / f"booked-{number}.xml")
    assert outcome.runs == ["2026-01"]
    lines = _lines(engine)
    assert set(lines["status"].unique()) <= {"paid", "rejected", "returned", "exception"}
    bad = lines.filter(pl.col("status").is_in(["rejected", "returned"]))
    assert bad.height == 2 and bad["reason"].str.starts_with("bank reason ").all()
    assert store.transition(engine, JANUARY, "close", actor="finance").state == "closed"
    with engine.connect() as connection:
        assert audit.verify(connection).intact


def test_a_bad_bank_file_changes_nothing(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    files = _exported_january(engine, synthetic, oman, tmp_path)
    sent = read_pain001(files[0])
    before = _lines(engine).sort("id")
    unknown = type(sent)("HIMAYA-209901-018-1", sent.debtor_iban, sent.transfers)
    answer_pain002(unknown, tmp_path / "unknown.xml", rejected=set(), created=NOW)
    with pytest.raises(store.PayrollError, match="no exported run sent"):
        reconcile(engine, tmp_path / "unknown.xml")
    stranger = type(sent)(sent.message_id, sent.debtor_iban, [*sent.transfers, ("HMYCH2601-99999999", 10_000)])
    answer_pain002(stranger, tmp_path / "stranger.xml", rejected=set(), created=NOW)
    with pytest.raises(store.PayrollError, match="transfer HMYCH2601-99999999 matches no payment line"):
        reconcile(engine, tmp_path / "stranger.xml")
    (tmp_path / "broken.xml").write_text("<Document><unclosed></Document>", encoding="utf-8")
    with pytest.raises(store.PayrollError, match="cannot be read as XML"):
        reconcile(engine, tmp_path / "broken.xml")
    invalid = tmp_path / "status.xml"
    answer_pain002(sent, invalid, rejected=set(), created=NOW)
    invalid.write_text(
        invalid.read_text(encoding="utf-8").replace("<TxSts>ACSC</TxSts>", "<TxSts>NOPE!</TxSts>", 1), encoding="utf-8"
    )
    with pytest.raises(store.PayrollError, match=r"does not validate against pain\.002\.001\.10\.xsd"):
        reconcile(engine, invalid)
    assert _lines(engine).sort("id").equals(before)


def test_nobody_is_paid_twice(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    """The database itself refuses a second line for a person, programme and month."""
    _ready(engine, synthetic, oman)
    with engine.connect() as connection:
        line = connection.execute(sa.select(payment_line).limit(1)).mappings().one()
    copy = {k: v for k, v in line.items() if k != "id"} | {"end_to_end_id": "HMYXX0000-copy"}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(payment_line).values(copy))


def test_next_month_pays_arrears_of_a_late_enrollment_and_nothing_twice(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack
) -> None:
    _ready(engine, synthetic, oman)
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        store.transition(engine, JANUARY, action, actor=actor)
    # A child enrolled late: the enrollment is removed before January's run, restored after it.
    with engine.begin() as connection:
        child = (
            connection.execute(sa.select(enrollment).where(enrollment.c.programme == "child").limit(1)).mappings().one()
        )
        connection.execute(
            sa.update(enrollment).where(enrollment.c.id == child["id"]).values(start_month=JANUARY.start)
        )
        connection.execute(
            sa.delete(payment_line).where(
                payment_line.c.person_id == child["person_id"], payment_line.c.programme == "child"
            )
        )
    february = store.calculate(engine, oman, FEBRUARY, actor="maker")
    lines = _lines(engine)
    arrears = lines.filter(pl.col("kind") == "arrears")
    assert february.arrears == arrears.height >= 1
    assert arrears.filter(pl.col("person_id") == child["person_id"])["month"].to_list() == [JANUARY.start]
    assert lines.group_by("person_id", "programme", "month").len()["len"].max() == 1


def test_a_death_recorded_late_becomes_a_debt_recovered_by_capped_deductions(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    """A wife paid to her own account for January, whose death in December is recorded only in
    January: her payment becomes a debt that her family's head repays, at most a quarter of what
    the head is paid each month, until it is settled."""
    _exported_january(engine, synthetic, oman, tmp_path)
    # A head with an account of his own: a held line (no account) is paid later, not deducted from now.
    heads = synthetic.filter((pl.col("relationship") == "head") & pl.col("iban").is_not_null()).select(
        "family_id", head="person_id"
    )
    spouses = synthetic.filter((pl.col("relationship") == "spouse") & (pl.col("iban").is_not_null())).join(
        heads, on="family_id"
    )
    with engine.connect() as connection:
        paid = connection.execute(
            sa.text(
                "SELECT p.civil_number, l.amount FROM payment_line l JOIN person p ON p.id = l.person_id"
                " WHERE l.status = 'exported' AND l.payee_id = l.person_id"
            )
        ).all()
    paid_to_self = dict(paid)
    chosen = spouses.filter(pl.col("person_id").is_in(list(paid_to_self)))
    assert chosen.height, "the synthetic table has a spouse paid to her own account"
    spouse, head = chosen["person_id"][0], chosen["head"][0]
    overpaid = paid_to_self[spouse]
    with engine.begin() as connection:  # the civil registry reports the death late
        connection.execute(
            sa.text("UPDATE person SET death_date = :d WHERE civil_number = :c"), {"d": date(2025, 12, 20), "c": spouse}
        )
    february = store.calculate(engine, oman, FEBRUARY, actor="maker", recovery_share=0.25)
    with engine.connect() as connection:
        debts = connection.execute(
            sa.text(
                "SELECT d.amount, d.recovered, d.status, p.civil_number, d.reason"
                " FROM debt d JOIN person p ON p.id = d.person_id"
            )
        ).all()
        head_lines = connection.execute(
            sa.text(
                "SELECT l.amount, l.deduction FROM payment_line l JOIN person p ON p.id = l.payee_id"
                " JOIN payroll_run r ON r.id = l.run_id WHERE p.civil_number = :c AND r.period = :p"
            ),
            {"c": head, "p": FEBRUARY.start},
        ).all()
    [(amount, recovered, status, debtor, reason)] = debts
    assert (amount, debtor) == (overpaid, head) and "died on 2025-12-20" in reason
    cap = int(0.25 * sum(a for a, _ in head_lines))
    assert recovered == min(overpaid, cap) == sum(d for _, d in head_lines) == february.recovered
    assert status == ("settled" if recovered == overpaid else "open")
    # The month's diff says why her payment stopped.
    stopped = store.diff(engine, FEBRUARY).filter(pl.col("person_id") == spouse)
    assert stopped.select("change", "reason").rows() == [("stopped", "died on 2025-12-20")]
    # Calculating February again gives back and takes again the same deduction: no double recovery.
    again = store.calculate(engine, oman, FEBRUARY, actor="maker", recovery_share=0.25)
    assert again.recovered == february.recovered
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT recovered FROM debt")).scalar_one() == recovered
    # An amount that changed is said in OMR, as everything a person reads.
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE payment_line SET amount = amount + 106000 WHERE id = (SELECT min(l.id) FROM payment_line l"
                " JOIN payment_line j ON j.person_id = l.person_id AND j.programme = l.programme"
                " WHERE l.month = :f AND j.month = :j AND l.kind = 'regular' AND j.kind = 'regular')"
            ),
            {"f": FEBRUARY.start, "j": date(2026, 1, 1)},
        )
    changed = store.diff(engine, FEBRUARY).filter(pl.col("change") == "changed")
    assert changed.height and (changed["now"] - changed["before"] == 106000).any()
    for row in changed.iter_rows(named=True):
        assert row["reason"] == f"from {format_omr(row['before'])} to {format_omr(row['now'])} OMR"


def test_a_rejected_line_waits_until_the_account_is_fixed_then_goes_out_next_month(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack, tmp_path: Path
) -> None:
    _exported_january(engine, synthetic, oman, tmp_path)
    first = read_pain001(sorted(tmp_path.glob("*.xml"))[0])
    rejected_e2e = first.transfers[0][0]
    answer_pain002(first, tmp_path / "status.xml", rejected={rejected_e2e}, created=NOW)
    reconcile(engine, tmp_path / "status.xml")
    with engine.connect() as connection:
        payee, old_iban = connection.execute(
            sa.text(
                "SELECT p.civil_number, l.iban FROM payment_line l JOIN person p ON p.id = l.payee_id"
                " WHERE l.end_to_end_id = :e"
            ),
            {"e": rejected_e2e},
        ).one()
    # Without a new account, February leaves the line waiting.
    store.calculate(engine, oman, FEBRUARY, actor="maker")
    assert _lines(engine).filter(pl.col("end_to_end_id") == rejected_e2e)["status"][0] == "rejected"
    # The branch registers a new account; February, calculated again, takes the line along.
    account = 1234567890123456
    new_iban = f"OM{int(iban_check_digits(np.array([18]), np.array([account]))[0]):02d}018{account:016d}"
    fixed = synthetic.with_columns(
        pl.when(pl.col("person_id") == payee).then(pl.lit(new_iban)).otherwise(pl.col("iban")).alias("iban"),
        pl.when(pl.col("person_id") == payee).then(pl.lit("018")).otherwise(pl.col("bank_code")).alias("bank_code"),
    )
    import_people(engine, fixed, as_of=date(2026, 2, 10), actor="registrar", source={"file": "fix.parquet"})
    summary = store.calculate(engine, oman, FEBRUARY, actor="maker")
    line = _lines(engine).filter(pl.col("end_to_end_id") == rejected_e2e).row(0, named=True)
    assert (line["status"], line["iban"]) == ("pending", new_iban)
    assert line["reason"] == f"re-issued (was {old_iban})" and summary.reissued == 1
    assert line["month"] == JANUARY.start  # still January's payment, paid once
    # January's answer loaded again once its reject goes out in February changes nothing (issue 20, 4).
    with pytest.raises(store.PayrollError, match=f"transfer {rejected_e2e} is not a transfer of message"):
        reconcile(engine, tmp_path / "status.xml")
    assert _lines(engine).filter(pl.col("end_to_end_id") == rejected_e2e)["status"][0] == "pending"
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        store.transition(engine, FEBRUARY, action, actor=actor)
    files = store.export(
        engine,
        FEBRUARY,
        tmp_path / "feb",
        actor="finance",
        payer=PAYER,
        execution=date(2026, 2, 25),
        writer=write_pain001,
    )
    assert any(rejected_e2e == e2e for f in files for e2e, _ in read_pain001(f).transfers)


def test_the_diff_of_a_month_without_lines_is_empty(engine: Engine) -> None:
    changes = store.diff(engine, Period(2000, 1))
    assert changes.is_empty()
