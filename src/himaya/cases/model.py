"""The case capability's value objects and enums (the outbox's states are a CHECK constraint of its table).

A case's type and states are the pack's data (`policy/case_types.py`); what is fixed here is what
every case has whatever its type: how far it is from its deadline, what happened to it, and the
messages it sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from himaya.core.events import Event
from himaya.core.text import Language

PAGE = 50  # cases in one page of a branch inbox
MAX_TEXT = 2000  # characters of a note, a reason, a free-text form field


class Sla(StrEnum):
    """Where an open case stands against the deadline of its state."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # at most the type's at_risk_days working days left
    BREACHED = "breached"  # past its due date
    NONE = "none"  # the state has no deadline (waiting on a provider), or the case is closed


class EventKind(StrEnum):
    """What a case's history records."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    NOTE = "note"
    MOVED = "moved"  # a transition that is not a decision
    DECIDED = "decided"
    ESCALATED = "escalated"
    EVIDENCE = "evidence"  # a file attached (`cases/evidence.py`)
    APPEALED = "appealed"  # an appeal was filed against the case's decision (`cases/appeals.py`)
    REVERSED = "reversed"  # an appeal granted reversed the case's decision
    CONSENT = "consent"  # the person's consent to a referral recorded: who gave it, when, how
    OUTCOME = "outcome"  # a provider's answer to a referral (accepted, started, completed, declined)


class Delivery(StrEnum):
    """How a message reaches its recipient (delivery itself is a later step: `notification_outbox`)."""

    SMS = "sms"  # the person's mobile in the registry
    EMAIL = "email"  # the address the message was queued with (the registry keeps no e-mail)
    LETTER = "letter"  # printed at the branch: the person has no mobile on record
    STAFF = "staff"  # a role at a branch (an escalation)


class OutboxState(StrEnum):
    """A message's way through the sender (`cases/delivery.py`)."""

    PENDING = "pending"  # waiting (again, after a failure known not to have delivered: at `next_at`)
    SENDING = "sending"  # claimed by a sender, which has begun or is about to begin handing it over
    SENT = "sent"  # the gateway or mail server took it
    FAILED = "failed"  # refused for good (a bad number), or given up after the last attempt
    UNCERTAIN = "uncertain"  # the sender stopped mid-send on a channel that cannot de-duplicate: a human checks
    PRINTED = "printed"  # a letter printed at its branch, in a batch (`cases/printing.py`)


class Outcome(StrEnum):
    """What one attempt to deliver a message came to."""

    SENT = "sent"  # taken by the gateway or mail server
    RETRY = "retry"  # known not taken (no connection, a temporary refusal): try again later
    FAILED = "failed"  # refused for good (a bad address)
    UNCERTAIN = "uncertain"  # it may or may not have been taken, and sending again could duplicate it


@dataclass(frozen=True)
class Outgoing:
    """A claimed message on its way: its outbox id is its identity at the far end (idempotency key,
    Message-ID), so that the far end can tell a second attempt from a new message."""

    id: int
    channel: str
    address: str | None
    language: str
    subject: str
    body: str
    attempts: int  # this one included


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True)
class NewCase:
    """What the opener says about a new case; checked against its type before anything is read."""

    type: str
    channel: str
    civil_number: str | None = None  # the person the case is about (none for an anonymous complaint)
    wilayat: str | None = None  # the branch (default: the person's wilayat)
    category: str | None = None
    subject: str | None = None
    sensitive: bool = False  # asked for by the opener (the type or category may make it so anyway)
    language: Language = "ar"  # of the messages to the person
    form: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonRef:
    """The registered person a case is about, as the case needs them."""

    id: int
    civil_number: str
    wilayat: str | None
    governorate: str | None
    mobile: str | None
    birth_date: date | None = None


@dataclass(frozen=True)
class Opened:
    number: str
    id: int
    version: int
    state: str
    due_on: date | None
    sensitive: bool
    notifications: int  # messages queued


@dataclass(frozen=True)
class Moved:
    number: str
    version: int
    state: str
    due_on: date | None
    decision: str | None
    notifications: int
    rules: dict[str, Any] | None = None  # an application's verdict of the rules (`applications.Verdict.record`)
    wrote: dict[str, Any] | None = None  # what the decision wrote: a change, or an appeal's reversal


@dataclass(frozen=True)
class ApplicationApproved(Event):
    """A case's decision wrote facts to a record (an application approved, a change approved, a
    refusal reversed on appeal; told after commit): the family's enrollments are planned again for
    the month of the decision (`bootstrap` wires the handler)."""

    family: str  # the family number
    case: str  # the case number
    actor: str
    since: date | None = None  # a programme without a start rule of its own is due from this month
    programme: str | None = None  # the programme `since` is for (None: any the family gains)
    day: date | None = None  # the day of the decision: its month is planned again (None: today)
    what: str = "application"  # what decided, in the enrollments' reason ("after application C-...")


@dataclass(frozen=True)
class Inbox:
    """A branch inbox's filters: each one given must hold; sorted by due date, a page of `PAGE`."""

    wilayat: str | None = None
    governorate: str | None = None
    state: str | None = None
    type: str | None = None
    due_before: date | None = None  # due on or before this day
    assigned_to: str | None = None
    open_only: bool = True
    page: int = 1


@dataclass(frozen=True)
class Message:
    """One message to put in the outbox, rendered already."""

    recipient: str  # a civil number, or role:NAME@WILAYAT for staff
    channel: Delivery
    language: Language
    subject: str
    body: str
    case_id: int | None = None
    person_id: int | None = None
    address: str | None = None  # an e-mail address; an SMS goes to the person's mobile read when sent


@dataclass(frozen=True)
class CaseView:
    """One case as its reader sees it: the record, where it stands, where it may go, what happened."""

    case: dict[str, Any]
    sla: Sla
    moves: tuple[str, ...]  # the states it may move to now
    events: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    evidence: list[dict[str, Any]] = field(default_factory=list)  # its files (no content)


class ConsentChannel(StrEnum):
    """How the person gave their consent to a referral."""

    IN_PERSON = "in_person"  # at a branch's counter, signed
    PHONE = "phone"  # by telephone, to the case worker
    WRITTEN = "written"  # a letter or form received
    WEB = "web"  # through the Fund's website or app


@dataclass(frozen=True)
class Consent:
    """The person's consent to be referred (and to share what the provider needs)."""

    given_by: str  # who gave it: the person, or their guardian or representative (named)
    channel: ConsentChannel | str
    at: datetime | None = None  # when (default: now); not in the future


@dataclass(frozen=True)
class Proposed:
    """What `referrals propose` did for a month."""

    period: str
    proposed: int
    by_rule: dict[str, int]
    held: int  # already proposed for the month, open, or proposed recently (`again_after_months`)
    elsewhere: int  # in a branch the user does not work in
    no_branch: int  # the person has no known wilayat on record
    first: str | None = None  # the first and last case numbers (consecutive)
    last: str | None = None


@dataclass(frozen=True)
class ReferralFilter:
    """A referrals list's filters: each one given must hold; newest first, a page of `PAGE`."""

    period: date | None = None  # the first day of the month it was proposed for
    state: str | None = None
    service: str | None = None
    provider: str | None = None
    wilayat: str | None = None
    page: int = 1
    type: str = "referral"  # the referral case type (the catalogue's)
