"""Life events: their kinds, the inbox's states, and what lands in the inbox.

An event arrives from a source (a civil registry's FHIR bundle, a file, the calendar), is kept in
the inbox under (source, source event id) exactly once, and is applied by the worker. The states
are enums; the inbox table's CHECK constraints are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from himaya.core.events import Event


class EventKind(StrEnum):
    BIRTH = "birth"
    DEATH = "death"
    MARRIAGE = "marriage"
    DIVORCE = "divorce"
    TURNED_60 = "turned_60"  # the calendar's: the age of the elderly benefit
    TURNED_18 = "turned_18"  # the calendar's: the end of the child benefit
    SURVIVOR_AGE_LIMIT = "survivor_age_limit"  # the calendar's: a child's share of a survivor pension ends
    DISABILITY_CARD_EXPIRED = "disability_card_expired"
    CORRECTION = "correction"  # a registration corrected: new values of an earlier event's facts
    CANCELLATION = "cancellation"  # a registration cancelled: what the earlier event did is undone
    ADOPTION = "adoption"  # a child into the adoptive parents' family
    FETAL_DEATH = "fetal_death"  # recorded for the mother: nobody is registered, no benefit changes


class InboxState(StrEnum):
    RECEIVED = "received"  # waiting for the worker
    APPLIED = "applied"  # written to the registry, with its audit entry
    HELD = "held"  # out of order (a death of a person not yet known): retried on the next run
    FAILED = "failed"  # malformed (bad FHIR, impossible date, unknown code): kept with its reason
    NEEDS_REVIEW = "needs_review"  # well formed, but not applied without a registrar: the reason says why
    DUPLICATE = "duplicate"  # the registry holds this fact already (e.g. the same death from two sources)


PENDING = (InboxState.RECEIVED, InboxState.HELD)  # what the worker picks up
CALENDAR = "calendar"  # the source of the events `himaya events scan` makes


@dataclass(frozen=True)
class LifeEvent:
    """One event as a source tells it, in the people table's words.

    `facts` holds what the event says, under the people table's column names: `person_id` (the
    person the event is about: the child born, the deceased, one spouse), `mother_id`, `father_id`,
    `spouse_id`, `sex`, `nationality`, the name columns (`given_name_en`, ...), `status` (the
    registration's status at the source), and for a correction or cancellation `corrects` (the
    source event id of the registration it corrects) and the corrected values. `problem`: why the
    source's document could not be read as an event (it is kept as failed with that reason).
    """

    source: str
    source_event_id: str
    kind: str
    event_date: date | None
    facts: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True)
class Received:
    """What one receipt did: how many events were new, how many the inbox had already, how many failed."""

    received: int = 0  # kept in the inbox (the failed ones too)
    duplicate: int = 0  # the inbox had them already: nothing changed
    failed: int = 0  # malformed among those received: kept as failed with the reason
    not_yet: int = 0  # the calendar's: the month's events after today, made by a scan on or after their day


@dataclass(frozen=True)
class Processed:
    """What one run of the worker did, by the state each event it looked at ended in."""

    applied: int = 0
    held: int = 0
    failed: int = 0
    needs_review: int = 0
    duplicate: int = 0
    batches: int = 0

    def __add__(self, other: Processed) -> Processed:
        return Processed(
            applied=self.applied + other.applied,
            held=self.held + other.held,
            failed=self.failed + other.failed,
            needs_review=self.needs_review + other.needs_review,
            duplicate=self.duplicate + other.duplicate,
            batches=self.batches + other.batches,
        )


@dataclass(frozen=True)
class LifeEventsApplied(Event):
    """Events were applied to the registry (told after the worker's transaction committed): the
    enrollments of their families are planned again for the month."""

    causes: tuple[tuple[str, int, str], ...]  # (family number, inbox id, kind) of each applied event
    actor: str

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(sorted({family for family, _, _ in self.causes}))

    def notes(self) -> dict[str, str]:
        """Each family's events, as the reason of the enrollments they start or end says them."""
        said: dict[str, list[str]] = {}
        for family, event, kind in sorted(self.causes):
            said.setdefault(family, []).append(f"{kind} (event {event})")
        return {family: "after life event " + ", ".join(events) for family, events in said.items()}
