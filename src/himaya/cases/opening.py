"""Opening a case and queuing a message inside a unit of work that is already entered: the part of
opening that `actions.open_case` shares with other capabilities' actions (they neither begin nor commit).

Another capability (life events: a death to review) opens a case or tells a person something in its
own transaction, so its change, the case and the message stand or fall together:

    with uow:
        ...                                    # the other action's check and write
        opened = open_in(uow, catalogue, NewCase("event_review", "partner", civil_number="..."), actor=actor)
        queue_notification(uow, civil_number="...", language="ar", subject="...", body="...")
        uow.audit.record([...], actor=actor)
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from himaya.cases import notices, rules
from himaya.cases.model import Delivery, EventKind, Message, NewCase, Opened, PersonRef
from himaya.cases.ports import CasesUnitOfWork
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.clock import today as today_in
from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.core.text import Language, an
from himaya.policy.case_types import CaseCatalogue, CaseType


def day_of(catalogue: CaseCatalogue, today: date | None) -> date:
    return today or today_in(catalogue.timezone)


def prepared(catalogue: CaseCatalogue, request: NewCase, day: date) -> tuple[CaseType, dict[str, Any], bool]:
    """The request checked against its type before anything is read: (type, form as stored, sensitive)."""
    kind = rules.case_type(catalogue, request.type)
    sensitive = rules.check_request(kind, request)
    form = rules.validate_form(kind, request.form)
    rules.check_dates(kind, form, day)
    rules.check_fields(kind, form)
    rules.check_filing(kind, form, day, catalogue.calendar)
    return kind, form, sensitive


def branch(catalogue: CaseCatalogue, wilayat: str | None) -> tuple[str, str]:
    if wilayat is None:
        raise InvalidInputError("wilayat: the branch of the case is needed (the person has no wilayat on record)")
    if wilayat not in catalogue.places:
        raise InvalidInputError(f"wilayat: {wilayat!r} is not a known wilayat")
    return wilayat, catalogue.places[wilayat]


def open_in(
    uow: CasesUnitOfWork, catalogue: CaseCatalogue, request: NewCase, *, actor: str, today: date | None = None
) -> Opened:
    """Open a case inside a unit of work the caller has entered and will commit (another capability's
    action, e.g. a life event to review): validated like any case, written with its history, audit
    entry and messages in the caller's transaction. No permission or branch check: the caller's own.
    The person is any registered person (NotFoundError if none); the branch, theirs unless given."""
    day = day_of(catalogue, today)
    kind, form, sensitive = prepared(catalogue, request, day)
    if kind.appeal is not None or (kind.approval is not None and kind.approval.conflict):
        raise InvalidInputError(
            f"type: {an(kind.key)} is opened by a user (cases.actions.open_case): it reads the record it changes"
            " or the case it appeals in their branches"
        )
    person = None
    if request.civil_number is not None:
        person = uow.cases.person(None, request.civil_number)
        if person is None:
            raise NotFoundError(f"no person with civil number {request.civil_number!r}")
    place = branch(catalogue, request.wilayat or (person.wilayat if person else None))
    return write(uow, catalogue, kind, request, form, sensitive, person, place, actor, day)


def write(
    uow: CasesUnitOfWork,
    catalogue: CaseCatalogue,
    kind: CaseType,
    request: NewCase,
    form: dict[str, Any],
    sensitive: bool,
    person: PersonRef | None,
    branch: tuple[str, str],
    actor: str,
    day: date,
    *,
    bound: Mapping[str, Any] | None = None,
) -> Opened:
    """Write the case (its history, audit entry and messages), once its form holds against its person;
    `bound`: what it keeps of the record it changes or the case it appeals (`actions.open_case`)."""
    rules.check_applied(kind, form, person.birth_date if person else None)
    number = rules.case_number(day.year, uow.cases.next_number(day.year))
    state, at = kind.initial, now()
    row: dict[str, Any] = {
        "number": number,
        "type": kind.key,
        "state": state.key,
        "channel": request.channel,
        "wilayat": branch[0],
        "governorate": branch[1],
        "person_id": person.id if person else None,
        "civil_number": person.civil_number if person else None,
        "category": request.category,
        "subject": request.subject,
        "sensitive": sensitive,
        "language": request.language,
        "form": form,
        "opened_by": actor,
        "due_on": rules.due_on(catalogue.calendar, state, day),
        "state_since": at,
        "version": 1,
        "opened_at": at,
        "updated_at": at,
        **(bound or {}),
    }
    row["id"] = uow.cases.insert(row)
    uow.cases.add_event(row["id"], EventKind.OPENED, actor=actor, to_state=state.key, data={"channel": request.channel})
    queued = uow.cases.queue(notices.to_person(catalogue, kind, "received", row, person, day=day))
    shown = {k: row[k] for k in ("type", "state", "channel", "wilayat", "civil_number", "category", "sensitive")}
    uow.audit.record([Change("case.open", f"case:{number}", None, {**shown, "form": form})], actor=actor)
    return Opened(number, row["id"], 1, state.key, row["due_on"], sensitive, queued)


def queue_notification(
    uow: CasesUnitOfWork,
    *,
    civil_number: str,
    language: Language,
    subject: str,
    body: str,
    case_id: int | None = None,
) -> int:
    """Put a message to a registered person in the outbox, inside the caller's unit of work (it neither
    begins nor commits): by SMS to their mobile on record, else a letter. Delivery is the outbox's sender's."""
    person = uow.cases.person(None, civil_number)
    if person is None:
        raise NotFoundError(f"no person with civil number {civil_number!r}")
    channel = Delivery.SMS if person.mobile else Delivery.LETTER
    return uow.cases.queue([Message(civil_number, channel, language, subject, body, case_id, person.id)])


def tell(
    uow: CasesUnitOfWork,
    catalogue: CaseCatalogue,
    kind: CaseType,
    notify: str | None,
    after: dict[str, Any],
    **how: Any,
) -> int:
    """The type's `notify` message of a move for the case's person (`notices.to_person`), queued inside
    the caller's unit of work; how many."""
    person = uow.cases.person(None, after["civil_number"]) if after["civil_number"] else None
    return uow.cases.queue(notices.to_person(catalogue, kind, notify, after, person, **how))
