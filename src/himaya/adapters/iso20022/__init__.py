"""ISO 20022 bank files: pain.001.001.09 out (streamed); pain.002.001.10, camt.054.001.08 and
camt.053.001.08 in.

Every file is checked against its official schema (shipped beside this module): what is written
is validated after writing; what is read is refused whole if it does not validate. Amounts are in
the registry's pack's currency (`core.money.Currency`): OMR with 3 decimals, IQD in whole dinars.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from lxml import etree

from himaya.core.errors import HimayaError
from himaya.core.money import OMR, Currency
from himaya.payroll.bank import TRANSFER_SCHEMA, BankReply, Payer, Status, Transfer

HERE = Path(__file__).parent
PAIN_001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN_002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
CAMT_054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
CAMT_053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
SCHEMAS = {
    PAIN_001: "pain.001.001.09.xsd",
    PAIN_002: "pain.002.001.10.xsd",
    CAMT_054: "camt.054.001.08.xsd",
    CAMT_053: "camt.053.001.08.xsd",
}


class BankFileError(HimayaError):
    """A bank file that is not what it claims to be."""


_SCHEMA_LOCK = threading.Lock()
_THREAD_SCHEMAS = threading.local()


def schema(namespace: str) -> etree.XMLSchema:
    """The namespace's XSD, built once per thread (a schema object keeps its error log, so two
    threads must not validate with one), and built under a lock: libxml2 building schemas in two
    threads at once (the export's two writer threads) sporadically fails with "Document is not
    valid XML Schema"."""
    built: dict[str, etree.XMLSchema] = _THREAD_SCHEMAS.__dict__.setdefault("schemas", {})
    if namespace not in built:
        with _SCHEMA_LOCK:
            built[namespace] = etree.XMLSchema(etree.parse(str(HERE / SCHEMAS[namespace])))
    return built[namespace]


def validate(path: Path, namespace: str) -> None:
    """Raise BankFileError naming the first schema errors (line numbers) if `path` does not validate."""
    try:
        document = etree.parse(str(path))
    except etree.XMLSyntaxError as error:
        raise BankFileError(f"{path}: not well-formed XML: {error}") from None
    checker = schema(namespace)
    if not checker.validate(document):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(checker.error_log)[:5])
        raise BankFileError(f"{path}: does not validate against {SCHEMAS[namespace]}: {problems}")


def decimal_amount(amount: int, decimals: int) -> str:
    """An amount in the smallest unit as the file writes it: '12.345' (OMR), '125000' (IQD)."""
    if not decimals:
        return str(amount)
    per_unit = 10**decimals
    return f"{amount // per_unit}.{amount % per_unit:0{decimals}d}"


def write_pain001(
    path: Path,
    *,
    message_id: str,
    created: datetime,
    payer: Payer,
    execution: date,
    count: int,
    total: int,
    transfers: pl.DataFrame | Iterable[Transfer],
) -> None:
    """Write one credit-transfer initiation (one file of one batch: memory stays that of a batch),
    then validate it against the schema.

    `count` and `total` (baisa) go into the headers before the transactions are written, so they
    are given up front; the file is refused if the transactions do not add up to them. The markup
    is written from templates with every value escaped, all the transfers of the file at once by
    Polars (a template per transfer in Python costs ten times more, an element tree a hundred);
    the schema validation checks the result.
    """
    frame = (
        transfers
        if isinstance(transfers, pl.DataFrame)
        else pl.DataFrame(list(transfers), TRANSFER_SCHEMA, orient="row")
    )
    written, summed = frame.height, int(frame["amount"].sum())
    code, decimals = payer.currency, payer.decimals
    sum_text = decimal_amount(total, decimals)
    if (written, summed) != (count, total):
        raise BankFileError(
            f"{message_id}: {written} transfers of {decimal_amount(summed, decimals)} {code} given,"
            f" {count} of {sum_text} announced"
        )
    if written and frame["amount"].min() < 0:  # type: ignore[operator]
        raise BankFileError(f"{message_id}: a transfer of a negative amount")
    partial = path.with_name(f".{path.name}.partial")
    moment = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)  # naive means UTC
    stamp = moment.replace(microsecond=0).isoformat()
    header = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{PAIN_001}"><CstmrCdtTrfInitn>'
        f"<GrpHdr><MsgId>{_x(message_id)}</MsgId><CreDtTm>{stamp}</CreDtTm><NbOfTxs>{count}</NbOfTxs>"
        f"<CtrlSum>{sum_text}</CtrlSum><InitgPty><Nm>{_x(payer.name)}</Nm></InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{_x(message_id)}</PmtInfId><PmtMtd>TRF</PmtMtd><BtchBookg>false</BtchBookg>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{sum_text}</CtrlSum><ReqdExctnDt><Dt>{execution.isoformat()}</Dt></ReqdExctnDt>"
        f"<Dbtr><Nm>{_x(payer.name)}</Nm></Dbtr><DbtrAcct><Id><IBAN>{_x(payer.iban)}</IBAN></Id></DbtrAcct>"
        f"<DbtrAgt><FinInstnId><BICFI>{_x(payer.bic)}</BICFI></FinInstnId></DbtrAgt><ChrgBr>SLEV</ChrgBr>\n"
    )
    markup = frame.select(_transfer_markup(code, decimals)).to_series()
    if markup.null_count():
        raise BankFileError(f"{message_id}: a transfer without an end-to-end id, creditor, IBAN or remittance")
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(header)
        handle.write("".join(markup.to_list()))
        handle.write("</PmtInf></CstmrCdtTrfInitn></Document>\n")
    partial.replace(path)
    validate(path, PAIN_001)


def _transfer_markup(currency: str, decimals: int) -> pl.Expr:
    """A transfer's <CdtTrfTxInf> element (and a newline), built for all of them at once: the same
    template as the header, every text escaped, names and remittances cut to the schema's 140; the
    amount in `currency`, with its `decimals` (none for the dinar)."""

    def text(column: pl.Expr) -> pl.Expr:
        return (
            column.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
        )

    creditor = pl.col("creditor").str.slice(0, 140)
    amount = pl.col("amount")
    return pl.concat_str(
        pl.lit("<CdtTrfTxInf><PmtId><EndToEndId>"),
        text(pl.col("end_to_end_id")),
        pl.lit(f'</EndToEndId></PmtId><Amt><InstdAmt Ccy="{currency}">'),
        *_amount_markup(amount, decimals),
        pl.lit("</InstdAmt></Amt><Cdtr><Nm>"),
        text(pl.when(creditor == "").then(pl.lit("Beneficiary")).otherwise(creditor)),
        pl.lit("</Nm></Cdtr><CdtrAcct><Id><IBAN>"),
        text(pl.col("iban")),
        pl.lit("</IBAN></Id></CdtrAcct><RmtInf><Ustrd>"),
        text(pl.col("remittance").str.slice(0, 140)),
        pl.lit("</Ustrd></RmtInf></CdtTrfTxInf>\n"),
    )


def _amount_markup(amount: pl.Expr, decimals: int) -> tuple[pl.Expr, ...]:
    if not decimals:
        return (amount.cast(pl.String),)
    per_unit = 10**decimals
    return (
        (amount // per_unit).cast(pl.String),
        pl.lit("."),
        (amount % per_unit).cast(pl.String).str.zfill(decimals),
    )


def _x(text: str) -> str:
    """Text as XML character data (what `xml.sax.saxutils.escape` does, without its extra call)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _text(element: etree._Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    return None if found is None or found.text is None else found.text.strip()


PAID = {"ACSC", "ACCC"}
IN_PROGRESS = {"ACCP", "ACSP", "ACTC", "ACWC", "PDNG", "RCVD", "ACFC", "PART"}


def _amount(element: etree._Element | None, where: str, currency: Currency) -> tuple[int | None, str | None]:
    """(amount in the currency's smallest unit, its code) of an amount element such as `InstdAmt`,
    or (None, None) without one. An amount in another currency than the payroll's is refused (it
    cannot be one of our transfers), and so is one not exact to the currency's smallest unit; more
    decimals than the currency has are read when they are zeros (a bank writing IQD with ISO 4217's
    three: `125000.000` is 125000 whole dinars)."""
    if element is None or element.text is None:
        return None, None
    text, code = element.text.strip(), element.get("Ccy")
    if code != currency.code:
        raise BankFileError(f"{where}: amount {text} {code}, not {currency.code}: not a transfer we sent")
    units, _, fraction = text.partition(".")
    kept, beyond = fraction[: currency.decimals], fraction[currency.decimals :]
    if beyond.strip("0"):
        exact = f"whole {currency.smallest}s" if not currency.decimals else f"{currency.decimals} decimals"
        raise BankFileError(
            f"{where}: amount {text} {code} is not exact to the {currency.smallest} ({code} amounts have {exact})"
        )
    minor = int(kept.ljust(currency.decimals, "0")) if currency.decimals else 0
    return int(units) * currency.per_unit + minor, code


def read_pain002(path: Path, currency: Currency = OMR) -> tuple[list[str], list[Status]]:
    """(original message ids, statuses) of a payment status report; group rejections cover every transfer."""
    validate(path, PAIN_002)
    ns = {"p": PAIN_002}
    root = etree.parse(str(path)).getroot()
    report = root.find("p:CstmrPmtStsRpt", ns)
    assert report is not None
    group = report.find("p:OrgnlGrpInfAndSts", ns)
    assert group is not None
    message_id = _text(group, "p:OrgnlMsgId", ns) or ""
    group_status = _text(group, "p:GrpSts", ns)
    statuses = []
    for tx in report.iterfind("p:OrgnlPmtInfAndSts/p:TxInfAndSts", ns):
        code = _text(tx, "p:TxSts", ns) or group_status or ""
        reason = _text(tx, "p:StsRsnInf/p:Rsn/p:Cd", ns)
        e2e = _text(tx, "p:OrgnlEndToEndId", ns) or ""
        where = f"{path.name}: transfer {e2e}"
        amount, ccy = _amount(tx.find("p:OrgnlTxRef/p:Amt/p:InstdAmt", ns), where, currency)
        iban = _text(tx, "p:OrgnlTxRef/p:CdtrAcct/p:Id/p:IBAN", ns)
        outcome = _outcome(code, where)
        statuses.append(Status(e2e, outcome, reason, message_id, amount, ccy, iban))
    if not statuses and group_status == "RJCT":
        statuses.append(Status("*", "rejected", _text(group, "p:StsRsnInf/p:Rsn/p:Cd", ns), message_id))
    return [message_id], statuses


def _outcome(code: str, where: str) -> str:
    if code in PAID:
        return "paid"
    if code == "RJCT":
        return "rejected"
    if code in IN_PROGRESS:
        return "pending"
    raise BankFileError(f"{where}: unknown transaction status {code!r}")


def _entries(
    entries: Iterable[etree._Element], name: str, ns: dict[str, str], currency: Currency, *, statement: bool
) -> tuple[list[str], list[Status]]:
    """(message ids referred to, statuses) of a camt.054's or camt.053's entries (the same
    ReportEntry10): booked debits are paid, entries with return information are returned. A credit
    without return information is not a payment of ours: a notification's is refused, naming the
    transfer (or, without one, the entry); a statement's (the account's other movements, its
    funding) is passed over, as is a statement's entry that names no transfer."""
    message_ids: list[str] = []
    statuses: list[Status] = []
    for entry in entries:
        booked = _text(entry, "c:Sts/c:Cd", ns) in (None, "BOOK")
        credit = _text(entry, "c:CdtDbtInd", ns) == "CRDT"
        details = entry.findall("c:NtryDtls/c:TxDtls", ns)
        reference = _text(entry, "c:NtryRef", ns)
        for detail in details:
            e2e = _text(detail, "c:Refs/c:EndToEndId", ns) or ""
            returned = detail.find("c:RtrInf", ns)
            if statement and (not e2e or (credit and returned is None)):
                continue
            where = f"{name}: transfer {e2e}" if e2e or not reference else f"{name}: entry {reference}"
            message = _text(detail, "c:Refs/c:MsgId", ns)
            if message:
                message_ids.append(message)
            entry_amount = _amount(entry.find("c:Amt", ns), where, currency) if len(details) == 1 else (None, None)
            own = _amount(detail.find("c:Amt", ns), where, currency)
            amount, ccy = own if own[0] is not None else entry_amount
            iban = _text(detail, "c:RltdPties/c:CdtrAcct/c:Id/c:IBAN", ns)
            if returned is not None:
                outcome, reason = "returned", _text(returned, "c:Rsn/c:Cd", ns)
            elif credit:
                raise BankFileError(f"{where}: a credit entry (CRDT) without return information is not a payment")
            else:
                outcome, reason = ("paid" if booked else "pending"), None
            statuses.append(Status(e2e, outcome, reason, message, amount, ccy, iban))
    return sorted(set(message_ids)), statuses


def read_camt054(path: Path, currency: Currency = OMR) -> tuple[list[str], list[Status], str | None]:
    """(message ids referred to, statuses, the account notified) of a debit/credit notification
    (`_entries`: a credit without return information refuses the file, naming the transfer)."""
    validate(path, CAMT_054)
    ns = {"c": CAMT_054}
    root = etree.parse(str(path)).getroot()
    notification = root.find("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn", ns)
    account = None if notification is None else _text(notification, "c:Acct/c:Id/c:IBAN", ns)
    entries = root.iterfind("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn/c:Ntry", ns)
    return (*_entries(entries, path.name, ns, currency, statement=False), account)


def read_camt053(path: Path, currency: Currency = OMR) -> tuple[list[str], list[Status], str | None]:
    """(message ids referred to, statuses, the account) of an account statement: its entries read as
    a notification's (`_entries`), the account's other movements passed over. A file whose
    statements are about more than one account is refused: it is one account's answer."""
    validate(path, CAMT_053)
    ns = {"c": CAMT_053}
    root = etree.parse(str(path)).getroot()
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    accounts = sorted({_text(s, "c:Acct/c:Id/c:IBAN", ns) or "" for s in statements})
    if len(accounts) > 1:
        raise BankFileError(f"{path.name}: statements of several accounts ({', '.join(accounts)}): send one account's")
    entries = (entry for s in statements for entry in s.iterfind("c:Ntry", ns))
    account = (accounts[0] or None) if accounts else None
    return (*_entries(entries, path.name, ns, currency, statement=True), account)


def read_bank_file(path: Path, currency: Currency = OMR) -> BankReply:
    """Which message the file is (pain.002, camt.054 or camt.053), with its message ids and
    statuses, amounts read in `currency` (the registry's pack's)."""
    try:
        namespace = etree.QName(etree.parse(str(path)).getroot()).namespace
    except (OSError, etree.XMLSyntaxError) as error:
        raise BankFileError(f"{path}: cannot be read as XML: {error}") from None
    if namespace == PAIN_002:
        return BankReply("pain.002.001.10", *read_pain002(path, currency))
    if namespace in (CAMT_054, CAMT_053):
        reader, kind = (read_camt054, "camt.054.001.08") if namespace == CAMT_054 else (read_camt053, "camt.053.001.08")
        message_ids, statuses, account = reader(path, currency)
        return BankReply(kind, message_ids, statuses, account)
    raise BankFileError(
        f"{path}: is {namespace or 'no ISO 20022 message'}, not pain.002.001.10, camt.054.001.08 or camt.053.001.08"
    )
