"""The bank's answers to an Iraq registry's payroll, in whole dinars, on both databases: an exported
run answered by a pain.002 (some transfers rejected), a camt.054 and a camt.053 statement, each valid
against the official schema, reconciled; the rejected lines wait for a new account and go out again
the next month, as Oman's do; an answer in another currency, or with fractions of a dinar, is
refused naming the entry and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy import Engine

from himaya.adapters.iso20022 import BankFileError, read_bank_file, write_pain001
from himaya.adapters.iso20022.bank import Sent, answer_camt053, answer_camt054, answer_pain002, read_pain001
from himaya.bootstrap import payroll as store
from himaya.core.periods import Period
from himaya.db.tables import payment_line
from himaya.payroll.bank import Payer
from himaya.policy.pack import PolicyPack
from tests.conftest import SHARED
from tests.payroll.conftest import imported

NOVEMBER, DECEMBER = Period(2025, 11), Period(2025, 12)
PAYER = Payer("Social Protection Authority", "IQ98NBIQ850123456789012", "NBIQIQBA", "IQD", 0)
NOW = datetime(2025, 11, 26, 8, 0, tzinfo=UTC)
OFFICIAL = SHARED / "external" / "iso20022-xsd"


def _exported(engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, folder: Path) -> list[Path]:
    """November's run of the sample, calculated, approved by a second officer and exported in IQD."""
    imported(engine, sample, iraq)
    store.sync_enrollments(engine, iraq, NOVEMBER, actor="officer", today=NOVEMBER.start)
    store.calculate(engine, iraq, NOVEMBER, actor="maker")
    store.transition(engine, NOVEMBER, "submit", actor="maker")
    store.transition(engine, NOVEMBER, "approve", actor="checker")
    return store.export(
        engine, NOVEMBER, folder, actor="finance", payer=PAYER, execution=date(2025, 11, 25), writer=write_pain001
    )


def reconcile(engine: Engine, path: Path, iraq: PolicyPack) -> store.Reconciliation:
    """As `himaya payroll reconcile` does on an Iraq registry: read in the pack's currency, then apply."""
    try:
        reply = read_bank_file(path, iraq.currency)
    except BankFileError as error:
        raise store.PayrollError(str(error)) from None
    return store.reconcile(engine, reply, path, actor="finance", payer_iban=PAYER.iban, currency=iraq.currency)


def _lines(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(payment_line)).mappings().all()
    return pl.DataFrame([dict(r) for r in rows], infer_schema_length=None)


def _official(path: Path, xsd: str) -> None:
    """Valid against the official schema in shared/external (not only the copy the code ships)."""
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL / xsd)))
    assert schema.validate(etree.parse(str(path))), schema.error_log


def _iban(bank: str, branch: int, account: int) -> str:
    """An Iraqi IBAN with its ISO 13616 check digits (letters as numbers, A = 10)."""
    bban = f"{bank}{branch:03d}{account:012d}"
    number = int("".join(str(int(c, 36)) for c in f"{bban}IQ00"))
    return f"IQ{98 - number % 97:02d}{bban}"


def _run_state(engine: Engine, period: Period) -> str:
    return store.status(engine).filter(pl.col("period") == period.start)["state"].item()


@pytest.mark.shared
def test_the_banks_answer_in_dinars_pays_rejects_and_the_reject_goes_out_again(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, tmp_path: Path
) -> None:
    files = _exported(engine, sample, iraq, tmp_path / "files")
    sent = [read_pain001(f) for f in files]
    assert {s.currency for s in sent} == {"IQD"} and {s.decimals for s in sent} == {0}
    first = sent[0]
    rejected = {first.transfers[0][0], first.transfers[-1][0]}
    answers = tmp_path / "answers"
    answers.mkdir()
    for number, message in enumerate(sent):
        status = answers / f"{number}-pain002.xml"
        answer_pain002(message, status, rejected=rejected & {e for e, _ in message.transfers}, created=NOW)
        _official(status, "pain.002.001.10.xsd")
        amounts = etree.parse(str(status)).xpath("//*[local-name()='InstdAmt']")
        assert {a.get("Ccy") for a in amounts} == {"IQD"} and all(a.text.isdigit() for a in amounts)
        result = reconcile(engine, status, iraq)
        assert result.rejected == len(rejected & {e for e, _ in message.transfers})
        assert result.paid == len(message.transfers) - result.rejected
    assert _run_state(engine, NOVEMBER) == "reconciled"  # no line waits for the bank any longer
    lines = _lines(engine).filter(pl.col("status") != "exception")
    assert set(lines.filter(pl.col("status") == "rejected")["end_to_end_id"]) == rejected
    reasons = [f"bank reason {code}" for code in ("AC04", "AC01", "AC06", "BE01")]
    assert lines.filter(pl.col("status") == "rejected")["reason"].is_in(reasons).all()
    assert lines.filter(pl.col("status") == "paid").height == lines.height - len(rejected)
    # The camt.054 booking the same transfers, in dinars, changes nothing more.
    booked = answers / "booked-camt054.xml"
    accepted = replace(first, transfers=[t for t in first.transfers if t[0] not in rejected])
    answer_camt054(accepted, booked, returned=set(), created=NOW, booked=NOVEMBER.end)
    _official(booked, "camt.054.001.08.xsd")
    again = reconcile(engine, booked, iraq)
    assert (again.paid, again.unchanged) == (0, len(accepted.transfers))
    # Without a new account December leaves the rejects waiting; with one, it takes one along.
    fixed_e2e = first.transfers[0][0]
    with engine.connect() as connection:
        payee, old_iban = connection.execute(
            sa.text(
                "SELECT p.civil_number, l.iban FROM payment_line l JOIN person p ON p.id = l.payee_id"
                " WHERE l.end_to_end_id = :e"
            ),
            {"e": fixed_e2e},
        ).one()
    store.calculate(engine, iraq, DECEMBER, actor="maker")
    assert _lines(engine).filter(pl.col("end_to_end_id") == fixed_e2e)["status"][0] == "rejected"
    new_iban = _iban("RAFB", 12, 345678901234)
    fixed = sample.with_columns(
        pl.when(pl.col("person_id") == payee).then(pl.lit(new_iban)).otherwise(pl.col("iban")).alias("iban"),
        pl.when(pl.col("person_id") == payee).then(pl.lit("RAFB")).otherwise(pl.col("bank_code")).alias("bank_code"),
    )
    imported(engine, fixed, iraq, as_of=date(2025, 12, 10))
    summary = store.calculate(engine, iraq, DECEMBER, actor="maker")
    line = _lines(engine).filter(pl.col("end_to_end_id") == fixed_e2e).row(0, named=True)
    assert (line["status"], line["iban"], line["reason"]) == ("pending", new_iban, f"re-issued (was {old_iban})")
    assert line["month"] == NOVEMBER.start and summary.reissued == 1  # still November's payment, paid once
    store.transition(engine, DECEMBER, "submit", actor="maker")
    store.transition(engine, DECEMBER, "approve", actor="checker")
    december = store.export(
        engine, DECEMBER, tmp_path / "december", actor="finance", payer=PAYER, execution=date(2025, 12, 25),
        writer=write_pain001,
    )  # fmt: skip
    reissued = [(s, a) for s in map(read_pain001, december) for e, a in s.transfers if e == fixed_e2e]
    assert [(s.currency, a) for s, a in reissued] == [("IQD", line["amount"])]


@pytest.mark.shared
def test_a_statement_in_dinars_returns_a_transfer_and_other_currencies_are_refused(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, tmp_path: Path
) -> None:
    files = _exported(engine, sample, iraq, tmp_path / "files")
    sent = [read_pain001(f) for f in files]
    first = sent[0]
    e2e, amount = first.transfers[0]
    before = _lines(engine)
    # In rials: not a transfer the Authority sent, named by file and transfer; nothing changed.
    rials = tmp_path / "rials.xml"
    answer_camt054(Sent(first.message_id, first.debtor_iban, first.transfers), rials, returned=set(), created=NOW,
                   booked=NOVEMBER.end)  # fmt: skip
    with pytest.raises(store.PayrollError, match=rf"rials.xml: transfer {e2e}: amount [0-9.]+ OMR, not IQD"):
        reconcile(engine, rials, iraq)
    # Fractions of a dinar: refused; ISO 4217's three decimals written as zeros: whole dinars, read.
    status = tmp_path / "status.xml"
    answer_pain002(first, status, rejected=set(), created=NOW)
    text = status.read_text(encoding="utf-8")
    fraction = tmp_path / "fraction.xml"
    fraction.write_text(text.replace(f'Ccy="IQD">{amount}<', f'Ccy="IQD">{amount}.500<', 1), encoding="utf-8")
    with pytest.raises(store.PayrollError, match=rf"transfer {e2e}: amount {amount}.500 IQD is not exact to the dinar"):
        reconcile(engine, fraction, iraq)
    one_more = tmp_path / "one-more.xml"  # compared in dinars: one dinar more is another amount
    one_more.write_text(text.replace(f'Ccy="IQD">{amount}<', f'Ccy="IQD">{amount + 1}<', 1), encoding="utf-8")
    with pytest.raises(
        store.PayrollError, match=f"one-more.xml: transfer {e2e} amount differs from the {amount} IQD sent"
    ):
        reconcile(engine, one_more, iraq)
    assert _lines(engine).equals(before)
    zeros = tmp_path / "zeros.xml"
    zeros.write_text(text.replace(f'Ccy="IQD">{amount}<', f'Ccy="IQD">{amount}.000<', 1), encoding="utf-8")
    _official(zeros, "pain.002.001.10.xsd")
    assert reconcile(engine, zeros, iraq).paid == len(first.transfers)
    # The other messages: the Authority's account statement, the treasury's funding passed over, one returned.
    returned = sent[1].transfers[0][0] if len(sent) > 1 else None
    for number, message in enumerate(sent[1:]):
        statement = tmp_path / f"statement-{number}.xml"
        back = {returned} & {e for e, _ in message.transfers}
        answer_camt053(message, statement, returned=back, created=NOW, booked=NOVEMBER.end, funded=10**9)
        _official(statement, "camt.053.001.08.xsd")
        result = reconcile(engine, statement, iraq)
        paid = len(message.transfers) - len(back)
        assert (result.kind, result.returned, result.paid) == ("camt.053.001.08", len(back), paid)
    lines = _lines(engine).filter(pl.col("status") != "exception")
    assert set(lines.filter(pl.col("status") == "returned")["end_to_end_id"]) == {returned} - {None}
    assert _run_state(engine, NOVEMBER) == "reconciled"
