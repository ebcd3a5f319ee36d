"""A bank's side of the exchange, for demonstrations and tests: read a pain.001 we sent and
answer it with a pain.002 status report, a camt.054 notification or a camt.053 statement, as a bank
would, in the currency and with the decimals the pain.001 was written in (OMR: 3, IQD: none).

Nothing in production uses this module; it exists so that reconciliation is exercised on real,
schema-valid bank files rather than on hand-written ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

from himaya.adapters.iso20022 import CAMT_053, CAMT_054, PAIN_001, PAIN_002, decimal_amount, validate

REJECTION_REASONS = ("AC04", "AC01", "AC06", "BE01")  # closed account, wrong number, blocked, name mismatch


@dataclass(frozen=True)
class Sent:
    message_id: str
    debtor_iban: str
    transfers: list[tuple[str, int]]  # end-to-end id, amount in the currency's smallest unit
    currency: str = "OMR"  # the ISO 4217 code the file pays in
    decimals: int = 3  # how many decimals its amounts are written with (IQD: none)

    def amount(self, amount: int) -> str:
        """An amount as the file wrote it: '12.345' (OMR), '125000' (IQD)."""
        return decimal_amount(amount, self.decimals)


def read_pain001(path: Path) -> Sent:
    """The message as a bank reads it: its currency from the amounts' `Ccy`, its decimals from the
    control sum as written (the writer gives every amount the currency's decimals)."""
    validate(path, PAIN_001)
    ns = {"p": PAIN_001}
    root = etree.parse(str(path)).getroot()
    message_id = root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=ns) or ""
    debtor = root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAcct/p:Id/p:IBAN", namespaces=ns) or ""
    control = root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) or "0"
    decimals = len(control.partition(".")[2])
    currency = "OMR"
    transfers = []
    for tx in root.iterfind("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf", ns):
        e2e = tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) or ""
        instructed = tx.find("p:Amt/p:InstdAmt", ns)
        amount = "0" if instructed is None else (instructed.text or "0")
        currency = "OMR" if instructed is None else instructed.get("Ccy", "OMR")
        units, _, minor = amount.partition(".")
        transfers.append((e2e, int(units) * 10**decimals + int(minor.ljust(decimals, "0") or 0)))
    return Sent(message_id, debtor, transfers, currency, decimals)


def answer_pain002(sent: Sent, path: Path, *, rejected: set[str], created: datetime, seed: int = 0) -> None:
    """Accept every transfer (ACSC) except those in `rejected` (RJCT with a reason code)."""
    e = ElementMaker(namespace=PAIN_002, nsmap={None: PAIN_002})
    rng = random.Random(seed)
    transactions = []
    for e2e, amount in sent.transfers:
        echoed = e.OrgnlTxRef(e.Amt(e.InstdAmt(sent.amount(amount), Ccy=sent.currency)))  # the amount the bank read
        if e2e in rejected:
            transactions.append(
                e.TxInfAndSts(
                    e.OrgnlEndToEndId(e2e),
                    e.TxSts("RJCT"),
                    e.StsRsnInf(e.Rsn(e.Cd(rng.choice(REJECTION_REASONS)))),
                    echoed,
                )
            )
        else:
            transactions.append(e.TxInfAndSts(e.OrgnlEndToEndId(e2e), e.TxSts("ACSC"), echoed))
    document = e.Document(
        e.CstmrPmtStsRpt(
            e.GrpHdr(e.MsgId(f"STS-{sent.message_id}"[:35]), e.CreDtTm(created.replace(microsecond=0).isoformat())),
            e.OrgnlGrpInfAndSts(
                e.OrgnlMsgId(sent.message_id),
                e.OrgnlMsgNmId("pain.001.001.09"),
                e.GrpSts("PART" if rejected else "ACSC"),
            ),
            e.OrgnlPmtInfAndSts(e.OrgnlPmtInfId(sent.message_id), *transactions),
        )
    )
    etree.ElementTree(document).write(str(path), xml_declaration=True, encoding="UTF-8")
    validate(path, PAIN_002)


def _entries(e: ElementMaker, sent: Sent, returned: set[str], booked: date) -> list[etree._Element]:
    """Each transfer booked as a debit on the Fund's account; those in `returned` with return information."""
    entries = []
    for number, (e2e, amount) in enumerate(sent.transfers, 1):
        details = [e.Refs(e.MsgId(sent.message_id), e.EndToEndId(e2e))]
        if e2e in returned:
            details.append(e.RtrInf(e.Rsn(e.Cd("AC04"))))
        entries.append(
            e.Ntry(
                e.NtryRef(str(number)),
                e.Amt(sent.amount(amount), Ccy=sent.currency),
                e.CdtDbtInd("DBIT"),
                e.Sts(e.Cd("BOOK")),
                e.BookgDt(e.Dt(booked.isoformat())),
                e.BkTxCd(e.Prtry(e.Cd("PMNT"))),
                e.NtryDtls(e.TxDtls(*details)),
            )
        )
    return entries


def answer_camt054(sent: Sent, path: Path, *, returned: set[str], created: datetime, booked: date) -> None:
    """Book every transfer as a debit on the Fund's account; those in `returned` come back with return information."""
    e = ElementMaker(namespace=CAMT_054, nsmap={None: CAMT_054})
    document = e.Document(
        e.BkToCstmrDbtCdtNtfctn(
            e.GrpHdr(e.MsgId(f"NTF-{sent.message_id}"[:35]), e.CreDtTm(created.replace(microsecond=0).isoformat())),
            e.Ntfctn(
                e.Id(f"NTF-{sent.message_id}"[:35]),
                e.Acct(e.Id(e.IBAN(sent.debtor_iban))),
                *_entries(e, sent, returned, booked),
            ),
        )
    )
    etree.ElementTree(document).write(str(path), xml_declaration=True, encoding="UTF-8")
    validate(path, CAMT_054)


def answer_camt053(
    sent: Sent, path: Path, *, returned: set[str], created: datetime, booked: date, funded: int = 0
) -> None:
    """The Fund's account statement for the day: the transfers booked as debits (those in `returned`
    with return information), after a credit of `funded` (the treasury's funding, an entry that is
    no transfer of ours), between an opening and a closing balance."""
    e = ElementMaker(namespace=CAMT_053, nsmap={None: CAMT_053})
    day = booked.isoformat()

    def balance(code: str, amount: int) -> etree._Element:
        side = "CRDT" if amount >= 0 else "DBIT"
        return e.Bal(
            e.Tp(e.CdOrPrtry(e.Cd(code))), e.Amt(sent.amount(abs(amount)), Ccy=sent.currency), e.CdtDbtInd(side),
            e.Dt(e.Dt(day)),
        )  # fmt: skip

    funding = []
    if funded:
        funding.append(
            e.Ntry(
                e.NtryRef("0"), e.Amt(sent.amount(funded), Ccy=sent.currency), e.CdtDbtInd("CRDT"),
                e.Sts(e.Cd("BOOK")), e.BookgDt(e.Dt(day)), e.BkTxCd(e.Prtry(e.Cd("FUND"))),
            )
        )  # fmt: skip
    debited = sum(amount for e2e, amount in sent.transfers if e2e not in returned)
    document = e.Document(
        e.BkToCstmrStmt(
            e.GrpHdr(e.MsgId(f"STM-{sent.message_id}"[:35]), e.CreDtTm(created.replace(microsecond=0).isoformat())),
            e.Stmt(
                e.Id(f"STM-{sent.message_id}"[:35]),
                e.Acct(e.Id(e.IBAN(sent.debtor_iban))),
                balance("OPBD", 0),
                balance("CLBD", funded - debited),
                *funding,
                *_entries(e, sent, returned, booked),
            ),
        )
    )
    etree.ElementTree(document).write(str(path), xml_declaration=True, encoding="UTF-8")
    validate(path, CAMT_053)


def answer_exported(
    sent_files: list[Path], folder: Path, *, reject_share: float, seed: int, created: datetime, booked: date
) -> list[Path]:
    """A simulated bank's answer to every pain.001 file of an export: for each, a pain.002 that
    rejects a `reject_share` of all the transfers (drawn with `seed`, so the same answer each time)
    and accepts the rest, and a camt.054 booking the accepted ones on the Fund's account. Written
    as `<file>-pain002.xml` and `<file>-camt054.xml` in `folder`, each validated against its schema."""
    sent = [read_pain001(path) for path in sent_files]
    ids = sorted(e2e for message in sent for e2e, _ in message.transfers)
    rejected = set(random.Random(seed).sample(ids, round(len(ids) * reject_share)))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path, message in zip(sent_files, sent, strict=True):
        status, booking = folder / f"{path.stem}-pain002.xml", folder / f"{path.stem}-camt054.xml"
        answer_pain002(
            message, status, rejected=rejected & {e2e for e2e, _ in message.transfers}, created=created, seed=seed
        )
        accepted = replace(message, transfers=[t for t in message.transfers if t[0] not in rejected])
        written.append(status)
        if accepted.transfers:  # a camt.054 without an entry is not a notification
            answer_camt054(accepted, booking, returned=set(), created=created, booked=booked)
            written.append(booking)
    return written
