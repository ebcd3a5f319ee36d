"""The payroll store's statements for bank files and bank answers (part of `SqlPayrollStore`): the
run's pending lines streamed in batches, marked exported in one statement, the lines of sent
messages streamed again (`payroll export --again`), lines re-issued keeping their first sending,
and a bank's answer staged, checked and applied in one statement each (never an unbounded IN list)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.schema import DropTable

from himaya.db import staging
from himaya.db.frames import stream_frames, streams_elsewhere
from himaya.db.payroll_tables import sent_transfer
from himaya.db.tables import payment_line, person
from himaya.payroll.model import LineStatus, Outcome
from himaya.payroll.rules import FORWARD

COUNTED = {"preserve_rowcount": True}

LINE_SCHEMA = {
    "bank": pl.String(),
    "end_to_end_id": pl.String(),
    "amount": pl.Int64(),
    "creditor": pl.String(),
    "iban": pl.String(),
    "programme": pl.String(),
    "month": pl.Date(),
}


def _bank() -> Any:
    """The payee bank a line's file is for; a line without a bank code goes to the bank "None"."""
    return func.coalesce(payment_line.c.bank_code, literal("None"))


def _then_none(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame | None]:
    yield from frames
    yield None


def _forward(line_status: Any, outcome: Any) -> Any:
    """SQL: the answer's outcome is a move `rules.FORWARD` allows from the line's status."""
    return or_(
        *(and_(line_status == before, outcome.in_([o.value for o in after])) for before, after in FORWARD.items())
    )


class SqlBankStatements:
    connection: Connection

    def batches(self, run_id: int, size: int) -> Iterator[tuple[str, int, pl.DataFrame]]:
        """(bank, batch number from 1, transfers) of the run's pending lines, in bank and end-to-end
        order (the same on every database, run after run), at most `size` transfers a batch, read as
        a stream of frames (at most two batches in memory)."""
        payee = person.alias("payee")
        query = (
            select(
                _bank().label("bank"),
                payment_line.c.end_to_end_id,
                (payment_line.c.amount - payment_line.c.deduction).label("amount"),
                _creditor(payee).label("creditor"),
                func.coalesce(payment_line.c.iban, literal("")).label("iban"),  # a pending line has one
                payment_line.c.programme,
                payment_line.c.month,
            )
            .join(payee, payee.c.id == payment_line.c.payee_id)
            .where(payment_line.c.run_id == run_id, payment_line.c.status == LineStatus.PENDING)
            .order_by(_bank(), payment_line.c.end_to_end_id)
        )
        # The export has written nothing yet when it reads the lines: they may be read Arrow-native.
        frames = stream_frames(self.connection, query, LINE_SCHEMA, rows=size, committed=True)
        yield from _cut(frames, size)

    def sent_batches(self, message_ids: Sequence[str]) -> Iterator[tuple[str, pl.DataFrame]]:
        """(message id, transfers) of the lines sent in these messages, whatever has become of them
        since (a line gone out again in a later run as it was kept, `sent_transfer`), in the order
        `batches` gave them (bank, then end-to-end id: a message's lines are consecutive), streamed;
        the amount, account and name as `batches` reads them."""
        payee = person.alias("payee")
        line, was = payment_line, sent_transfer

        def sent(message: Any, amount: Any, iban: Any, bank: Any, name: Any, source: Any) -> Any:
            return (
                select(
                    message.label("message_id"),
                    func.coalesce(bank, literal("None")).label("bank"),
                    line.c.end_to_end_id,
                    amount.label("amount"),
                    # The name as written then; the registry's now for files written before it was kept.
                    func.coalesce(name, _creditor(payee)).label("creditor"),
                    func.coalesce(iban, literal("")).label("iban"),
                    line.c.programme,
                    line.c.month,
                )
                .select_from(source.join(payee, payee.c.id == line.c.payee_id))
                .where(message.in_(message_ids))
            )

        both = union_all(
            sent(
                line.c.message_id,
                line.c.amount - line.c.deduction,
                line.c.iban,
                line.c.bank_code,
                line.c.creditor,
                line,
            ),
            sent(
                was.c.message_id,
                was.c.amount,
                was.c.iban,
                was.c.bank_code,
                was.c.creditor,
                was.join(line, line.c.id == was.c.line_id),
            ),
        ).subquery("sent")
        query = select(both).order_by(both.c.bank, both.c.end_to_end_id)
        schema = {"message_id": pl.String()} | LINE_SCHEMA
        frames = stream_frames(self.connection, query, schema, rows=50_000, committed=True)
        yield from _by_message(frames)

    def reissue(self, run_id: int, moving: pl.DataFrame) -> None:
        """One statement moves them all. The line stays the line of its month: it is paid once. A
        line that was sent is kept as sent first (`sent_transfer`): its file can be written again."""
        s = staging.load(self.connection, "reissue_staging", moving)
        was = payment_line.join(s, s.c.line_id == payment_line.c.id)
        kept = ("line_id", "message_id", "amount", "iban", "bank_code", "creditor")
        sent = (
            payment_line.c.amount - payment_line.c.deduction,
            payment_line.c.iban,
            payment_line.c.bank_code,
            payment_line.c.creditor,
        )
        self.connection.execute(
            insert(sent_transfer).from_select(
                kept,
                select(payment_line.c.id, payment_line.c.message_id, *sent)
                .select_from(was)
                .where(payment_line.c.message_id.is_not(None)),
            )
        )
        self.connection.execute(
            update(payment_line)
            .where(payment_line.c.id == s.c.line_id)
            .values(
                run_id=run_id,
                iban=s.c.iban,
                bank_code=s.c.bank_code,
                status=LineStatus.PENDING.value,
                reason=s.c.reason,
                message_id=None,
                creditor=None,
            )
        )
        self.connection.execute(DropTable(s))

    def reads_elsewhere(self) -> bool:
        return streams_elsewhere(self.connection)

    def mark_exported(self, run_id: int, prefix: str, size: int) -> None:
        """One statement numbers the pending lines by bank and end-to-end id as `batches` cuts them."""
        line = payment_line.alias("line")
        bank = func.coalesce(line.c.bank_code, literal("None"))  # as `_bank()`
        order = func.row_number().over(partition_by=bank, order_by=line.c.end_to_end_id)
        payee = person.alias("payee")
        numbered = (
            select(
                line.c.id, bank.label("bank"), ((order - 1) // size + 1).label("number"), _creditor(payee).label("name")
            )
            .join(payee, payee.c.id == line.c.payee_id)
            .where(line.c.run_id == run_id, line.c.status == LineStatus.PENDING)
            # In the table's order, so that SQLite visits its rows and index entries in turn, not at random.
            .order_by(line.c.id)
            .subquery("numbered")
        )
        message = literal(prefix) + numbered.c.bank + literal("-") + sa_cast(numbered.c.number, String)
        with staging.bulk_cache(self.connection):
            self.connection.execute(
                update(payment_line)
                .where(payment_line.c.id == numbered.c.id)
                .values(status=LineStatus.EXPORTED.value, message_id=message, creditor=numbered.c.name),
                execution_options=COUNTED,
            )

    def exported(self, run_id: int) -> dict[str, tuple[int, int]]:
        return {
            message_id: (int(count), int(total))
            for message_id, count, total in self.connection.execute(
                select(
                    payment_line.c.message_id,
                    func.count(),
                    sa_cast(func.sum(payment_line.c.amount - payment_line.c.deduction), BigInteger),
                )
                .where(payment_line.c.run_id == run_id, payment_line.c.status == LineStatus.EXPORTED)
                .group_by(payment_line.c.message_id)
            )
        }

    def known_messages(self, message_ids: Sequence[str]) -> set[str]:
        query = select(payment_line.c.message_id).where(payment_line.c.message_id.in_(message_ids)).distinct()
        return {str(m) for m in self.connection.execute(query).scalars()}

    def message_transfers(self, message_id: str | None) -> list[str]:
        held = select(payment_line.c.end_to_end_id).where(payment_line.c.message_id == message_id)
        return [str(e2e) for e2e in self.connection.execute(held).scalars()]

    def apply_answer(self, statuses: pl.DataFrame, *, unit: str = "baisa") -> tuple[str, str] | dict[str, int]:
        """Staged in one temporary table, checked in one statement (no line, a line of another
        message, another amount or account, a backward move) and applied in one."""
        connection = self.connection
        s = staging.load(connection, "answer_staging", statuses, index="end_to_end_id")
        mismatch = _first_mismatch(connection, s, unit)
        if mismatch is not None:
            return mismatch
        moving = and_(payment_line.c.end_to_end_id == s.c.end_to_end_id, payment_line.c.status != s.c.outcome)
        moving = and_(moving, s.c.outcome != Outcome.PENDING.value)
        changed = {
            str(outcome): int(count)
            for outcome, count in connection.execute(
                select(s.c.outcome, func.count()).select_from(s).join(payment_line, moving).group_by(s.c.outcome)
            )
        }
        reason = case((s.c.reason.is_not(None), literal("bank reason ") + s.c.reason), else_=null())
        connection.execute(update(payment_line).where(moving).values(status=s.c.outcome, reason=reason))
        connection.execute(DropTable(s))
        return changed


def _cut(frames: Iterator[pl.DataFrame], size: int) -> Iterator[tuple[str, int, pl.DataFrame]]:
    """Cut a stream of lines in bank and end-to-end order into numbered batches of at most `size`."""
    numbers: dict[str, int] = {}
    rest = pl.DataFrame(schema=LINE_SCHEMA)
    for frame in _then_none(frames):
        pending = rest if frame is None else pl.concat([rest, frame])
        rest = pending.clear()
        start = 0
        for bank, length in pending["bank"].rle().struct.unnest().select("value", "len").iter_rows():
            segment = pending.slice(start, length)
            start += length
            last = start == pending.height and frame is not None  # may go on in the next frame
            while segment.height >= size or (segment.height and not last):
                numbers[bank] = numbers.get(bank, 0) + 1
                batch = segment.head(size)
                yield bank, numbers[bank], _transfers(batch)
                segment = segment.slice(size)
            if segment.height:
                rest = segment


def _by_message(frames: Iterator[pl.DataFrame]) -> Iterator[tuple[str, pl.DataFrame]]:
    """Cut a stream of lines, each message's consecutive, into one frame of transfers per message."""
    rest: pl.DataFrame | None = None
    for frame in _then_none(frames):
        pending = frame if rest is None else rest if frame is None else pl.concat([rest, frame])
        if pending is None:
            return
        start, rest = 0, None
        for message, length in pending["message_id"].rle().struct.unnest().select("value", "len").iter_rows():
            if start + length == pending.height and frame is not None:  # may go on in the next frame
                rest = pending.slice(start)
                break
            yield str(message), _transfers(pending.slice(start, length))
            start += length


def _transfers(lines: pl.DataFrame) -> pl.DataFrame:
    """A file's transfers from its lines, the remittance information written out."""
    remittance = pl.format("Himaya {} {}", pl.col("programme"), pl.col("month").dt.strftime("%Y-%m"))
    return lines.select("end_to_end_id", "amount", "creditor", "iban", remittance.alias("remittance"))


def _first_mismatch(connection: Connection, s: Any, unit: str) -> tuple[str, str] | None:
    line = payment_line
    problem = case(
        (line.c.id.is_(None), literal("matches no payment line")),
        (
            or_(line.c.message_id.is_(None), line.c.message_id != s.c.message_id),
            literal("is not a transfer of message ") + s.c.message_id,
        ),
        (
            and_(s.c.amount.is_not(None), s.c.amount != line.c.amount - line.c.deduction),
            literal("amount differs from the ") + sa_cast(line.c.amount - line.c.deduction, String) + f" {unit} sent",
        ),
        (and_(s.c.iban.is_not(None), s.c.iban != line.c.iban), literal("account differs from the one sent")),
        (
            ~_forward(line.c.status, s.c.outcome),
            literal("is ") + line.c.status + literal(": cannot become ") + s.c.outcome,
        ),
        else_=null(),
    )
    first = connection.execute(
        select(s.c.end_to_end_id, problem.label("problem"))
        .select_from(s.outerjoin(line, line.c.end_to_end_id == s.c.end_to_end_id))
        .where(problem.is_not(None))
        .limit(1)
    ).first()
    return None if first is None else (str(first[0]), str(first[1]))


def _creditor(payee: Any) -> Any:
    """The payee's name as a transfer names them (given and family name in Latin letters)."""
    given = func.nullif(payee.c.given_name_en, "", type_=String)
    family = func.nullif(payee.c.family_name_en, "", type_=String)
    return func.coalesce(given + literal(" ") + family, given, family, literal("Beneficiary"))
