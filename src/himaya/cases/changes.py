"""A change request's decision: the change it asks (a bank account, an address, a marital status,
an income) written to the person's record through the registry's own write path (the people
table's validation, history from the form's `effective_from`, the registry's audit entries, the
case named as the source) in the decision's transaction; the family's enrollments are planned again
after commit, as after an application.

A change is asked of the record as it stood when the request was opened: the record's version and
the values the change replaces are kept on the case then (`snapshot`), and an approval on a record
changed since is refused (`RecordChangedError`, 409), naming the record, both versions and what
changed, and nothing is written: the decider reads the record again, then refuses the request or a
new one is opened on the record as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from himaya.cases.applications import Desk, facts, typed_record
from himaya.cases.model import ApplicationApproved, PersonRef
from himaya.cases.ports import ApplicationsUnitOfWork
from himaya.cases.rules import FormError, check_fields
from himaya.core.access import Principal
from himaya.core.errors import ConflictError, NotFoundError
from himaya.policy.case_types import CaseType
from himaya.registry.actions import check_move, write_facts


class RecordChangedError(ConflictError):
    """The record a change request changes was changed since the request was opened."""

    code = "record_changed"


def _plain(value: Any) -> Any:
    """A registry value as the case keeps it (JSON): dates as YYYY-MM-DD, the rest as read."""
    return value.isoformat() if isinstance(value, date) else value


def snapshot(uow: ApplicationsUnitOfWork, kind: CaseType, form: Mapping[str, Any], person: PersonRef) -> dict[str, Any]:
    """At opening, for a type whose approval checks for conflicts: the record's version and the
    values of the columns its change would write, as the case keeps them."""
    approval = kind.approval
    if approval is None or not approval.conflict:
        return {}
    current = uow.registry.current_row(person.id)
    if current is None:
        raise ConflictError(f"person {person.civil_number} has no current family: their record cannot change here")
    columns = facts(approval, form)
    return {
        "record_version": uow.registry.version(person.civil_number),
        "record_values": {c: _plain(current.get(c)) for c in columns},
    }


def decide(
    uow: ApplicationsUnitOfWork,
    desk: Desk,
    kind: CaseType,
    case: Mapping[str, Any],
    *,
    principal: Principal,
    day: date,
    by: str | None = None,
    since: date | None = None,
) -> dict[str, Any]:
    """Inside the decision's unit of work: write the change the case asks (its approval), what it
    replaced and what it wrote. `by`: the appeal whose grant writes it now (refused on the day
    `since`: the benefits it opens are due from that month); the record's version then is not
    compared (it has moved on since), but what the change replaces still is."""
    approval = kind.approval
    assert approval is not None
    number, civil = case["number"], str(case["civil_number"])
    key = uow.registry.visible_id(principal, civil)
    current = uow.registry.current_row(key) if key is not None else None
    membership = uow.registry.family_of(key) if key is not None else None
    if key is None or current is None or membership is None:
        raise NotFoundError(f"case {number}: the person {civil} has no current record in your branches")
    try:  # a request opened before its type asked for typed fields (a free-text `new_value`)
        check_fields(kind, case["form"])
    except FormError as error:
        raise ConflictError(f"case {number} cannot be approved as it was opened: {error}; refuse it, and open a new"
                            " request with the typed fields") from None  # fmt: skip
    version = uow.registry.version(civil)
    values = facts(approval, case["form"])
    _check_conflict(desk, case, version, current, values, reversal=by is not None)
    new = typed_record(desk, approval, case, current, values, approving=True)
    assert isinstance(new, dict)
    place = desk.contract.place
    moved = check_move(principal, civil, current, new, membership, place) if place in values else []
    effective = date.fromisoformat(str(case["form"][approval.effective]))
    write_facts(
        uow, desk.contract, key, civil, "person.change", values, expected_version=version, as_of=effective,
        actor=principal.username, source=f"case {by or number}",
    )  # fmt: skip
    if moved:
        uow.audit.record(moved, actor=principal.username)
    what = "appeal" if by else "change request"
    uow.emit(ApplicationApproved(membership[0], by or number, principal.username, since, None, day, what))
    cells = desk.contract.cells(current)
    return {"change": case["form"][approval.field], "from": {c: cells.get(c) for c in values}, "to": values}


def _check_conflict(
    desk: Desk,
    case: Mapping[str, Any],
    version: int,
    current: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    reversal: bool,
) -> None:
    """Refuse a change of a record changed since the request was opened: its version (not for a
    reversal, months later), or any value the change replaces (a bulk import does not move the
    version of a record whose dated facts it changes)."""
    opened, before = case.get("record_version"), case.get("record_values")
    if opened is None or before is None:
        return
    person = case["civil_number"]
    if not reversal and version != opened:
        raise RecordChangedError(
            f"case {case['number']}: the record of person {person} is at version {version}, not {opened} as when"
            " the request was opened: someone changed it since; read it again, then refuse this request or open"
            " a new one on the record as it is; nothing was written"
        )
    was, now = desk.contract.cells(before), desk.contract.cells(current)
    changed = [c for c in before if c in values and _plain(current.get(c)) != before[c]]
    if changed:
        said = ", ".join(f"{c} {was.get(c) or '(none)'} then, {now.get(c) or '(none)'} now" for c in changed)
        raise RecordChangedError(
            f"case {case['number']}: the record of person {person} changed since the request was opened (version"
            f" {opened} then, {version} now): {said}; refuse this request or open a new one on the record as it is;"
            " nothing was written"
        )
