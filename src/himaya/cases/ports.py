"""What the case actions need from the store: `db/stores/cases.py` implements it on the unit's connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

import polars as pl

from himaya.cases.model import EventKind, Inbox, Message, Outgoing, PersonRef, ReferralFilter, Result
from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.core.uow import UnitOfWork
from himaya.registry.ports import RegistryUnitOfWork


class CaseStore(Protocol):
    def next_number(self, year: int) -> int:
        """The next case number of the year (consecutive, never given twice, even to concurrent openers)."""

    def person(self, principal: Principal | None, civil_number: str) -> PersonRef | None:
        """The registered person, if in the user's branches (None: any branch, for a system action)."""

    def name_of(self, person_key: int) -> Text:
        """A registered person's name (given, father's and family name), in English and Arabic."""

    def insert(self, row: Mapping[str, Any]) -> int:
        """A new case; its id."""

    def visible(self, principal: Principal, number: str) -> dict[str, Any] | None:
        """The case, if in the user's branches and, when sensitive, the user may see sensitive cases."""

    def update(self, case_id: int, changes: Mapping[str, Any], *, expected_version: int) -> bool:
        """Apply the changes and bump the version if the case is still at `expected_version`."""

    def version(self, case_id: int) -> int: ...

    def appeals_of(self, case_id: int) -> list[dict[str, Any]]:
        """The appeals against the case (number, state, decision, closed_at), in the order filed."""

    def reverse(self, case_id: int, *, by: str) -> bool:
        """Mark the case's decision reversed by the appeal `by`, if no appeal reversed it yet (False: one did)."""

    def add_event(
        self,
        case_id: int,
        kind: EventKind,
        *,
        actor: str,
        from_state: str | None = None,
        to_state: str | None = None,
        text: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None: ...

    def events(self, case_id: int) -> list[dict[str, Any]]: ...

    def messages(self, case_id: int) -> list[dict[str, Any]]: ...

    def inbox(self, principal: Principal, wanted: Inbox, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """Cases in scope meeting every filter, by due date (no due date last), then number; each
        with what a list shows (number, type, state, due_on, wilayat, governorate, civil_number,
        category, subject, sensitive, assigned_to, version, opened_at), not its form."""

    def due_by(self, principal: Principal, day: date) -> list[dict[str, Any]]:
        """Open cases in scope due on or before `day`, by due date."""

    def escalate(self, case_ids: Sequence[int], *, actor: str) -> None:
        """Mark the cases' current breach as escalated."""

    def user(self, username: str) -> Principal | None:
        """The active account of that name as a principal (roles, permissions now, branches, kind); None
        for an unknown or inactive one."""

    def queue(self, messages: Sequence[Message]) -> int:
        """Put the messages in the outbox (pending); how many."""

    def add_evidence(self, row: Mapping[str, Any]) -> bool:
        """A file of a case; False (nothing written) if the case holds this content already."""

    def evidence(self, case_id: int) -> list[dict[str, Any]]:
        """The case's files, in the order they came."""

    def evidence_file(self, case_id: int, sha256: str) -> dict[str, Any] | None: ...

    def family_people(self, principal: Principal, family_number: str, day: date) -> pl.DataFrame | None:
        """The family's people table on `day` (for the rules), None if not in the user's branches."""


class EvidenceFiles(Protocol):
    """Where evidence content is kept, by its SHA-256 (`adapters/evidence.py`: a folder)."""

    def put(self, sha256: str, content: bytes) -> None:
        """Keep the content (written whole or not at all; kept once whatever the number of puts)."""

    def get(self, sha256: str) -> bytes | None: ...


class CasesUnitOfWork(UnitOfWork, Protocol):
    @property
    def cases(self) -> CaseStore: ...


class OutboxStore(Protocol):
    """The notification outbox as its sender needs it (`db/stores/outbox.py`)."""

    def claim(
        self,
        channels: Sequence[str],
        *,
        resend_safe: Sequence[str],
        token: str,
        at: datetime,
        due_by: datetime,
        lease: int,
        limit: int,
    ) -> list[Outgoing]:
        """Claim up to `limit` messages of the channels that are due (pending, retry time by `due_by`) or
        whose claim is older than `lease` seconds on a `resend_safe` channel; claims older than the
        lease on another channel become uncertain instead. Two senders never claim the same message.
        A claimed message is not handed over before it is taken (`take`)."""

    def take(self, message_id: int, token: str, *, at: datetime) -> Outgoing | None:
        """The claimed message as it is handed over: its lease renewed from `at`, its attempt counted,
        its address fixed (the one it was queued with, else the person's mobile now); None, and
        nothing changed, if it is no longer `sending` under this claim (another sender took it over)."""

    def settle(self, message: Outgoing, token: str, result: Result, *, at: datetime, retry_at: datetime | None) -> bool:
        """Record the result of one claimed message; False if the claim was taken over meanwhile."""

    def counts(self) -> dict[tuple[str, str], int]:
        """Messages by (channel, state)."""

    def troubled(self, limit: int) -> list[dict[str, Any]]:
        """The failed and uncertain messages, newest first, with their last error."""

    def message(self, message_id: int) -> dict[str, Any] | None:
        """The message's id, state, channel, person_id and address, and `registered`: its person's
        mobile on record now (None without a person); None if there is no such message."""

    def reopen(self, message_id: int, state: str, *, expected: str, readdress: bool) -> bool:
        """Move the message from state `expected` to `state` (pending: send again, attempts from 0;
        sent: it was delivered); with `readdress`, its address is cleared, to be read again when it
        is taken. False, and nothing changed, if it is no longer in state `expected`."""


class OutboxUnitOfWork(UnitOfWork, Protocol):
    @property
    def outbox(self) -> OutboxStore: ...


class LetterStore(Protocol):
    """The letters waiting at the branches and their printed batches (`db/stores/letters.py`); every
    read is scoped to the user's branches (and sensitive cases) in the query itself."""

    def take(self, principal: Principal, wilayat: str, *, governorate: str, actor: str, at: datetime) -> int | None:
        """Mark the branch's waiting letters the user may see `printed`, in a new batch (its id; None,
        nothing written, when none is waiting). Letters another printer is taking are skipped."""

    def batch(self, principal: Principal, batch_id: int) -> dict[str, Any] | None:
        """The batch (where, by whom, when, how many) if it is of the user's branches and every one of
        its letters is one the user may see; None otherwise, exactly as a missing one."""

    def letters(self, principal: Principal, batch_id: int) -> list[dict[str, Any]]:
        """The batch's letters, as printed: message, case number, branch, the person's names and place."""

    def waiting(self) -> dict[str, int]:
        """Letters waiting to be printed, by branch (wilayat)."""


class StaffStore(Protocol):
    """The staff messages (`role:ROLE@WILAYAT`) as their recipients read them (`db/stores/staff.py`)."""

    def inbox(self, principal: Principal, *, unread: bool, limit: int) -> list[dict[str, Any]]:
        """The staff messages addressed to a role the user holds at one of their branches, newest first,
        with `read_at` (theirs)."""

    def mark_read(self, principal: Principal, ids: Sequence[int], *, at: datetime) -> list[int]:
        """Record the user's reading of those of `ids` addressed to them; the ids that are not (unknown,
        or someone else's), nothing written for them."""

    def deliver(self, *, at: datetime) -> list[int]:
        """Mark `sent` the waiting staff messages that an active user receives (holds the role at the
        branch, or at every branch); their ids."""

    def unaddressed(self) -> dict[str, int]:
        """Waiting staff messages no active user receives, by recipient."""


class NoticesUnitOfWork(OutboxUnitOfWork, Protocol):
    @property
    def letters(self) -> LetterStore: ...

    @property
    def staff(self) -> StaffStore: ...


class Channel(Protocol):
    """A way to deliver (`adapters/notify.py`): SMTP, an SMS gateway."""

    @property
    def resend_safe(self) -> bool:
        """True: the far end de-duplicates by the message's id, so sending it again is harmless."""

    def send(self, message: Outgoing) -> Result: ...


class StopStore(Protocol):
    """The benefits stopped by the enrollment sync, as decisions (`db/stores/stops.py`): set-based."""

    def places(self, person_keys: pl.Series) -> pl.DataFrame:
        """person_key, wilayat, governorate, mobile of the given people (one statement)."""

    def reserve_numbers(self, year: int, count: int) -> int:
        """The first of `count` case numbers of the year, reserved by one update of its counter."""

    def insert(self, rows: pl.DataFrame, *, constants: Mapping[str, Any]) -> int:
        """The staged decisions as cases, their `decided` events and their messages in the outbox: one
        statement per table for the batch."""

    def restore(self, person_key: int, programme: str, since: date, *, reason: str) -> bool:
        """The person's enrollment in `programme` in force again from `since` (the one ended the month
        before, reactivated; or the one in force since, dated back); False: none to restore."""


class ExceptionStore(Protocol):
    """A supervisor's exceptions (`db/stores/exceptions.py`): an override that holds in the payroll."""

    def add(self, row: Mapping[str, Any]) -> int:
        """A new exception; its id."""

    def overlapping(self, person_key: int, programme: str, first: date, last: date) -> dict[str, Any] | None:
        """An exception of the person and programme in force in some month from `first` to `last`."""

    def in_force(self, principal: Principal, month: date) -> list[dict[str, Any]]:
        """The exceptions in force in the month, of the people the user may read."""

    def get(self, principal: Principal, exception_id: int) -> dict[str, Any] | None:
        """The exception, if of a person the user may read."""

    def end(self, exception_id: int, *, expected_version: int, until: date, by: str, reason: str, at: datetime) -> bool:
        """Its until month moved back, if still at `expected_version`."""


class ApplicationsUnitOfWork(CasesUnitOfWork, RegistryUnitOfWork, Protocol):
    """Deciding an application writes the registry's facts in the decision's transaction."""

    @property
    def stops(self) -> StopStore: ...

    @property
    def exceptions(self) -> ExceptionStore: ...


class ReferralStore(Protocol):
    """The referrals' side of the store (`db/stores/referrals.py`): a referral is a case of the
    referral type with a row saying its service, provider, month, consent and when it was sent."""

    def people(self, period: Period) -> pl.DataFrame:
        """The registry at the period's end as a people table, with each person's row id (`person_key`)."""

    def people_of(self, period: Period, civil_numbers: pl.Series) -> pl.DataFrame:
        """The same, at that period's end, for these people only."""

    def places(self, person_keys: pl.Series) -> pl.DataFrame:
        """person_key, wilayat, governorate: where each of these people lives now."""

    def held(self, wanted: pl.DataFrame) -> pl.DataFrame:
        """For the (person_key, service) pairs wanted, their referrals: person_key, service, month (the
        month it was proposed for, or opened in), open (not closed)."""

    def reserve_numbers(self, year: int, count: int) -> int:
        """The first of `count` consecutive case numbers of the year, locked until the transaction
        ends (`count` 0 only takes the lock: a second proposer waits, then sees the first's proposals)."""

    def insert_proposals(self, rows: pl.DataFrame, *, constants: Mapping[str, Any]) -> int:
        """The batch's cases, their opening events and their referral rows, one statement each."""

    def visible(self, principal: Principal, number: str) -> dict[str, Any] | None:
        """The referral with its case and person, if the user may see it: a case of their branches
        (case.read), or one sent to a provider of theirs with the person's consent (referral.respond)."""

    def listing(self, principal: Principal, wanted: ReferralFilter, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """The referrals the user may see meeting every filter, newest first."""

    def save(self, case_id: int, values: Mapping[str, Any]) -> None:
        """Write the referral row of the case (made if the case was opened by hand)."""


class ReferralsUnitOfWork(CasesUnitOfWork, Protocol):
    @property
    def referrals(self) -> ReferralStore: ...
