"""The monthly payroll in the store: enrollment sync, the run, its states, bank files, returns.

Each step is one transaction that either completes or leaves nothing behind, and each can be run
again: a killed process is resumed by running the same command. A unique index allows one line
per person, programme and month, ever, so no step can pay anyone twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.schema import DropTable

from himaya.core.clock import now
from himaya.core.errors import ConflictError, NotFoundError, StaleRecordError
from himaya.core.faults import checkpoint
from himaya.core.periods import Period
from himaya.db import audit, staging
from himaya.db import payroll_reads as reads
from himaya.db.enrollments import enroll, plan_for
from himaya.db.frames import frames_elsewhere, read_frame, stream_frames
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import (
    debt,
    enrollment,
    membership,
    payment_line,
    payroll_run,
    person,
    recovery,
)
from himaya.payroll.bank import BankReply, Payer, PaymentFileWriter
from himaya.payroll.lines import ChildPayee, payment_lines
from himaya.payroll.model import DebtStatus, LineStatus, Outcome, RunAction, RunState
from himaya.payroll.rules import (
    FORWARD,
    RECOVERY_SHARE_DEFAULT,
    allocate_recoveries,
    canonical_actor,
    check_approver,
    check_recovery_share,
    check_transition,
    debtors,
    reissues,
    valid_iban,
)
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack

COUNTED = {"preserve_rowcount": True}
WRITERS = 2  # payment files written and validated at once
Step = Callable[[str], None]


class PayrollError(ConflictError):
    """A payroll action that cannot be carried out as asked; nothing was changed."""


def _entitled(connection: Connection, pack: PolicyPack, period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(entitlements with amounts in baisa and the month, the people of the month with accounts and
    row ids). The registry is read Arrow-native: no caller has written to it in its transaction."""
    people = read_people(connection, people_query(period.end, accounts=True, keys=True), committed=True)
    result = entitlements(people.select(pack.schema.names), pack, pack.parameters, period)
    baisa = pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64)
    return result.select(
        "person_id", "family_id", "programme", pl.lit(period.start).alias("month"), baisa.alias("amount")
    ), people


# --- enrollment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncSummary:
    enrolled: int
    ended: int


def sync_enrollments(engine: Engine, pack: PolicyPack, period: Period, *, actor: str, today: date) -> SyncSummary:
    """Enroll everyone entitled in `period` and end the enrollments of those no longer entitled."""
    actor = canonical_actor(actor)
    with engine.begin() as connection:
        entitled, people = _entitled(connection, pack, period)
        to_enroll, to_end = plan_for(connection, pack, period, entitled, people)
        enroll(connection, to_enroll, today)
        who = person.alias("who")
        if to_end.height:
            s = staging.load(connection, "ending_staging", to_end)
            ending = (
                select(who.c.id)
                .join(s, s.c.person_id == who.c.civil_number)
                .where(s.c.programme == enrollment.c.programme)
            )
            connection.execute(
                update(enrollment)
                .where(enrollment.c.status == "active", enrollment.c.person_id.in_(ending))
                .values(
                    status="ended",
                    end_month=to_end["end_month"][0],
                    reason=to_end["reason"][0],
                    version=enrollment.c.version + 1,
                )
            )
            connection.execute(DropTable(s))
        audit.record(
            connection,
            [
                audit.Change(
                    "enrollment.sync", f"period:{period}", None, {"enrolled": to_enroll.height, "ended": to_end.height}
                )
            ],
            actor=actor,
        )
    return SyncSummary(to_enroll.height, to_end.height)


# --- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    period: Period
    state: str
    lines: int
    amount: int  # baisa payable: the lines that go to the bank (after recoveries), held lines not included
    exceptions: int
    arrears: int
    reissued: int
    recovered: int = 0  # baisa deducted for debts
    held: int = 0  # baisa of the lines held for want of an account (paid once one is registered)


def _run(connection: Connection, period: Period) -> dict[str, Any] | None:
    row = connection.execute(select(payroll_run).where(payroll_run.c.period == period.start)).mappings().first()
    return dict(row) if row else None


def _months_between(first: date, last: date) -> list[Period]:
    months, month = [], Period.containing(first)
    while month.start <= last:
        months.append(month)
        month = month.shifted(1)
    return months


def calculate(
    engine: Engine,
    pack: PolicyPack,
    period: Period,
    *,
    actor: str,
    child_payee: ChildPayee = ChildPayee.CHILD_FIRST,
    recovery_share: float = RECOVERY_SHARE_DEFAULT,
    step: Step | None = None,
) -> RunSummary:
    """Calculate (or recalculate, until submitted) the run of `period`: regular lines for active
    enrollments, arrears for months owed since go-live, and the re-issue of rejected lines."""
    tell = step or (lambda _: None)
    actor = canonical_actor(actor)
    check_recovery_share(recovery_share)
    with engine.begin() as connection:
        existing = _run(connection, period)
        if existing and existing["state"] != "calculated":
            raise PayrollError(f"the run of {period} is {existing['state']}: it can no longer be calculated")
        stamp = now()
        if existing is None:
            run_id = connection.execute(
                insert(payroll_run)
                .values(period=period.start, state="calculated", created_by=actor, created_at=stamp, version=1)
                .returning(payroll_run.c.id)
            ).scalar_one()
        else:
            run_id = existing["id"]
            # Recalculating replaces what the last calculation made; lines re-issued into this run stay.
            _undo_recoveries(connection, run_id)
            kept = payment_line.c.reason.is_not(None) & payment_line.c.reason.like("re-issued%")
            connection.execute(delete(payment_line).where(payment_line.c.run_id == run_id, ~kept))
        go_live = connection.execute(select(func.min(payroll_run.c.period))).scalar_one()
        tell("entitlements")
        entitled, people = _entitled(connection, pack, period)
        active = _active_enrollments(connection)
        regular = entitled.join(active, on=["person_id", "programme"]).filter(
            (pl.col("start_month") <= pl.col("month"))
            & (pl.col("end_month").is_null() | (pl.col("end_month") >= pl.col("month")))
        )
        lines = [
            payment_lines(
                regular.select(entitled.columns),
                people,
                kind="regular",
                child_payee=child_payee,
                adult_from=_adult_from(period, pack.age_of_majority),
                codes=pack.programme_codes,
            )
        ]
        tell("arrears")
        known = [people.select("person_id", "person_key")]  # row ids of beneficiaries and payees
        owed = active.filter(pl.col("start_month") < period.start)
        if owed.height:
            first = max(owed["start_month"].min(), go_live)
            for month in _months_between(first, period.shifted(-1).start):
                # Only a month with enrolled people still unpaid needs its entitlements computed:
                # in a steady month (everyone paid) the registry is not read a second time.
                unpaid = _unpaid(connection, month, before=period.start)
                if not unpaid.height:
                    continue
                then, then_people = _entitled(connection, pack, month)
                known.append(then_people.select("person_id", "person_key"))
                missing = then.join(unpaid, on=["person_id", "programme"])
                if missing.height:
                    # Paid to today's account: the payee's account then may since have changed.
                    lines.append(
                        payment_lines(
                            missing.select(then.columns),
                            people,
                            kind="arrears",
                            child_payee=child_payee,
                            adult_from=_adult_from(period, pack.age_of_majority),
                            codes=pack.programme_codes,
                        )
                    )
        keys = pl.concat(known).unique("person_id") if len(known) > 1 else known[0]
        frame = (
            pl.concat(lines)
            .join(keys, on="person_id")
            .join(keys.rename({"person_id": "payee", "person_key": "payee_key"}), on="payee")
            # In the order of the unique index's first column: SQLite then inserts into it in turn.
            .sort("person_key", "programme", "month")
        )
        tell("lines")
        checkpoint("payroll.run:entitlements")
        with staging.bulk_cache(connection):
            _insert_lines(connection, run_id, frame.select(LINE_COLUMNS))
        checkpoint("payroll.run:lines")
        tell("re-issue")
        _reissue(connection, run_id, people)  # counted in the summary by their reason
        tell("recoveries")
        _record_debts(connection, stamp)
        _recover(connection, run_id, recovery_share)
        summary = _summary(connection, run_id, period)
        checkpoint("payroll.run:before-commit")
        audit.record(
            connection, [audit.Change("payroll.calculate", f"run:{period}", None, _plain(summary))], actor=actor
        )
        return summary


LINE_COLUMNS = [
    "person_key",
    "programme",
    "month",
    "kind",
    "amount",
    "payee_key",
    "iban",
    "bank_code",
    "end_to_end_id",
    "status",
    "reason",
]


def _insert_lines(connection: Connection, run_id: int, lines: pl.DataFrame) -> None:
    """Insert the run's lines (`LINE_COLUMNS`, beneficiary and payee by row id) from a staging
    table (COPY on PostgreSQL) in one statement.

    Never a second line for a person, programme and month: lines already in any run are left
    out (through the unique index), and the index refuses what might slip through."""
    s = staging.load(connection, "payroll_staging", lines)
    # Left out first, then inserted: a NOT EXISTS in the INSERT would probe the table it fills,
    # which PostgreSQL, planning for the empty table of a first run, scans whole for every line.
    connection.execute(
        delete(s).where(
            select(payment_line.c.id)
            .where(
                payment_line.c.person_id == s.c.person_key,
                payment_line.c.programme == s.c.programme,
                payment_line.c.month == s.c.month,
            )
            .exists()
        )
    )
    targets = ["run_id", *({"person_key": "person_id", "payee_key": "payee_id"}.get(c, c) for c in LINE_COLUMNS)]
    connection.execute(
        insert(payment_line).from_select(targets, select(literal(run_id), *(s.c[c] for c in LINE_COLUMNS)))
    )
    connection.execute(DropTable(s))


def _undo_recoveries(connection: Connection, run_id: int) -> None:
    """Before a run is calculated again, give back what its lines recovered (one statement each)."""
    lines = select(payment_line.c.id).where(payment_line.c.run_id == run_id)
    taken = (
        select(recovery.c.debt_id, func.sum(recovery.c.amount).label("amount"))
        .where(recovery.c.line_id.in_(lines))
        .group_by(recovery.c.debt_id)
        .subquery("taken")
    )
    connection.execute(
        update(debt)
        .where(debt.c.id == taken.c.debt_id)
        .values(recovered=debt.c.recovered - taken.c.amount, status=DebtStatus.OPEN.value)
    )
    connection.execute(delete(recovery).where(recovery.c.line_id.in_(lines)))


def _record_debts(connection: Connection, stamp: Any) -> int:
    """Lines sent for a month the beneficiary did not live to (a death recorded late) become debts,
    owed by whom `rules.debtors` says; written in one statement."""
    beneficiary, payee, head_person = person.alias("beneficiary"), person.alias("payee"), person.alias("head")
    head = membership.alias("head_membership")
    rows = connection.execute(
        select(
            payment_line.c.id,
            payment_line.c.amount - payment_line.c.deduction,
            beneficiary.c.civil_number,
            beneficiary.c.death_date,
            payment_line.c.month,
            payee.c.id,
            payee.c.death_date,
            head_person.c.id,
            head_person.c.death_date,
        )
        .join(beneficiary, beneficiary.c.id == payment_line.c.person_id)
        .join(payee, payee.c.id == payment_line.c.payee_id)
        .outerjoin(membership, (membership.c.person_id == beneficiary.c.id) & (membership.c.valid_to.is_(None)))
        .outerjoin(
            head,
            (head.c.family_id == membership.c.family_id) & (head.c.relationship == "head") & head.c.valid_to.is_(None),
        )
        .outerjoin(head_person, head_person.c.id == head.c.person_id)
        .where(
            payment_line.c.status.in_((LineStatus.EXPORTED, LineStatus.PAID)),
            beneficiary.c.death_date.is_not(None),
            beneficiary.c.death_date < payment_line.c.month,
            ~select(debt.c.id).where(debt.c.line_id == payment_line.c.id).exists(),
        )
    ).all()
    if not rows:
        return 0
    names = ["line_id", "amount", "civil", "died", "month", "payee_id", "payee_died", "head_id", "head_died"]
    types = [pl.Int64, pl.Int64, pl.String, pl.Date, pl.Date, pl.Int64, pl.Date, pl.Int64, pl.Date]
    overpaid = pl.DataFrame(rows, schema=dict(zip(names, types, strict=True)), orient="row")
    reason = pl.format("paid for {} to {}, who died on {}", pl.col("month").dt.strftime("%Y-%m"), "civil", "died")
    debts = overpaid.select("line_id", "amount", reason.alias("reason")).join(debtors(overpaid), on="line_id")
    connection.execute(
        insert(debt),
        [
            {**row, "person_id": row.pop("debtor"), "recovered": 0, "created_at": stamp}
            for row in debts.iter_rows(named=True)
        ],
    )
    return debts.height


def _recover(connection: Connection, run_id: int, share: float) -> int:
    """Deduct open debts from the debtor's pending lines in this run as `rules.allocate_recoveries`
    decides: one read of the debts, one of the lines, then one statement per table. Returns the
    baisa recovered."""
    fraction = check_recovery_share(share)
    owed = read_frame(
        connection,
        select(
            debt.c.id.label("debt_id"),
            debt.c.person_id.label("debtor"),
            (debt.c.amount - debt.c.recovered).label("outstanding"),
        ).where(debt.c.status == DebtStatus.OPEN, debt.c.amount > debt.c.recovered),
        {"debt_id": pl.Int64(), "debtor": pl.Int64(), "outstanding": pl.Int64()},
    )
    if not owed.height:
        return 0
    debtors_ = select(debt.c.person_id).where(debt.c.status == DebtStatus.OPEN)
    lines = read_frame(
        connection,
        select(payment_line.c.id.label("line_id"), payment_line.c.payee_id.label("payee"), payment_line.c.amount).where(
            payment_line.c.run_id == run_id,
            payment_line.c.status == LineStatus.PENDING,
            payment_line.c.payee_id.in_(debtors_),
        ),
        {"line_id": pl.Int64(), "payee": pl.Int64(), "amount": pl.Int64()},
    )
    taken = allocate_recoveries(owed, lines, fraction)
    if not taken.height:
        return 0
    s = staging.load(connection, "recovery_staging", taken)
    connection.execute(
        insert(recovery).from_select(["debt_id", "line_id", "amount"], select(s.c.debt_id, s.c.line_id, s.c.amount))
    )
    by_debt = select(s.c.debt_id, func.sum(s.c.amount).label("amount")).group_by(s.c.debt_id).subquery("by_debt")
    settled = debt.c.recovered + by_debt.c.amount >= debt.c.amount
    connection.execute(
        update(debt)
        .where(debt.c.id == by_debt.c.debt_id)
        .values(
            recovered=debt.c.recovered + by_debt.c.amount,
            status=case((settled, literal(DebtStatus.SETTLED.value)), else_=literal(DebtStatus.OPEN.value)),
        )
    )
    by_line = select(s.c.line_id, func.sum(s.c.amount).label("amount")).group_by(s.c.line_id).subquery("by_line")
    connection.execute(
        update(payment_line).where(payment_line.c.id == by_line.c.line_id).values(deduction=by_line.c.amount)
    )
    connection.execute(DropTable(s))
    return int(taken["amount"].sum())


def _adult_from(period: Period, age: int) -> date:
    """Born on or before this day: of age (the pack's age of majority) on the first day of the month."""
    return period.start.replace(year=period.start.year - age)


def _reissue(connection: Connection, run_id: int, people: pl.DataFrame) -> int:
    """Rejected or returned lines whose payee now has another account, and lines held for want of
    an account whose payee now has one (`rules.reissues`), go out in this run: one statement moves
    them all. The line stays the line of its month: it is paid once."""
    waiting = read_frame(
        connection,
        select(payment_line.c.id.label("line_id"), person.c.civil_number.label("payee"), payment_line.c.iban)
        .join(person, person.c.id == payment_line.c.payee_id)
        .where(payment_line.c.status.in_((LineStatus.REJECTED, LineStatus.RETURNED, LineStatus.EXCEPTION))),
        {"line_id": pl.Int64(), "payee": pl.String(), "iban": pl.String()},
    )
    if not waiting.height:
        return 0
    moving = reissues(waiting, people.select("person_id", "iban", "bank_code"))
    if not moving.height:
        return 0
    s = staging.load(connection, "reissue_staging", moving)
    connection.execute(
        update(payment_line)
        .where(payment_line.c.id == s.c.line_id)
        .values(
            run_id=run_id,
            iban=s.c.iban,
            bank_code=s.c.bank_code,
            status=LineStatus.PENDING.value,
            reason=s.c.reason,
            message_id=None,
        )
    )
    connection.execute(DropTable(s))
    return moving.height


def _active_enrollments(connection: Connection) -> pl.DataFrame:
    """Every enrollment of a person not merged into another (the run filters them by month).
    Read Arrow-native: the run's transaction does not write enrollments."""
    return read_frame(
        connection,
        select(
            person.c.civil_number.label("person_id"),
            enrollment.c.programme,
            enrollment.c.start_month,
            enrollment.c.end_month,
        )
        .join(person, person.c.id == enrollment.c.person_id)
        .where(person.c.merged_into.is_(None)),
        {"person_id": pl.String(), "programme": pl.String(), "start_month": pl.Date(), "end_month": pl.Date()},
        committed=True,
    )


def _unpaid(connection: Connection, month: Period, *, before: date) -> pl.DataFrame:
    """(person_id, programme) of the enrollments started before `before` and in force in `month`
    that have no line for `month` in any run (read in the caller's transaction, which may have
    just removed lines of a run it calculates again)."""
    rows = connection.execute(
        select(person.c.civil_number, enrollment.c.programme)
        .join(person, person.c.id == enrollment.c.person_id)
        .where(
            person.c.merged_into.is_(None),
            enrollment.c.start_month < before,
            enrollment.c.start_month <= month.start,
            or_(enrollment.c.end_month.is_(None), enrollment.c.end_month >= month.start),
            ~select(payment_line.c.id)
            .where(
                payment_line.c.person_id == enrollment.c.person_id,
                payment_line.c.programme == enrollment.c.programme,
                payment_line.c.month == month.start,
            )
            .exists(),
        )
    ).all()
    return pl.DataFrame(rows, schema={"person_id": pl.String, "programme": pl.String}, orient="row")


def _summary(connection: Connection, run_id: int, period: Period) -> RunSummary:
    state = connection.execute(select(payroll_run.c.state).where(payroll_run.c.id == run_id)).scalar_one()
    held = payment_line.c.status == LineStatus.EXCEPTION
    due = payment_line.c.amount - payment_line.c.deduction
    row = connection.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((held, 0), else_=due)), 0),
            func.coalesce(func.sum(case((held, 1), else_=0)), 0),
            func.coalesce(func.sum(case((payment_line.c.kind == "arrears", 1), else_=0)), 0),
            func.coalesce(func.sum(case((payment_line.c.reason.like("re-issued%"), 1), else_=0)), 0),
            func.coalesce(func.sum(payment_line.c.deduction), 0),
            func.coalesce(func.sum(case((held, due), else_=0)), 0),
        ).where(payment_line.c.run_id == run_id)
    ).one()
    return RunSummary(period, state, *(int(v) for v in row))


def _plain(summary: RunSummary) -> dict[str, Any]:
    return {
        "state": summary.state,
        "lines": summary.lines,
        "amount": summary.amount,
        "exceptions": summary.exceptions,
        "arrears": summary.arrears,
        "reissued": summary.reissued,
        "recovered": summary.recovered,
        "held": summary.held,
    }


def transition(engine: Engine, period: Period, action: str, *, actor: str) -> RunSummary:
    """submit, approve (by someone who neither calculated nor submitted it) or close the run of
    `period`. The run moves only from the version read: if another user moved it meanwhile, this
    one is refused (StaleRecordError) and nothing is written."""
    with engine.begin() as connection:
        run = _run(connection, period)
        if run is None:
            raise NotFoundError(f"there is no run for {period}: run `himaya payroll run --period {period}` first")
        after = check_transition(action, run["state"])
        who = canonical_actor(actor)
        values: dict[str, Any] = {}
        if action == RunAction.SUBMIT:
            values |= {"submitted_by": who, "submitted_at": now()}
        if action == RunAction.APPROVE:
            check_approver(who, created_by=run["created_by"], submitted_by=run["submitted_by"])
            values |= {"approved_by": who, "approved_at": now(), "seal": _seal(connection, run["id"])}
        if action == RunAction.CLOSE:  # a closed run's figures are frozen
            values |= {"figures": json.dumps(_figures(connection, [run["id"]]).get(run["id"], _NO_FIGURES))}
        # Closing needs a reconciled run, and a run is reconciled only once no line waits for the bank.
        _move(connection, run, after, values)
        sealed = {"seal": values["seal"]} if "seal" in values else {}
        audit.record(
            connection,
            [
                audit.Change(
                    f"payroll.{action}", f"run:{period}", {"state": run["state"]}, {"state": after.value, **sealed}
                )
            ],
            actor=who,
        )
        return _summary(connection, run["id"], period)


SEALED = (
    "end_to_end_id",
    "person_id",
    "programme",
    "month",
    "kind",
    "amount",
    "deduction",
    "payee_id",
    "iban",
    "bank_code",
    "status",
)


def _seal(connection: Connection, run_id: int) -> str:
    """SHA-256 of the run's lines as they are now (every field a transfer is made of), in end-to-end
    order: written at approval (and into the audit chain), checked again before the export."""
    types = {c: pl.String() for c in SEALED} | {"person_id": pl.Int64(), "month": pl.Date(), "amount": pl.Int64()}
    types |= {"deduction": pl.Int64(), "payee_id": pl.Int64()}
    lines = read_frame(
        connection,
        select(*(payment_line.c[c] for c in SEALED))
        .where(payment_line.c.run_id == run_id)
        .order_by(payment_line.c.end_to_end_id),
        types,
        committed=True,  # both callers seal before they write: the lines may be read Arrow-native
    )
    return hashlib.sha256(lines.write_csv().encode()).hexdigest()


def _move(connection: Connection, run: dict[str, Any], after: RunState, values: dict[str, Any]) -> None:
    """Move the run to `after` from the version read, or refuse if it has moved since."""
    moved = connection.execute(
        update(payroll_run)
        .where(payroll_run.c.id == run["id"], payroll_run.c.version == run["version"])
        .values({"state": after.value, "version": payroll_run.c.version + 1, **values}),
        execution_options=COUNTED,
    ).rowcount
    if moved != 1:
        raise StaleRecordError(
            f"the run of {Period.containing(run['period'])} changed while this action ran "
            f"(it was {run['state']}, version {run['version']}): read it again; nothing was changed"
        )


# --- bank files -----------------------------------------------------------------------------


def export(
    engine: Engine,
    period: Period,
    folder: Path,
    *,
    actor: str,
    payer: Payer,
    execution: date,
    writer: PaymentFileWriter,
    batch_size: int = 50_000,
) -> list[Path]:
    """Write the approved run's pending lines as payment files with `writer` (ISO 20022
    pain.001.001.09 in production), one or more per payee bank (at most `batch_size` transfers
    each), and mark the run exported.

    Message ids and file names follow from the run, the bank and the batch number, so exporting
    again after a crash writes the same files.

    The lines are read once, in one statement sorted by bank and end-to-end id, and cut into
    batches as they stream in; the batches are written (and validated) by `WRITERS` threads
    while the next ones are read (Polars, file writes and lxml's validation release Python's
    lock), so at most a few batches are in memory. The lines are marked exported in one statement
    that numbers them in the same order (on SQLite while the files are written, the lines being
    read by another process), and what it marked is checked against what the files hold.

    The export owns its folder: the files are written into a temporary folder beside it and moved
    into place only once all are written and checked, just before the commit; a folder holding
    other files of this run (another attempt, another batch size) is refused. An invalid payer
    account, or lines that differ from those sealed at approval, are refused before any file."""
    if not valid_iban(payer.iban):
        raise PayrollError(f"the payer account {payer.iban!r} is not a valid IBAN (check digits); nothing was exported")
    with engine.begin() as connection:
        run = _run(connection, period)
        if run is None:
            raise NotFoundError(f"there is no run for {period}")
        check_transition(RunAction.EXPORT, run["state"], own_step=True)
        if run["seal"] is not None and _seal(connection, run["id"]) != run["seal"]:
            raise PayrollError(
                f"the lines of the run of {period} differ from those approved (seal {run['seal'][:12]}…): "
                "nothing was exported; have the run calculated and approved again"
            )
        prefix = f"HIMAYA-{period.year}{period.month:02d}-"
        folder.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{prefix}", suffix=".partial", dir=folder.parent))
        try:
            files = _write_and_mark(
                connection, run, staged, folder, prefix, payer, execution, writer, batch_size, actor
            )
            _publish(staged, folder, prefix)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return files


def _write_and_mark(
    connection: Connection,
    run: dict[str, Any],
    staged: Path,
    folder: Path,
    prefix: str,
    payer: Payer,
    execution: date,
    writer: PaymentFileWriter,
    batch_size: int,
    actor: str,
) -> list[Path]:
    """Write the files into `staged`, mark the lines exported, check both agree, move the run on
    and audit it (the body of `export`); returns the files' final paths in `folder`."""
    period = Period.containing(run["period"])
    # The files' creation time is the approval's, so that exporting again writes the same bytes.
    created = run["approved_at"]
    files: list[Path] = []
    written: dict[str, tuple[int, int]] = {}  # message id: (transfers, baisa)

    def write_files() -> None:
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="payment-file") as pool:
            writing: deque[Future[None]] = deque()
            for bank, number, transfers in _batches(connection, run["id"], batch_size):
                message_id = f"{prefix}{bank}-{number}"
                path = staged / f"{message_id}.xml"
                total = int(transfers["amount"].sum())
                while len(writing) >= WRITERS:  # memory stays at a few batches
                    writing.popleft().result()
                    checkpoint("payroll.export:file")
                writing.append(
                    pool.submit(
                        writer,
                        path,
                        message_id=message_id,
                        created=created,
                        payer=payer,
                        execution=execution,
                        count=transfers.height,
                        total=total,
                        transfers=transfers,
                    )
                )
                written[message_id] = (transfers.height, total)
                files.append(folder / path.name)
            while writing:
                writing.popleft().result()
                checkpoint("payroll.export:file")

    if frames_elsewhere(connection):
        # The lines come from another process (a snapshot of what is committed), so this
        # connection marks them meanwhile; a file that fails stops the export before it commits.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payment-files") as files_thread:
            writing_files = files_thread.submit(write_files)
            try:
                with staging.bulk_cache(connection):
                    _mark_exported(connection, run["id"], prefix, batch_size)
            finally:
                writing_files.result()
    else:
        write_files()
        with staging.bulk_cache(connection):
            _mark_exported(connection, run["id"], prefix, batch_size)
    _check_exported(connection, run["id"], written)
    checkpoint("payroll.export:before-commit")
    _move(connection, run, RunState.EXPORTED, {"exported_at": now()})
    audit.record(
        connection,
        [
            audit.Change(
                "payroll.export",
                f"run:{period}",
                {"state": "approved"},
                {"state": "exported", "files": [f.name for f in files]},
            )
        ],
        actor=canonical_actor(actor),
    )
    return files


def _publish(staged: Path, folder: Path, prefix: str) -> None:
    """Move the complete set of files from `staged` into `folder`: the whole folder at once if it
    does not exist yet. Files of this run already there must be these very files (an export
    killed after its files were moved, run again); any other is refused, so that no folder ever
    holds two attempts at paying the same people."""
    names = {path.name for path in staged.iterdir()}
    if folder.exists():
        others = sorted(
            path.name
            for path in folder.glob(f"{prefix}*.xml")
            if path.name not in names or path.read_bytes() != (staged / path.name).read_bytes()
        )
        if others:
            raise PayrollError(
                f"{folder} holds files of another export of this run ({', '.join(others[:5])}"
                f"{', …' if len(others) > 5 else ''}): nothing was exported; if they were never sent, "
                "remove them and export again"
            )
        for name in sorted(names):
            os.replace(staged / name, folder / name)
    else:
        os.rename(staged, folder)


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


def _batches(connection: Connection, run_id: int, size: int) -> Iterator[tuple[str, int, pl.DataFrame]]:
    """(bank, batch number from 1, transfers as a frame of `TRANSFER_SCHEMA`) of the run's pending
    lines, in bank and end-to-end order (the same on every database, run after run), at most
    `size` transfers a batch, read as a stream of frames (at most two batches in memory)."""
    payee = person.alias("payee")
    given = func.nullif(payee.c.given_name_en, "", type_=String)
    family = func.nullif(payee.c.family_name_en, "", type_=String)
    query = (
        select(
            _bank().label("bank"),
            payment_line.c.end_to_end_id,
            (payment_line.c.amount - payment_line.c.deduction).label("amount"),
            func.coalesce(given + literal(" ") + family, given, family, literal("Beneficiary")).label("creditor"),
            func.coalesce(payment_line.c.iban, literal("")).label("iban"),  # a pending line has one
            payment_line.c.programme,
            payment_line.c.month,
        )
        .join(payee, payee.c.id == payment_line.c.payee_id)
        .where(payment_line.c.run_id == run_id, payment_line.c.status == "pending")
        .order_by(_bank(), payment_line.c.end_to_end_id)
    )
    # The export has written nothing yet when it reads the lines: they may be read Arrow-native.
    frames = stream_frames(connection, query, LINE_SCHEMA, rows=size, committed=True)
    remittance = pl.format("Himaya {} {}", pl.col("programme"), pl.col("month").dt.strftime("%Y-%m"))
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
                yield (
                    bank,
                    numbers[bank],
                    batch.select("end_to_end_id", "amount", "creditor", "iban", remittance.alias("remittance")),
                )
                segment = segment.slice(size)
            if segment.height:
                rest = segment


def _then_none(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame | None]:
    yield from frames
    yield None


def _mark_exported(connection: Connection, run_id: int, prefix: str, size: int) -> None:
    """Mark the pending lines exported, each with the message id of its file: one statement numbers
    them by bank and end-to-end id as `_batches` cuts them."""
    line = payment_line.alias("line")
    bank = func.coalesce(line.c.bank_code, literal("None"))  # as `_bank()`
    order = func.row_number().over(partition_by=bank, order_by=line.c.end_to_end_id)
    numbered = (
        select(line.c.id, bank.label("bank"), ((order - 1) // size + 1).label("number"))
        .where(line.c.run_id == run_id, line.c.status == "pending")
        # In the table's order, so that SQLite visits its rows and index entries in turn, not at random.
        .order_by(line.c.id)
        .subquery("numbered")
    )
    message = literal(prefix) + numbered.c.bank + literal("-") + sa_cast(numbered.c.number, String)
    connection.execute(
        update(payment_line).where(payment_line.c.id == numbered.c.id).values(status="exported", message_id=message),
        execution_options=COUNTED,
    )


def _check_exported(connection: Connection, run_id: int, written: dict[str, tuple[int, int]]) -> None:
    """Refuse the export if the lines marked exported, message by message, are not what the files hold."""
    marked = {
        message_id: (int(count), int(total))
        for message_id, count, total in connection.execute(
            select(
                payment_line.c.message_id,
                func.count(),
                sa_cast(func.sum(payment_line.c.amount - payment_line.c.deduction), BigInteger),
            )
            .where(payment_line.c.run_id == run_id, payment_line.c.status == "exported")
            .group_by(payment_line.c.message_id)
        )
    }
    if marked != written:
        raise PayrollError("the lines marked exported do not match the files written; nothing was changed")


@dataclass(frozen=True)
class Reconciliation:
    kind: str
    paid: int  # lines that became paid by this answer (likewise rejected and returned)
    rejected: int
    returned: int
    pending: int  # transfers the bank still works on
    runs: list[str]
    unchanged: int = 0  # transfers already in the state the answer gives (the answer loaded again)


STATUS_SCHEMA = {
    "end_to_end_id": pl.String(),
    "outcome": pl.String(),
    "reason": pl.String(),
    "message_id": pl.String(),
    "amount": pl.Int64(),
    "iban": pl.String(),
}


def _statuses(connection: Connection, reply: BankReply, path: Path) -> pl.DataFrame:
    """The answer's statuses as a frame of `STATUS_SCHEMA`, each with the message it answers; a
    group rejection stands for every transfer the message still holds."""
    default = reply.message_ids[0] if len(reply.message_ids) == 1 else None
    rows = [(s.end_to_end_id, s.outcome, s.reason, s.message_id or default, s.amount, s.iban) for s in reply.statuses]
    if len(rows) == 1 and rows[0][0] == "*":  # the whole message was rejected
        _, outcome, reason, message, _, _ = rows[0]
        held = select(payment_line.c.end_to_end_id).where(payment_line.c.message_id == message)
        rows = [(e2e, outcome, reason, message, None, None) for e2e in connection.execute(held).scalars()]
    frame = pl.DataFrame(rows, schema=STATUS_SCHEMA, orient="row")
    unnamed = frame.filter(pl.col("message_id").is_null())
    if unnamed.height:
        raise PayrollError(
            f"{path.name}: transfer {unnamed['end_to_end_id'][0]} names no message it answers; nothing was changed"
        )
    twice = frame.filter(pl.col("end_to_end_id").is_duplicated())
    if twice.height:
        raise PayrollError(
            f"{path.name}: transfer {twice['end_to_end_id'][0]} is answered twice in one file; nothing was changed"
        )
    return frame


def _forward(line_status: Any, outcome: Any) -> Any:
    """SQL: the answer's outcome is a move `rules.FORWARD` allows from the line's status."""
    return or_(
        *(and_(line_status == before, outcome.in_([o.value for o in after])) for before, after in FORWARD.items())
    )


def _refuse_mismatches(connection: Connection, s: Any, path: Path) -> None:
    """Refuse the answer, naming the file and the first transfer, if any status names no line, a
    line of another message, another amount or account, or moves a line backwards."""
    line = payment_line
    problem = case(
        (line.c.id.is_(None), literal("matches no payment line")),
        (
            or_(line.c.message_id.is_(None), line.c.message_id != s.c.message_id),
            literal("is not a transfer of message ") + s.c.message_id,
        ),
        (
            and_(s.c.amount.is_not(None), s.c.amount != line.c.amount - line.c.deduction),
            literal("amount differs from the ") + sa_cast(line.c.amount - line.c.deduction, String) + " baisa sent",
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
    if first is not None:
        raise PayrollError(f"{path.name}: transfer {first[0]} {first[1]}; nothing was changed")


def reconcile(
    engine: Engine, reply: BankReply, path: Path, *, actor: str, payer_iban: str | None = None
) -> Reconciliation:
    """Apply a bank's answer (read from `path`) to the lines of the message(s) it answers, forward
    only. The statuses are staged in one temporary table, checked in one statement (no line, a
    line of another message, another amount or account, a backward move: the answer is refused
    whole and changes nothing) and applied in one; loading an answer again changes nothing."""
    actor = canonical_actor(actor)
    if reply.account is not None and payer_iban is not None and reply.account != payer_iban:
        raise PayrollError(
            f"{path.name}: is about account {reply.account}, not the Fund's {payer_iban}; nothing was changed"
        )
    with engine.begin() as connection:
        known = set(
            connection.execute(
                select(payment_line.c.message_id).where(payment_line.c.message_id.in_(reply.message_ids)).distinct()
            ).scalars()
        )
        unknown = sorted(set(reply.message_ids) - known)
        if unknown:
            raise PayrollError(
                f"{path.name}: refers to message(s) {', '.join(unknown)} that no exported run sent; nothing was changed"
            )
        statuses = _statuses(connection, reply, path)
        s = staging.load(connection, "answer_staging", statuses, index="end_to_end_id")
        _refuse_mismatches(connection, s, path)
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
        checkpoint("payroll.reconcile:lines")
        runs = _settle_runs(connection)
        counts = {o.value: int(changed.get(o.value, 0)) for o in Outcome}
        counts[Outcome.PENDING] = int((statuses["outcome"] == Outcome.PENDING).sum())
        unchanged = statuses.height - sum(counts.values())
        audit.record(
            connection,
            [
                audit.Change(
                    "payroll.reconcile",
                    f"file:{path.name}",
                    None,
                    {"kind": reply.kind, **counts, "unchanged": unchanged},
                )
            ],
            actor=actor,
        )
    return Reconciliation(
        reply.kind, counts["paid"], counts["rejected"], counts["returned"], counts["pending"], runs, unchanged
    )


def _settle_runs(connection: Connection) -> list[str]:
    """Exported runs with no line still waiting for the bank become reconciled, through the state
    machine, each from the version read (one statement finds them all)."""
    waiting = (
        select(payment_line.c.id)
        .where(payment_line.c.run_id == payroll_run.c.id, payment_line.c.status == LineStatus.EXPORTED)
        .exists()
    )
    settled = []
    for run in connection.execute(
        select(payroll_run).where(payroll_run.c.state == RunState.EXPORTED, ~waiting).order_by(payroll_run.c.period)
    ).mappings():
        after = check_transition(RunAction.RECONCILE, run["state"], own_step=True)
        _move(connection, dict(run), after, {})
        settled.append(str(Period.containing(run["period"])))
    return settled


# --- what a finance officer reads -----------------------------------------------------------


STATUS_COUNTS = [s.value for s in LineStatus]
STATUS_COLUMNS = ["lines", "payable", "held", "paid_amount", *STATUS_COUNTS]
_NO_FIGURES = dict.fromkeys(STATUS_COLUMNS, 0)


def _figures(connection: Connection, run_ids: Any) -> dict[int, dict[str, int]]:
    """Per run: lines, payable, held and paid amounts (baisa), and lines by status."""
    line = payment_line
    due = line.c.amount - line.c.deduction

    def total(expression: Any) -> Any:
        return sa_cast(func.coalesce(func.sum(expression), 0), BigInteger)

    rows = connection.execute(
        select(
            line.c.run_id,
            func.count(),
            total(case((line.c.status == LineStatus.EXCEPTION, 0), else_=due)),
            total(case((line.c.status == LineStatus.EXCEPTION, due), else_=0)),
            total(case((line.c.status == LineStatus.PAID, due), else_=0)),
            *(total(case((line.c.status == s, 1), else_=0)) for s in STATUS_COUNTS),
        )
        .where(line.c.run_id.in_(run_ids))
        .group_by(line.c.run_id)
    ).all()
    return {int(row[0]): dict(zip(STATUS_COLUMNS, (int(v) for v in row[1:]), strict=True)) for row in rows}


def status(engine: Engine) -> pl.DataFrame:
    """Every run: period, state, who did what, the amounts payable, held (no account) and paid, and
    lines by status. A closed run shows the figures it was closed with, whatever happens later to
    its lines (a reject re-issued in a later month moves to that month's run)."""
    with engine.connect() as connection:
        runs = connection.execute(
            select(
                payroll_run.c.id,
                payroll_run.c.period,
                payroll_run.c.state,
                payroll_run.c.submitted_by,
                payroll_run.c.approved_by,
                payroll_run.c.figures,
            ).order_by(payroll_run.c.period)
        ).all()
        live = _figures(connection, select(payroll_run.c.id).where(payroll_run.c.figures.is_(None)))
    rows = [
        (period, state, submitted, approved, *(json.loads(frozen) if frozen else live.get(i, _NO_FIGURES)).values())
        for i, period, state, submitted, approved, frozen in runs
    ]
    types = {"period": pl.Date, "state": pl.String, "submitted_by": pl.String, "approved_by": pl.String}
    schema = types | {c: pl.Int64 for c in STATUS_COLUMNS}
    return pl.DataFrame(rows, schema=schema, orient="row")


# The store's reads of people, scoped to the reader's branches (db/payroll_reads.py).
report, diff, held, with_totals = reads.report, reads.diff, reads.held, reads.with_totals
