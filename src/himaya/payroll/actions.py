"""The payroll's use cases: calculate a run, move it on (submit, approve, close), and read every run's
state; the export (`export.py`) and a bank's answer (`reconcile.py`) are here too.

Each is one unit of work: the check, the set-based writes and the audit entry share one transaction
that either completes or leaves nothing behind, and each can be run again: a killed process is
resumed by running the same command. A run moves only from the version read (the row count of its
versioned update is checked). Events are told once the transaction has committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from fractions import Fraction

import polars as pl

from himaya.core.access import Principal
from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import NotFoundError
from himaya.core.faults import checkpoint
from himaya.core.money import OMR, Currency
from himaya.core.periods import Period
from himaya.payroll import rules, shares
from himaya.payroll.awarded import award_months
from himaya.payroll.export import export
from himaya.payroll.lines import ChildPayee, payment_lines
from himaya.payroll.model import (
    NO_FIGURES,
    STATUS_COLUMNS,
    LineKind,
    PayrollError,
    RunAction,
    RunCalculated,
    RunMoved,
    RunState,
    RunSummary,
)
from himaya.payroll.ports import PayrollStore, PayrollUnitOfWork
from himaya.payroll.reconcile import reconcile
from himaya.payroll.reexport import export_again
from himaya.payroll.rules import check_transition
from himaya.payroll.runs import move, summary
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack

__all__ = [
    "calculate",
    "diff",
    "export",
    "export_again",
    "held",
    "move",
    "reconcile",
    "report",
    "status",
    "summary",
    "transition",
]

Step = Callable[[str], None]


def calculate(
    uow: PayrollUnitOfWork,
    pack: PolicyPack,
    period: Period,
    *,
    actor: str,
    child_payee: ChildPayee = ChildPayee.CHILD_FIRST,
    recovery_share: float = rules.RECOVERY_SHARE_DEFAULT,
    step: Step | None = None,
) -> RunSummary:
    """Calculate (or recalculate, until submitted) the run of `period`: regular lines for active
    enrollments, arrears for months owed since go-live, the re-issue of rejected lines, the debts
    of lines paid after a death and what this month recovers of them."""
    tell = step or (lambda _: None)
    actor = canonical_actor(actor)
    share = rules.check_recovery_share(recovery_share)
    with uow:
        store = uow.payroll
        existing = store.run(period)
        if existing and existing.state != RunState.CALCULATED:
            raise PayrollError(f"the run of {period} is {existing.state}: it can no longer be calculated")
        stamp = now()
        if existing is None:
            run_id = store.create_run(period, actor=actor, stamp=stamp)
        else:
            run_id = existing.id
            store.clear_run(run_id)
        tell("entitlements")
        people, frame = _lines(store, pack, period, child_payee, tell)
        tell("lines")
        checkpoint("payroll.run:entitlements")
        store.insert_lines(run_id, frame)
        checkpoint("payroll.run:lines")
        tell("re-issue")
        _reissue(store, run_id, people)  # counted in the summary by their reason
        tell("recoveries")
        overpaid = store.overpaid()
        if overpaid.height:
            store.add_debts(rules.debts(overpaid), stamp=stamp)
        store.settle_shares(said=f"found by the run of {period}", stamp=stamp)  # paid before their shares fell
        _recover(store, run_id, share)
        result = summary(store, run_id, period)
        checkpoint("payroll.run:before-commit")
        uow.audit.record([Change("payroll.calculate", f"run:{period}", None, result.plain())], actor=actor)
        uow.emit(RunCalculated(period, result, actor))
        uow.commit()
    return result


def _entitled(store: PayrollStore, pack: PolicyPack, period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(entitlements with amounts in baisa and the month, the people of the month with accounts and row ids)."""
    people = store.people(period)
    result = entitlements(people.select(pack.schema.names), pack, pack.parameters, period)
    baisa = pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64)
    return result.select(
        "person_id", "family_id", "programme", pl.lit(period.start).alias("month"), baisa.alias("amount")
    ), people


def _months_between(first: date, last: date) -> list[Period]:
    months, month = [], Period.containing(first)
    while month.start <= last:
        months.append(month)
        month = month.shifted(1)
    return months


def _lines(
    store: PayrollStore, pack: PolicyPack, period: Period, child_payee: ChildPayee, tell: Step
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the people of the month, the run's new lines with beneficiary and payee row ids): regular
    lines, then arrears for each month since go-live in which someone enrolled is still unpaid,
    then the insurance's awards owed (`awarded.award_months`)."""
    go_live = store.go_live()
    entitled, people = _entitled(store, pack, period)
    active = store.active_enrollments()

    def lines_of(owed: pl.DataFrame, kind: LineKind) -> pl.DataFrame:
        # Paid to today's account: the payee's account in an owed month may since have changed.
        adult = rules.adult_from(period.start, pack.age_of_majority)
        return payment_lines(
            owed, people, kind=kind, child_payee=child_payee, adult_from=adult, codes=pack.programme_codes
        )

    # A supervisor's exceptions in force in any month this run may pay: one read, joined below.
    held = store.exceptions(min(go_live, period.start), period.start)
    regular = [
        rules.in_force(entitled, active),
        rules.by_exception(held, entitled, rules.enrolled_in(active, period.start), people, period),
    ]
    lines = [lines_of(f, LineKind.REGULAR) for f in regular]
    tell("arrears")
    known = [people.select("person_id", "person_key")]  # row ids of beneficiaries and payees
    owed = active.filter(pl.col("start_month") < period.start)
    if owed.height:
        first: date = max(owed["start_month"].min(), go_live)  # type: ignore[type-var,assignment]
        for month in _months_between(first, period.shifted(-1).start):
            # Only a month with enrolled people still unpaid needs its entitlements computed:
            # in a steady month (everyone paid) the registry is not read a second time.
            unpaid = store.unpaid(month, before=period.start)
            if not unpaid.height:
                continue
            then, then_people = _entitled(store, pack, month)
            known.append(then_people.select("person_id", "person_key"))
            missing = then.join(unpaid, on=["person_id", "programme"])
            excepted = rules.by_exception(held, then, unpaid, then_people, month)
            for owed_then in (missing.select(then.columns), excepted):
                if owed_then.height:
                    lines.append(lines_of(owed_then, LineKind.ARREARS))
    tell("awards")
    owed_awards = award_months(store.awarded(period), period, go_live)
    lines += _award_lines(owed_awards, people, lines_of)
    lines += _award_lines(shares.topups(owed_awards, store.share_paid()), people, lines_of)  # shares gone up
    keys = pl.concat(known).unique("person_id") if len(known) > 1 else known[0]
    frame = (
        pl.concat(lines)
        .join(keys, on="person_id")
        .join(keys.rename({"person_id": "payee", "person_key": "payee_key"}), on="payee")
        # In the order of the unique index's first column: SQLite then inserts into it in turn.
        .sort("person_key", "programme", "month")
    )
    return people, frame


def _award_lines(
    owed: pl.DataFrame, people: pl.DataFrame, lines_of: Callable[[pl.DataFrame, LineKind], pl.DataFrame]
) -> list[pl.DataFrame]:
    """The awards' months owed as lines, the month's regular and the earlier ones arrears, each paid
    to the beneficiary (a minor survivor without an account: the guardian) as an enrollment's is."""
    family = people.select("person_id", "family_id")
    found = []
    for kind in (LineKind.REGULAR, LineKind.ARREARS):
        of_kind = owed.filter(pl.col("kind") == kind.value).join(family, on="person_id")
        if of_kind.height:
            found.append(lines_of(of_kind.select("person_id", "family_id", "programme", "month", "amount"), kind))
    return found


def _reissue(store: PayrollStore, run_id: int, people: pl.DataFrame) -> int:
    """Rejected or returned lines whose payee now has another account, and lines held for want of
    an account whose payee now has one (`rules.reissues`), go out in this run."""
    waiting = store.waiting_lines()
    if not waiting.height:
        return 0
    moving = rules.reissues(waiting, people.select("person_id", "iban", "bank_code"))
    if moving.height:
        store.reissue(run_id, moving)
    return moving.height


def _recover(store: PayrollStore, run_id: int, share: Fraction) -> int:
    """Deduct open debts from the debtor's pending lines in this run as `rules.allocate_recoveries`
    decides; the baisa recovered."""
    owed = store.open_debts()
    if not owed.height:
        return 0
    taken = rules.allocate_recoveries(owed, store.debtor_lines(run_id), share)
    if not taken.height:
        return 0
    store.recover(taken)
    return int(taken["amount"].sum())


def transition(uow: PayrollUnitOfWork, period: Period, action: str, *, actor: str) -> RunSummary:
    """submit, approve (by someone who neither calculated nor submitted it) or close the run of
    `period`. The run moves only from the version read: if another user moved it meanwhile, this
    one is refused (StaleRecordError) and nothing is written."""
    with uow:
        store = uow.payroll
        run = store.run(period)
        if run is None:
            raise NotFoundError(f"there is no run for {period}: run `himaya payroll run --period {period}` first")
        after = check_transition(action, run.state)
        who = canonical_actor(actor)
        values: dict[str, object] = {}
        if action == RunAction.SUBMIT:
            values |= {"submitted_by": who, "submitted_at": now()}
        if action == RunAction.APPROVE:
            rules.check_approver(who, created_by=run.created_by, submitted_by=run.submitted_by)
            values |= {"approved_by": who, "approved_at": now(), "seal": rules.seal(store.sealed_lines(run.id))}
        if action == RunAction.CLOSE:  # a closed run's figures are frozen
            values |= {"figures": json.dumps(store.figures([run.id]).get(run.id, NO_FIGURES))}
        # Closing needs a reconciled run, and a run is reconciled only once no line waits for the bank.
        move(store, run, after, values)
        sealed = {"seal": values["seal"]} if "seal" in values else {}
        uow.audit.record(
            [
                Change(
                    f"payroll.{action}", f"run:{period}", {"state": run.state.value}, {"state": after.value, **sealed}
                )
            ],
            actor=who,
        )
        result = summary(store, run.id, period)
        uow.emit(RunMoved(period, run.state, after, who))
        uow.commit()
    return result


def status(uow: PayrollUnitOfWork) -> pl.DataFrame:
    """Every run: period, state, who did what, the amounts payable, held (no account) and paid, and
    lines by status. A closed run shows the figures it was closed with, whatever happens later to
    its lines (a reject re-issued in a later month moves to that month's run)."""
    with uow:
        runs = uow.payroll.runs()
        live = uow.payroll.figures(None)
    rows = [
        (period, state, submitted, approved, *(json.loads(frozen) if frozen else live.get(i, NO_FIGURES)).values())
        for i, period, state, submitted, approved, frozen in runs
    ]
    types = {"period": pl.Date, "state": pl.String, "submitted_by": pl.String, "approved_by": pl.String}
    schema = types | {c: pl.Int64 for c in STATUS_COLUMNS}
    return pl.DataFrame(rows, schema=schema, orient="row")


def report(uow: PayrollUnitOfWork, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    """The run's lines by programme and governorate: beneficiaries, amount paid (after recoveries),
    amount recovered and exceptions, over the people in the principal's branches (None: everyone,
    for the country-wide operator at the terminal)."""
    with uow:
        return uow.payroll.report(period, principal=principal)


def diff(
    uow: PayrollUnitOfWork, period: Period, *, principal: Principal | None = None, currency: Currency = OMR
) -> pl.DataFrame:
    """Regular lines against the month before: new, stopped and changed, per person and programme,
    with a reason (`rules.changes`, amounts in `currency`: the registry's pack's), of the people in
    the principal's branches (None: everyone)."""
    with uow:
        lines, known = uow.payroll.regular_lines(period, principal=principal)
    return rules.changes(lines, known, period, currency=currency)


def held(uow: PayrollUnitOfWork, period: Period, *, principal: Principal | None = None) -> pl.DataFrame:
    """The run's lines held for want of a valid bank account, in the principal's branches: who, for
    which programme and month, how much (baisa) and why, by civil number."""
    with uow:
        return uow.payroll.held(period, principal=principal)
