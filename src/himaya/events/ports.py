"""What the life events' actions need from the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

import polars as pl

from himaya.core.audit import Change
from himaya.core.uow import UnitOfWork
from himaya.events.model import LifeEvent
from himaya.registry.ports import RegistryStore


class EventStore(Protocol):
    def changed(self, events: Sequence[LifeEvent]) -> list[dict[str, Any]]:
        """id, source, source_event_id of the inbox's events that these events name (by source and
        source event id) with another kind, date or facts: the same id, a different document."""

    def receive(
        self, events: Sequence[LifeEvent], *, failed: Sequence[str | None], at: datetime, review: bool = False
    ) -> tuple[int, int, int]:
        """Keep the events not in the inbox yet (by source and source event id; one with a reason as
        failed, or with `review` as needs_review): (kept, already there, kept as failed). One set-based
        insert, whatever the number."""

    def states(self, events: Sequence[LifeEvent]) -> list[dict[str, Any]]:
        """Inbox id, state and reason of each of these events (by source and source event id)."""

    def release_held(self, *, max_attempts: int) -> tuple[int, int]:
        """Held events back to received for one more try; those held `max_attempts` times to review:
        (released, sent to review)."""

    def claim(self, limit: int) -> list[dict[str, Any]]:
        """The next received events, oldest event date first, locked for this transaction: id, source,
        source_event_id, kind, event_date, payload (JSON text), original_kind (of the event corrected)."""

    def people(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """The registry's current rows (the registry contract's columns) of these people and of
        every member of their families."""

    def lifelines(self) -> pl.DataFrame:
        """person_id, birth_date, death_date of everyone in the registry (merged records excluded)."""

    def latest_changes(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """person_id, latest: the last date a recorded change of theirs is effective."""

    def settle(self, outcomes: pl.DataFrame, *, at: datetime) -> int:
        """Record each event's state and reason (id, state, reason), one more attempt; applied_at for
        the applied ones, and with a `family_id` column, the family whose enrollments each applied
        event asks to plan again (kept until `replanned`). Returns the number of events settled."""

    def replan_due(self) -> list[tuple[str, int, str]]:
        """(family number, inbox id, kind) of the applied events whose families' enrollments are not
        planned again yet (a run killed before its re-plan)."""

    def replanned(self, events: Sequence[int]) -> int:
        """These events' families' enrollments are planned again: nothing more is due for them."""

    def effects(self, events: Sequence[int]) -> pl.DataFrame:
        """The audit entries these inbox events and their applied corrections wrote (what they did, as
        `link_effects` kept them), under the event: event, action, subject, before, after; oldest first."""

    def link_effects(self, links: pl.DataFrame) -> None:
        """Keep which audit entries each event wrote (entry_hash, registration: the event or the one it
        corrects, event), in the transaction that wrote them: what `effects` finds by index."""

    def unread(self, civil_numbers: Sequence[str]) -> list[str]:
        """Those of these civil numbers that a person record keeps in no reading of the registry (the
        child of a cancelled birth, a record merged into another)."""

    def withdraw(self, births: pl.DataFrame) -> int:
        """The people of cancelled births (person_id, birth_date) in no reading of the registry, their rows kept."""

    def undo_enrollments(self, undone: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
        """The enrollments cancelled events (event, kind, cancellation, person_id) started ended as never in
        force (their paid lines debts), those they ended active again: each change (action, subject, before, after)."""

    def reopen_awards(self, ended: pl.DataFrame) -> int:
        """The insurance awards (award, before) as they were before a cancelled death ended them."""

    def restore_shares(self, splits: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
        """The survivor pensions' shares cancelled deaths split again (award, after, cancellation) as they
        were, the months paid meanwhile settled (debts, top-ups): each change for the audit trail."""

    def survivor_children(self) -> pl.DataFrame:
        """person_id, birth_date, death_date of the children sharing in a survivor pension now, without
        a disability card (the calendar's age-limit events are theirs)."""

    def survivors_left(self, leavers: pl.DataFrame, *, actor: str) -> list[Change]:
        """The survivors who leave by an applied event (civil_number, day, why: `age_limit` or
        `marriage`, event) out of the pensions they share in, as the insurance's rules say (a widow's
        or daughter's marriage, a child's age limit): the audit entries, each naming its event."""

    def counts(self) -> dict[str, int]:
        """Events by state."""

    def oldest_pending(self) -> tuple[datetime | None, date | None]:
        """(when the oldest event still waiting was received, its event date)."""


class EventsUnitOfWork(UnitOfWork, Protocol):
    @property
    def events(self) -> EventStore: ...

    @property
    def registry(self) -> RegistryStore: ...
