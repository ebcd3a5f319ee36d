"""A bank's answer applied to the lines it answers, forward only, and the runs it settles, in one unit
of work (`actions.reconcile`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from himaya.core.audit import Change, canonical_actor
from himaya.core.faults import checkpoint
from himaya.core.money import OMR, Currency
from himaya.core.periods import Period
from himaya.payroll import rules
from himaya.payroll.bank import BankReply
from himaya.payroll.model import BankAnswerApplied, Outcome, PayrollError, Reconciliation, RunAction, RunMoved
from himaya.payroll.ports import PayrollStore, PayrollUnitOfWork
from himaya.payroll.runs import move

STATUS_SCHEMA = {
    "end_to_end_id": pl.String(),
    "outcome": pl.String(),
    "reason": pl.String(),
    "message_id": pl.String(),
    "amount": pl.Int64(),
    "iban": pl.String(),
}


def reconcile(
    uow: PayrollUnitOfWork,
    reply: BankReply,
    path: Path,
    *,
    actor: str,
    payer_iban: str | None = None,
    currency: Currency = OMR,
) -> Reconciliation:
    """Apply a bank's answer (read from `path`, its amounts in `currency`: the registry's pack's) to
    the lines of the message(s) it answers, forward only. The statuses are staged in one temporary
    table, checked in one statement (no line, a line of another message, another amount or account,
    a backward move: the answer is refused whole and changes nothing) and applied in one; loading an
    answer again changes nothing."""
    actor = canonical_actor(actor)
    if reply.account is not None and payer_iban is not None and reply.account != payer_iban:
        raise PayrollError(
            f"{path.name}: is about account {reply.account}, not the Fund's {payer_iban}; nothing was changed"
        )
    with uow:
        store = uow.payroll
        unknown = sorted(set(reply.message_ids) - store.known_messages(reply.message_ids))
        if unknown:
            raise PayrollError(
                f"{path.name}: refers to message(s) {', '.join(unknown)} that no exported run sent; nothing was changed"
            )
        statuses = _statuses(store, reply, path)
        # An amount is counted in the currency's smallest unit: baisa, or the dinar itself (then named IQD).
        changed = store.apply_answer(statuses, unit=currency.smallest if currency.decimals else currency.code)
        if isinstance(changed, tuple):
            raise PayrollError(f"{path.name}: transfer {changed[0]} {changed[1]}; nothing was changed")
        checkpoint("payroll.reconcile:lines")
        runs = _settle_runs(uow, actor)
        counts = {o.value: int(changed.get(o.value, 0)) for o in Outcome}
        counts[Outcome.PENDING] = int((statuses["outcome"] == Outcome.PENDING).sum())
        unchanged = statuses.height - sum(counts.values())
        uow.audit.record(
            [
                Change(
                    "payroll.reconcile",
                    f"file:{path.name}",
                    None,
                    {"kind": reply.kind, **counts, "unchanged": unchanged},
                )
            ],
            actor=actor,
        )
        result = Reconciliation(
            reply.kind, counts["paid"], counts["rejected"], counts["returned"], counts["pending"], runs, unchanged
        )
        uow.emit(BankAnswerApplied(path.name, result, actor))
        uow.commit()
    return result


def _statuses(store: PayrollStore, reply: BankReply, path: Path) -> pl.DataFrame:
    """The answer's statuses as a frame of `STATUS_SCHEMA`, each with the message it answers; a
    group rejection stands for every transfer the message still holds."""
    default = reply.message_ids[0] if len(reply.message_ids) == 1 else None
    rows = [(s.end_to_end_id, s.outcome, s.reason, s.message_id or default, s.amount, s.iban) for s in reply.statuses]
    if len(rows) == 1 and rows[0][0] == "*":  # the whole message was rejected
        _, outcome, reason, message, _, _ = rows[0]
        rows = [(e2e, outcome, reason, message, None, None) for e2e in store.message_transfers(message)]
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


def _settle_runs(uow: PayrollUnitOfWork, actor: str) -> list[str]:
    """Exported runs with no line still waiting for the bank become reconciled, through the state
    machine, each from the version read (one statement finds them all)."""
    settled = []
    for run in uow.payroll.settled_runs():
        after = rules.check_transition(RunAction.RECONCILE, run.state, own_step=True)
        move(uow.payroll, run, after, {})
        uow.emit(RunMoved(Period.containing(run.period), run.state, after, actor))
        settled.append(str(Period.containing(run.period)))
    return settled
