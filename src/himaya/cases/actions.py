"""The case capability's use cases: open, show, list (a branch inbox), assign, note, move on (decide,
close) and find the overdue cases.

Each is one unit of work: the checks, the write, its history event, its audit entry and the messages
it queues in the outbox share one transaction. A case outside the user's branches, or a sensitive
case for a user who may not see those, is answered exactly as a case that does not exist: the same
statement runs and the same refusal is given, and the probe is audited.

To open a case or queue a message inside another action's unit of work: `opening.open_in` and
`opening.queue_notification`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from himaya.cases import appeals, deciding, exceptions, notices, rules
from himaya.cases.applications import Desk
from himaya.cases.changes import snapshot
from himaya.cases.letters import case_letter, which
from himaya.cases.model import PAGE, CaseView, EventKind, Inbox, Moved, NewCase, Opened
from himaya.cases.opening import branch, day_of, prepared, tell, write
from himaya.cases.ports import ApplicationsUnitOfWork, CasesUnitOfWork
from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.letter import Letter
from himaya.core.money import OMR
from himaya.core.text import Language, Text, an
from himaya.core.uow import record_read
from himaya.policy.case_types import CaseCatalogue, CaseType, Need
from himaya.policy.case_types import State as CaseState
from himaya.policy.services import ServiceCatalogue
from himaya.registry.actions import in_branches


def open_case(
    uow: ApplicationsUnitOfWork,
    catalogue: CaseCatalogue,
    request: NewCase,
    *,
    principal: Principal,
    today: date | None = None,
) -> Opened:
    """Open a case in a branch of the user's, about a person of their branches (or nobody, if anonymous).
    A change request keeps the version and values of the record it changes; an appeal names the case
    it appeals, which must be in the user's branches (`appeals.check_opening`)."""
    day = day_of(catalogue, today)
    kind, form, sensitive = prepared(catalogue, request, day)
    rules.check_opener(kind, request, principal)
    with uow:
        person = None
        if request.civil_number is not None:
            person = uow.cases.person(principal, request.civil_number)
            if person is None:
                _probe(uow, f"person:{request.civil_number}", "case.open", principal)
                raise NotFoundError(f"no person with civil number {request.civil_number!r} in your branches")
        wilayat, governorate = branch(catalogue, request.wilayat or (person.wilayat if person else None))
        if not in_branches(principal, wilayat, governorate):
            raise ForbiddenError(f"wilayat {wilayat} is not one of your branches: open the case in a branch of yours")
        bound = snapshot(uow, kind, form, person) if person is not None else {}
        appealing = appeals.appealed_number(kind, form)  # the case appealed, in the user's reach (a probe else)
        appealed = _visible(uow, appealing, principal, "case.open") if appealing is not None else None
        if appealed is not None:
            bound |= appeals.check_opening(uow, catalogue, kind, form, appealed, person, day)
        opened = write(
            uow, catalogue, kind, request, form, sensitive, person, (wilayat, governorate), principal.username, day,
            bound=bound,
        )  # fmt: skip
        if appealed is not None:
            appeals.record_opening(uow, appealed, opened.number, actor=principal.username)
        uow.commit()
    return opened


def _probe(uow: CasesUnitOfWork, subject: str, action: str, principal: Principal) -> None:
    """A look-up of something the user may not see, audited: committed on its own (the refusal rolls
    nothing else back)."""
    uow.audit.record([Change("probe", subject, None, {"action": action, "found": False})], actor=principal.username)
    uow.commit()


def _missing(number: str) -> NotFoundError:
    return NotFoundError(f"no case {number!r} in your branches")


def _visible(uow: CasesUnitOfWork, number: str, principal: Principal, action: str) -> dict[str, Any]:
    case = uow.cases.visible(principal, number)
    if case is None:
        _probe(uow, f"case:{number}", action, principal)
        raise _missing(number)
    return case


def _kind(catalogue: CaseCatalogue, case: dict[str, Any]) -> CaseType:
    kind = catalogue.type(case["type"])
    if kind is None:
        raise ConflictError(f"case {case['number']} is {an(case['type'])}, a type the policy pack no longer declares")
    return kind


def _stale(uow: CasesUnitOfWork, case: dict[str, Any], expected: int) -> StaleRecordError:
    return StaleRecordError(
        f"case {case['number']} is at version {uow.cases.version(case['id'])}, not {expected}: someone changed it"
        " since you read it; read it again and redo your step"
    )


def show(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, number: str, *, principal: Principal, today: date | None = None
) -> CaseView:
    """One case with its history and messages, if the user may see it; the read is audited (a probe too)."""
    with uow:
        case = uow.cases.visible(principal, number)
        view = None
        if case is not None:
            kind = _kind(catalogue, case)
            sla = rules.sla(
                catalogue.calendar, case["due_on"], day_of(catalogue, today), at_risk_days=kind.at_risk_days
            )
            moves = tuple(t.target for t in kind.moves_from(case["state"]))
            events, messages = uow.cases.events(case["id"]), uow.cases.messages(case["id"])
            view = CaseView(case, sla, moves, events, messages, uow.cases.evidence(case["id"]))
        uow.audit.record(
            [Change("read", f"case:{number}", None, {"what": "case", "found": view is not None})],
            actor=principal.username,
        )
        uow.commit()
    if view is None:
        raise _missing(number)
    return view


def letter(
    uow: CasesUnitOfWork,
    catalogue: CaseCatalogue,
    number: str,
    *,
    principal: Principal,
    sender: Text,
    language: Language | None = None,
    what: str | None = None,
    today: date | None = None,
    services: ServiceCatalogue | None = None,
) -> Letter:
    """The case's letter to its person (its decision, referral or receipt: `letters.which`; a referral's
    service and provider named from `services`), if the user may see the case; audited (a probe too)."""
    with uow:
        case = _visible(uow, number, principal, "case.letter")
        kind = _kind(catalogue, case)
        name = uow.cases.name_of(case["person_id"]) if case.get("person_id") else None
        day = day_of(catalogue, today)
        result = case_letter(
            catalogue, kind, case, name=name, sender=sender, day=day, language=language, what=what, services=services
        )
        uow.audit.record(
            [Change("read", f"case:{number}", None, {"what": f"letter.{what or which(kind, case)}", "found": True})],
            actor=principal.username,
        )
        uow.commit()
    return result


def inbox(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, wanted: Inbox, *, principal: Principal, today: date | None = None
) -> list[dict[str, Any]]:
    """A page of the cases of the user's branches meeting the filters, by due date, each with its SLA
    state; sensitive cases only for who may see them. The read names the cases it returned."""
    if not principal.can(Permission.CASE_READ):
        raise ForbiddenError("reading cases needs case.read")
    rules.check_filters(catalogue, wanted)
    if wanted.wilayat is not None:
        branch(catalogue, wanted.wilayat)
    day = day_of(catalogue, today)
    with uow.reading():  # on SQLite: without the write lock, so pages are read side by side
        rows = uow.cases.inbox(principal, wanted, limit=PAGE, offset=(wanted.page - 1) * PAGE)
    what = {"filters": _filters(wanted), "cases": [r["number"] for r in rows]}
    record_read(uow, "cases:inbox", what, actor=principal.username)
    for row in rows:
        kind = catalogue.type(row["type"])
        risk = kind.at_risk_days if kind else 0
        row["sla"] = rules.sla(catalogue.calendar, row["due_on"], day, at_risk_days=risk).value
    return rows


def _filters(wanted: Inbox) -> dict[str, Any]:
    return {k: v for k, v in vars(wanted).items() if v is not None}


def _workable(uow: CasesUnitOfWork, number: str, principal: Principal, action: str) -> dict[str, Any]:
    """The case the user works on: they may work cases, it is in their reach, and it is open."""
    if not principal.can(Permission.CASE_WORK):
        raise ForbiddenError(f"{action} needs case.work")
    case = _visible(uow, number, principal, action)
    if case["closed_at"] is not None:
        raise ConflictError(f"case {number} is {case['state']}: a closed case does not change")
    return case


def assign(uow: CasesUnitOfWork, number: str, assignee: str, *, expected_version: int, principal: Principal) -> int:
    """Give the case to a user who may work it (`rules.may_work`); the case's new version. An unknown
    name and one who may not work the case get the same answer: no oracle on the user names."""
    with uow:
        case = _workable(uow, number, principal, "case.assign")
        if not rules.may_work(uow.cases.user(assignee), case):
            raise InvalidInputError(
                f"to: {assignee!r} is not an active user who works the cases of {case['wilayat']}"
                + (" and sees sensitive cases" if case["sensitive"] else "")
            )
        if not uow.cases.update(case["id"], {"assigned_to": assignee}, expected_version=expected_version):
            raise _stale(uow, case, expected_version)
        uow.cases.add_event(case["id"], EventKind.ASSIGNED, actor=principal.username, data={"to": assignee})
        uow.audit.record(
            [Change("case.assign", f"case:{number}", {"assigned_to": case["assigned_to"]}, {"assigned_to": assignee})],
            actor=principal.username,
        )
        uow.commit()
    return expected_version + 1


def note(uow: CasesUnitOfWork, number: str, text: str, *, principal: Principal) -> None:
    """Add a note to the case's history (it does not change the case, so it needs no version)."""
    written = rules.check_text("text", text, required=True)
    with uow:
        case = _workable(uow, number, principal, "case.note")
        uow.cases.add_event(case["id"], EventKind.NOTE, actor=principal.username, text=written)
        uow.audit.record([Change("case.note", f"case:{number}", None, {"text": written})], actor=principal.username)
        uow.commit()


def move(
    uow: ApplicationsUnitOfWork,
    catalogue: CaseCatalogue,
    number: str,
    target: str,
    *,
    expected_version: int,
    reason: str | None,
    principal: Principal,
    today: date | None = None,
    desk: Desk | None = None,
    override: str | None = None,
    override_until: str | None = None,
    override_amount: str | None = None,
) -> Moved:
    """Move the case to `target`, if its type declares the move from its state and the user may make it:
    a decision needs case.decide and its reasons, and one that changes payments is not taken by the user
    who prepared it. The person is told where the type says so. An application's approval or refusal
    is checked against the rules (`applications.decide`, with `desk`): an approval writes the facts; one
    the rules do not support is refused unless a supervisor gives an `override` reason, with the
    exception's review month and monthly amount (`override_until`, `override_amount`: it holds)."""
    day = day_of(catalogue, today)
    override = rules.check_text("override", override, required=False)
    terms = exceptions.terms(override, override_until, override_amount, desk.pack.currency if desk else OMR)
    with uow:
        case = _workable(uow, number, principal, "case.move")
        kind = _kind(catalogue, case)
        state, transition = rules.move(kind, case["state"], target, number)
        rules.check_mover(kind, transition, principal, prepared_by=case["prepared_by"], number=number)
        appeals.check_onward(uow, catalogue, kind, case, target, day)  # a dismissed appeal's deadline to go further
        decides = transition.by is Need.DECIDE
        written = rules.check_text("reason", reason, required=decides)
        if case["version"] != expected_version:  # before the rules run (the update below checks it again)
            raise _stale(uow, case, expected_version)
        changes = _changes(catalogue, state, target, decides, transition.prepares, written, principal, day)
        done = deciding.outcome(
            uow, desk, catalogue, kind, case, target, override=override, principal=principal, day=day,
            decides=decides, prepares=transition.prepares, terms=terms,
        )  # fmt: skip
        if done.verdict is not None:
            changes["rules"] = done.rules(override, principal.username)
        if not uow.cases.update(case["id"], changes, expected_version=expected_version):
            raise _stale(uow, case, expected_version)
        told = notices.decision_reasons(written, changes.get("rules"), case["language"])
        recorded = {k: v for k, v in (("rules", changes.get("rules")), ("wrote", done.wrote)) if v is not None}
        recorded |= {"on": day.isoformat()} if decides else {}  # the decision's day (an appeal's deadline)
        uow.cases.add_event(
            case["id"], EventKind.DECIDED if decides else EventKind.MOVED, actor=principal.username,
            from_state=case["state"], to_state=target, text=written, data=recorded or None,
        )  # fmt: skip
        queued = tell(uow, catalogue, kind, transition.notify, {**case, **changes}, day=day, reason=told)
        action = "case.decide" if decides else ("case.close" if state.final else "case.move")
        before = {"state": case["state"], "version": expected_version}
        shown = {"state": target, "reason": written, "due_on": changes["due_on"], "messages": queued, **recorded}
        uow.audit.record([Change(action, f"case:{number}", before, shown)], actor=principal.username)
        uow.commit()
    decision = target if decides else case["decision"]
    return Moved(
        number, expected_version + 1, target, changes["due_on"], decision, queued, changes.get("rules"), done.wrote
    )


def _changes(
    catalogue: CaseCatalogue,
    state: CaseState,
    target: str,
    decides: bool,
    prepares: bool,
    written: str | None,
    principal: Principal,
    day: date,
) -> dict[str, Any]:
    at = now()
    changes: dict[str, Any] = {"state": target, "state_since": at, "escalated_at": None}
    changes["due_on"] = rules.due_on(catalogue.calendar, state, day)
    if prepares:
        changes["prepared_by"] = principal.username
    if decides:
        changes |= {"decided_by": principal.username, "decision": target, "reason": written}
    if state.final:
        changes["closed_at"] = at
    return changes


CLOSED = "closed"  # every type's final state (the loader requires it)


def close(
    uow: ApplicationsUnitOfWork,
    catalogue: CaseCatalogue,
    number: str,
    *,
    expected_version: int,
    reason: str | None,
    principal: Principal,
    today: date | None = None,
) -> Moved:
    """Close the case (its type says from which states)."""
    return move(
        uow,
        catalogue,
        number,
        CLOSED,
        expected_version=expected_version,
        reason=reason,
        principal=principal,
        today=today,
    )


def overdue(
    uow: CasesUnitOfWork,
    catalogue: CaseCatalogue,
    *,
    principal: Principal,
    escalate: bool = False,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The open cases of the user's branches that are breached or at risk, most overdue first. With
    `escalate`, each breach not yet escalated is: marked, recorded, and told to the type's escalation
    role at the case's branch (through the outbox)."""
    if not principal.can(Permission.CASE_READ) or (escalate and not principal.can(Permission.CASE_WORK)):
        raise ForbiddenError("the overdue cases need case.read (and case.work to escalate them)")
    day = day_of(catalogue, today)
    horizon = catalogue.calendar.add(day, max((k.at_risk_days for k in catalogue.types.values()), default=0))
    with uow:
        rows = []
        for row in uow.cases.due_by(principal, horizon):
            kind = catalogue.type(row["type"])
            risk = kind.at_risk_days if kind else 0
            row["sla"] = rules.sla(catalogue.calendar, row["due_on"], day, at_risk_days=risk).value
            if row["sla"] != "on_track":
                rows.append(row)
        fresh = [r for r in rows if escalate and r["sla"] == "breached" and r["escalated_at"] is None]
        _escalate(uow, catalogue, fresh, principal=principal, day=day)
        subjects = [r["number"] for r in rows]
        uow.audit.record(
            [Change("read", "cases:overdue", None, {"cases": subjects, "escalated": [r["number"] for r in fresh]})],
            actor=principal.username,
        )
        uow.commit()
    return rows


def _escalate(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, rows: list[dict[str, Any]], *, principal: Principal, day: date
) -> None:
    uow.cases.escalate([r["id"] for r in rows], actor=principal.username)
    messages = []
    for row in rows:
        kind = _kind(catalogue, row)
        uow.cases.add_event(row["id"], EventKind.ESCALATED, actor=principal.username, data={"to": kind.escalate_to})
        messages.append(notices.escalation(kind, row, today=day))
        row["escalated_at"] = now()
    uow.cases.queue(messages)
    uow.audit.record(
        [Change("case.escalate", f"case:{r['number']}", None, {"due_on": r["due_on"]}) for r in rows],
        actor=principal.username,
    )
