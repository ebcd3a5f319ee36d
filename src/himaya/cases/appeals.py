"""An appeal against a case's decision: filed within the deadline that runs from the decision's
notification, against a decision its type may appeal (`appeal.against`: a refused application or
change request), about the same person, once; granted, it reverses the decision.

Reversing writes what the appealed case's approval would have written, dated as it would have been:
an application's facts from its `applied_on`, a change from its `effective_from`, through the same
path as an approval (the registry's validation, the rules for an application, a supervisor's
override). The family's enrollments are then planned again with the benefit due from the month of
the application (or, for a change, of the refusal), so the next payroll pays the months since as
arrears, once: a decision is reversed at most once (`case_file.reversed_by`, set by a conditional
update), and the payroll's unique line per person, programme and month does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from himaya.cases import applications, changes, stops
from himaya.cases.applications import Desk, Verdict
from himaya.cases.model import EventKind, OutboxState, PersonRef
from himaya.cases.ports import ApplicationsUnitOfWork, CasesUnitOfWork
from himaya.cases.rules import filing_deadline, last_day
from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError
from himaya.core.text import an
from himaya.policy.case_types import STOP, CaseCatalogue, CaseType


def appealed_number(kind: CaseType, form: Mapping[str, Any]) -> str | None:
    """The number of the case a case of this type appeals (None: the type appeals nothing)."""
    return str(form.get(kind.appeal.field)) if kind.appeal is not None else None


def _day(at: datetime, timezone: str) -> date:
    """The day an instant falls on where the pack decides "today" (SQLite gives it back without zone: UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone)).date()


def decided(uow: CasesUnitOfWork, case: Mapping[str, Any], timezone: str) -> tuple[datetime, date] | None:
    """When the case's decision was taken (its last `decided` event to that state), and its day (as
    the decision recorded it, where the pack decides "today")."""
    moves = [
        e for e in uow.cases.events(case["id"]) if e["kind"] == EventKind.DECIDED and e["to_state"] == case["decision"]
    ]
    if not moves:
        return None
    at, data = moves[-1]["at"], moves[-1]["data"] or {}
    return at, date.fromisoformat(data["on"]) if data.get("on") else _day(at, timezone)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def notification(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, case: Mapping[str, Any], declared: str | None
) -> tuple[date, str]:
    """The day the decision was notified and how that is known: the day its message was delivered,
    as the outbox recorded it; else (a letter handed over) the day the appellant declares, not
    before the decision; else the day of the decision (the earliest it can have been)."""
    found = decided(uow, case, catalogue.timezone)
    if found is None:
        raise ConflictError(f"form field decision: case {case['number']} has no decision on record to appeal")
    at, day = found
    sent = delivered(uow, catalogue, case, at)
    if sent is not None:
        return sent, "the day its message was delivered"
    if not declared:  # the earliest it can have been: an appeal within the deadline from it is in time
        return day, "the day of the decision: its notification is not recorded; give notified_on if it came later"
    given = date.fromisoformat(declared)
    if given < day:
        raise InvalidInputError(
            f"form field notified_on: {given} is before the decision of case {case['number']} ({day}): a decision"
            " is notified once taken"
        )
    return given, "the day declared"


def delivered(uow: CasesUnitOfWork, catalogue: CaseCatalogue, case: Mapping[str, Any], at: datetime) -> date | None:
    """The day the first message the case queued at or after `at` (its decision) was delivered, as the
    outbox recorded it (None: none delivered yet)."""
    sent = [
        m["sent_at"]
        for m in uow.cases.messages(case["id"])
        if m["state"] == OutboxState.SENT and m["sent_at"] is not None and _utc(m["created_at"]) >= _utc(at)
    ]
    return _day(min(map(_utc, sent)), catalogue.timezone) if sent else None


def check_onward(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, kind: CaseType, case: Mapping[str, Any], target: str, day: date
) -> None:
    """The move of a dismissed appeal to the next level (`appeal.onward`) is made within its deadline,
    which runs from the notification of the dismissal: the day its message was delivered, as the outbox
    recorded it; else the day of the dismissal (the day its message was written, from which it states
    the last day). A later move is refused, naming the deadline."""
    onward = kind.appeal.onward if kind.appeal is not None else None
    if onward is None or (case["state"], target) != (onward.source, onward.target):
        return
    found = decided(uow, case, catalogue.timezone)
    if found is None:
        raise ConflictError(f"case {case['number']} has no {case['state']} decision on record to take further")
    at, decided_on = found
    sent = delivered(uow, catalogue, case, at)
    notified = sent or decided_on
    how = "the day its message was delivered" if sent else "the day of the decision: its delivery is not recorded"
    last = last_day(notified, onward.days, working=onward.working, calendar=catalogue.calendar)
    if day > last:
        days = f"{onward.days} {'working ' if onward.working else ''}days"
        raise ConflictError(
            f"case {case['number']}: the move to {target} had to be made within {days} of the notification of the"
            f" decision {case['state']} ({notified}, {how}), by {last}; today is {day}: nothing was written"
        )


def check_opening(
    uow: CasesUnitOfWork,
    catalogue: CaseCatalogue,
    kind: CaseType,
    form: dict[str, Any],
    appealed: Mapping[str, Any],
    person: PersonRef | None,
    day: date,
) -> dict[str, Any]:
    """The case appealed, found in the user's branches, checked: a decision the type may appeal,
    about the appellant, neither reversed nor under appeal already, and filed within the deadline
    from its notification (the form's `notified_on` is set to the day it runs from). The appeal's
    row fields that name it."""
    rule = kind.appeal
    assert rule is not None
    number = appealed["number"]
    if person is None or appealed["civil_number"] != person.civil_number:
        raise InvalidInputError(
            f"form field {rule.field}: case {number} is about another person; an appeal is filed by the person"
            " the decision is about"
        )
    allowed = rule.against.get(appealed["type"], frozenset())
    if appealed["decision"] not in allowed:
        listed = "; ".join(f"{an(t)} {', '.join(sorted(d))}" for t, d in sorted(rule.against.items()))
        said = f"{appealed['decision']}" if appealed["decision"] else f"{appealed['state']}, not decided"
        raise InvalidInputError(
            f"form field {rule.field}: case {number} is {an(appealed['type'])} {said};"
            f" {an(kind.key)} is against {listed}"
        )
    if appealed["reversed_by"]:
        raise ConflictError(f"case {number}'s decision was reversed already, by appeal {appealed['reversed_by']}")
    for other in uow.cases.appeals_of(appealed["id"]):
        if other["closed_at"] is None or other["decision"] is not None:
            raise ConflictError(
                f"case {number} was appealed already: {other['number']} ({other['state']}); a decision is appealed"
                " once (a dismissed appeal goes on to the higher committee)"
            )
    notified, how = notification(uow, catalogue, appealed, form.get(kind.filing.field) if kind.filing else None)
    if kind.filing is not None:
        last = filing_deadline(kind, notified, catalogue.calendar)
        if day > last:
            days = f"{kind.filing.days} {'working ' if kind.filing.working else ''}days"
            raise InvalidInputError(
                f"form field {rule.field}: case {number}'s decision was notified on {notified} ({how}); {an(kind.key)}"
                f" had to be filed within {days}, by {last}; today is {day}"
            )
        form[kind.filing.field] = notified.isoformat()
    return {"appealed_id": appealed["id"]}


def record_opening(uow: CasesUnitOfWork, appealed: Mapping[str, Any], appeal: str, *, actor: str) -> None:
    """The appealed case's history says it is appealed, and by which case."""
    uow.cases.add_event(appealed["id"], EventKind.APPEALED, actor=actor, data={"appeal": appeal})


def grant(
    uow: ApplicationsUnitOfWork,
    desk: Desk,
    catalogue: CaseCatalogue,
    kind: CaseType,
    case: Mapping[str, Any],
    *,
    override: str | None,
    principal: Principal,
    day: date,
) -> tuple[Verdict | None, dict[str, Any]]:
    """Inside the grant's unit of work: the decision appealed reversed (once), its approval written
    from its own date; the rules' verdict on an application (with `override`, a supervisor's), and
    what the reversal did, for the appeal's record."""
    number = str(appealed_number(kind, case["form"]))
    if case.get("appealed_id") is None:  # an appeal opened before appeals named the case they appeal
        raise ConflictError(
            f"case {case['number']} names no decided case it appeals: it cannot reverse one; dismiss it, and file"
            " an appeal naming the case"
        )
    appealed = uow.cases.visible(principal, number)
    if appealed is None or appealed["id"] != case["appealed_id"]:
        raise NotFoundError(f"case {case['number']}: the case it appeals, {number}, is not in your branches")
    target = catalogue.type(appealed["type"])
    if target is not None and target.key == STOP:  # a benefit stopped: the enrollment restored
        return _restore(uow, desk, case, appealed, override=override, principal=principal, day=day)
    if target is None or target.approval is None:
        raise ConflictError(
            f"case {number} is {an(appealed['type'])}: the policy pack no longer says how to reverse it"
        )
    _reverse_once(uow, appealed, case["number"])
    found = decided(uow, appealed, catalogue.timezone)
    refused_on = found[1] if found is not None else day
    verdict, change = None, None
    if target.approval.rules:
        verdict = applications.decide(
            uow, desk, target, appealed, target.approval.approved, override=override, principal=principal, day=day,
            by=case["number"],
        )  # fmt: skip
    else:
        if override is not None:
            raise InvalidInputError("override: only an application's approval may override the rules")
        change = changes.decide(uow, desk, target, appealed, principal=principal, day=day, by=case["number"],
                                since=refused_on)  # fmt: skip
    done = {"reverses": number, "decision": appealed["decision"], "refused_on": refused_on.isoformat()}
    _reversed(uow, appealed, case["number"], principal.username)
    return verdict, done | ({"change": change} if change else {})


def _reverse_once(uow: CasesUnitOfWork, appealed: Mapping[str, Any], by: str) -> None:
    """The appealed case marked reversed by `by`, by a conditional update: a second grant is refused."""
    if not uow.cases.reverse(appealed["id"], by=by):
        raise ConflictError(
            f"case {appealed['number']}'s decision was reversed already, by appeal"
            f" {appealed['reversed_by'] or '(another)'}: nothing is written again"
        )


def _reversed(uow: CasesUnitOfWork, appealed: Mapping[str, Any], by: str, actor: str) -> None:
    """The reversal in the appealed case's history and the audit trail."""
    uow.cases.add_event(appealed["id"], EventKind.REVERSED, actor=actor, data={"by": by})
    uow.audit.record(
        [Change("case.reverse", f"case:{appealed['number']}", {"decision": appealed["decision"]}, {"reversed_by": by})],
        actor=actor,
    )


def _restore(
    uow: ApplicationsUnitOfWork,
    desk: Desk,
    case: Mapping[str, Any],
    appealed: Mapping[str, Any],
    *,
    override: str | None,
    principal: Principal,
    day: date,
) -> tuple[Verdict | None, dict[str, Any]]:
    """A stopped benefit's decision reversed: the enrollment in force again from the month it stopped."""
    _reverse_once(uow, appealed, case["number"])
    verdict, restored = stops.restore(
        uow, desk, appealed, override=override, principal=principal, day=day, by=case["number"]
    )
    _reversed(uow, appealed, case["number"], principal.username)
    return verdict, {"reverses": appealed["number"], "decision": appealed["decision"], **restored}
