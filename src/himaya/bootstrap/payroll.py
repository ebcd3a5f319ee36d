"""The payroll's and the enrollment's actions on the store, for the CLI, the API and the demo: each
call opens a unit of work on `engine` (its events wired as `bootstrap.unit_of_work` wires them) and
runs one action in it (the reads of people, report, diff and held, too: scoped to the principal's
branches in the query)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from himaya.cases import stops
from himaya.core.access import Principal
from himaya.core.money import OMR, Currency
from himaya.core.periods import Period
from himaya.db.uow import SqlUnitOfWork
from himaya.enrollment import actions as enrollment_actions
from himaya.enrollment.model import SyncSummary
from himaya.payroll import actions
from himaya.payroll.actions import Step
from himaya.payroll.bank import BankReply, Payer, PaymentFileWriter
from himaya.payroll.lines import ChildPayee
from himaya.payroll.model import STATUS_COUNTS, PayrollError, Reconciliation, RunSummary
from himaya.payroll.rules import RECOVERY_SHARE_DEFAULT, with_totals
from himaya.policy.pack import PolicyPack

__all__ = [
    "STATUS_COUNTS",
    "PayrollError",
    "Reconciliation",
    "RunSummary",
    "SyncSummary",
    "calculate",
    "diff",
    "export",
    "export_again",
    "held",
    "reconcile",
    "report",
    "status",
    "sync_enrollments",
    "transition",
    "with_totals",
]


def _uow(engine: Engine) -> SqlUnitOfWork:
    from himaya.bootstrap import unit_of_work  # noqa: PLC0415  (the package imports this module first)

    return unit_of_work(engine)


def sync_enrollments(engine: Engine, pack: PolicyPack, period: Period, *, actor: str, today: date) -> SyncSummary:
    """The month's sync; each enrollment it ends is recorded as a decision (a `benefit_stop` case) and
    told to the person, in the sync's transaction (`cases.stops.record`)."""
    uow = _uow(engine)
    if pack.cases_dir is None:  # a pack without case types: nothing to record the decision in
        return enrollment_actions.sync_enrollments(uow, pack, period, actor=actor, today=today)

    def record_stops(ended: pl.DataFrame, people: pl.DataFrame, period: Period, *, actor: str, today: date) -> int:
        return stops.record(uow, pack.cases, pack, ended, people, period, actor=actor, today=today)

    return enrollment_actions.sync_enrollments(uow, pack, period, actor=actor, today=today, record_stops=record_stops)


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
    return actions.calculate(
        _uow(engine), pack, period, actor=actor, child_payee=child_payee, recovery_share=recovery_share, step=step
    )


def transition(engine: Engine, period: Period, action: str, *, actor: str) -> RunSummary:
    return actions.transition(_uow(engine), period, action, actor=actor)


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
    return actions.export(
        _uow(engine),
        period,
        folder,
        actor=actor,
        payer=payer,
        execution=execution,
        writer=writer,
        batch_size=batch_size,
    )


def export_again(engine: Engine, period: Period, folder: Path, *, actor: str, writer: PaymentFileWriter) -> list[Path]:
    return actions.export_again(_uow(engine), period, folder, actor=actor, writer=writer)


def reconcile(
    engine: Engine,
    reply: BankReply,
    path: Path,
    *,
    actor: str,
    payer_iban: str | None = None,
    currency: Currency = OMR,
) -> Reconciliation:
    return actions.reconcile(_uow(engine), reply, path, actor=actor, payer_iban=payer_iban, currency=currency)


def status(engine: Engine) -> pl.DataFrame:
    return actions.status(_uow(engine))


def report(engine: Engine, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    return actions.report(_uow(engine), period, principal=principal)


def diff(
    engine: Engine, period: Period, *, principal: Principal | None = None, currency: Currency = OMR
) -> pl.DataFrame:
    return actions.diff(_uow(engine), period, principal=principal, currency=currency)


def held(engine: Engine, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    return actions.held(_uow(engine), period, principal=principal)
