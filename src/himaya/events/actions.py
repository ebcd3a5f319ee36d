"""The life events' use cases: receive events into the inbox, scan the calendar, run the worker,
tell the inbox's state.

The worker applies a batch of events in one transaction: the registry's rows written through the
registry's own write path (the contract's validation, then the import of those rows, dated by each
event), every event's state and its audit entry, and the family each applied event asks to plan
again. Once the run's batches are committed (or the run stops on an error), one `LifeEventsApplied`
has the enrollments of every family concerned planned again, in one pass rather than one per batch;
the families stay due in the inbox until then, so that a run killed before it leaves them to the next.
A batch that cannot be written whole (one event breaks a rule the plan could not see) is applied
again one event at a time, so that a bad event is kept as failed with its reason and never stops the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import polars as pl

from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ConflictError, HimayaError, InputTableError
from himaya.core.faults import checkpoint
from himaya.core.periods import Period
from himaya.events import undo
from himaya.events.model import (
    CALENDAR,
    EventKind,
    InboxState,
    LifeEvent,
    LifeEventsApplied,
    Processed,
    Received,
)
from himaya.events.planning import changing, event_frame, plan
from himaya.events.ports import EventsUnitOfWork
from himaya.events.rules import FACTS, calendar_events, problem
from himaya.registry.ports import RecordContract

S = InboxState
MAX_ATTEMPTS = 5  # runs an event is held for before a registrar looks at it
BATCH = 20_000


def receive(
    uow: EventsUnitOfWork,
    events: Sequence[LifeEvent],
    *,
    today: date,
    actor: str,
    guard: Callable[[], None] | None = None,
    review: Sequence[tuple[LifeEvent, str]] = (),
) -> Received:
    """Keep the events in the inbox, once each: one already there (the same source, event id and
    document) is a duplicate and changes nothing; a malformed one is kept as failed with its reason.
    One the inbox holds under its id with another kind, date or facts is not dropped as a duplicate:
    it is kept for a registrar (needs_review, under `<id>#changed:<digest>`), the others are received,
    and ConflictError (409) names it once the receipt is committed. (The calendar's events are
    Himaya's own reading of the registry: one made again after a birth date was corrected is a duplicate.)
    `guard`: the source's own check (a DCI subscription still on), run in the receipt's transaction.
    `review`: events kept for a registrar (needs_review) with the reason (a person not matched:
    `matching.py`), once each as the others."""
    reasons = [problem(e, today=today) for e in events]
    with uow:
        if guard is not None:
            guard()
        told = [e for e in events if e.source != CALENDAR]  # the calendar's own events follow the registry
        holding = {(r["source"], r["source_event_id"]): r["id"] for r in uow.events.changed(told)}
        fresh = [(e, r) for e, r in zip(events, reasons, strict=True) if (e.source, e.source_event_id) not in holding]
        kept, duplicate, failed = uow.events.receive([e for e, _ in fresh], failed=[r for _, r in fresh], at=now())
        changed = [e for e in events if (e.source, e.source_event_id) in holding]
        reviews = [_for_review(e, holding[(e.source, e.source_event_id)]) for e in changed]
        uow.events.receive([e for e, _ in reviews], failed=[r for _, r in reviews], at=now(), review=True)
        if review:  # kept for a registrar as received events, each once
            held, again, _ = uow.events.receive([e for e, _ in review], failed=[r for _, r in review], at=now(),
                                                review=True)  # fmt: skip
            kept, duplicate = kept + held, duplicate + again
        sources = sorted({e.source for e in [*events, *(e for e, _ in review)]})
        said: dict[str, Any] = {"given": len(events) + len(review), "kept": kept, "duplicate": duplicate}
        said["failed_on_receipt"] = failed
        if changed:
            said["changed"] = [e.source_event_id for e in changed]
        if review:
            said["for_review"] = [e.source_event_id for e, _ in review]
        uow.audit.record([Change("events.receive", f"inbox:{','.join(sources)}", None, said)], actor=actor)
        uow.commit()
    if changed:
        ids = ", ".join(f"{e.source} {e.source_event_id!r}" for e in changed[:5])
        raise ConflictError(
            f"{ids}: the inbox holds a different document under this id; the new one is kept for review"
            f" ({', '.join(e.source_event_id for e, _ in reviews[:5])}), not applied"
        )
    return Received(received=kept, duplicate=duplicate, failed=failed)


def _for_review(event: LifeEvent, held: int) -> tuple[LifeEvent, str]:
    """The changed document as an event of its own for a registrar: its id the first's and its digest
    (the same changed document sent again is one review), with the reason."""
    content = json.dumps([event.kind, str(event.event_date), event.facts], sort_keys=True, default=str)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    reason = (
        f"a different document under {event.source} id {event.source_event_id!r}, whose first document is"
        f" inbox event {held}: which one holds is for a registrar to decide"
    )
    again = LifeEvent(event.source, f"{event.source_event_id[:100]}#changed:{digest}", event.kind,
                      event.event_date, event.facts)  # fmt: skip
    return again, reason


def states(uow: EventsUnitOfWork, events: Sequence[LifeEvent]) -> list[dict[str, Any]]:
    with uow:
        return uow.events.states(events)


def scan(
    uow: EventsUnitOfWork, period: Period, *, today: date, actor: str, survivor_age: int | None = None
) -> Received:
    """The calendar's events of the month (turning 60, turning 18) for the whole registry, from one
    vectorised pass over the birth dates, into the inbox like any other source's; with `survivor_age`
    (the survivors' child age limit), a `survivor_age_limit` event for each child sharing in a survivor
    pension without a disability card who reaches it in the month."""
    with uow:
        people = uow.events.lifelines()
        children = uow.events.survivor_children() if survivor_age is not None else None
    made = calendar_events(people, period)
    if children is not None and survivor_age is not None:
        made = pl.concat([made, calendar_events(children, period, ages={EventKind.SURVIVOR_AGE_LIMIT: survivor_age})])
    not_yet = made.filter(pl.col("event_date") > today).height
    made = made.filter(pl.col("event_date") <= today)
    events = [
        LifeEvent(CALENDAR, row["source_event_id"], row["kind"], row["event_date"], {"person_id": row["person_id"]})
        for row in made.iter_rows(named=True)
    ]
    return replace(receive(uow, events, today=today, actor=actor), not_yet=not_yet)


def process(
    uow: EventsUnitOfWork,
    contract: RecordContract,
    *,
    actor: str,
    batch: int = BATCH,
    max_attempts: int = MAX_ATTEMPTS,
) -> Processed:
    """Apply the inbox's waiting events, a batch per transaction, until none is left; the events
    held by an earlier run get one more try (and go to review after `max_attempts`)."""
    with uow:
        released, reviewed = uow.events.release_held(max_attempts=max_attempts)
        if released or reviewed:
            uow.audit.record(
                [Change("events.release", "inbox:held", None, {"released": released, "to_review": reviewed})],
                actor=actor,
            )
        # Of the committed batches, this run's and any earlier run's killed before its re-plan:
        # their families' enrollments planned again once, when the run ends.
        causes = uow.events.replan_due()
        uow.commit()
    total = Processed(needs_review=reviewed)
    try:
        while True:
            with uow:
                rows = uow.events.claim(batch)
                if not rows:
                    break
                try:
                    done = _apply(uow, contract, rows, actor=actor, causes=causes)
                except HimayaError:
                    done = None  # rolled back as the block ends: each event on its own below
            ids = [r["id"] for r in rows]
            total += done if done is not None else _one_by_one(uow, contract, ids, actor=actor, causes=causes)
            checkpoint("events.process:committed")
    finally:
        if causes:
            with uow:
                uow.emit(LifeEventsApplied(tuple(causes), actor=actor))
                uow.commit()
    return total


def _one_by_one(
    uow: EventsUnitOfWork, contract: RecordContract, ids: list[int], *, actor: str, causes: list[tuple[str, int, str]]
) -> Processed:
    total = Processed()
    for event_id in ids:
        with uow:
            rows = [r for r in uow.events.claim(len(ids)) if r["id"] == event_id]
            if not rows:
                continue
            try:
                total += _apply(uow, contract, rows, actor=actor, causes=causes)
                continue
            except HimayaError as error:
                reason = _reason(error)
        with uow:  # the failed attempt rolled back; the event is kept as failed with its reason
            uow.events.settle(_outcomes([event_id], S.FAILED, reason), at=now())
            uow.audit.record([Change("event.failed", f"event:{event_id}", None, {"reason": reason})], actor=actor)
            uow.commit()
        total += Processed(failed=1)
    return total


def _reason(error: HimayaError) -> str:
    if isinstance(error, InputTableError):  # which value of the event's registry rows broke which rule
        said = "; ".join(f"{p.column} {p.value!r}: {p.rule}" for p in error.problems[:5])
        return f"the registry's contract refused the event's rows: {said}"[:1000]
    return str(error)[:1000]


def _outcomes(ids: list[int], state: InboxState, reason: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": ids, "state": [state.value] * len(ids), "reason": [reason] * len(ids)},
        schema={"id": pl.Int64, "state": pl.String, "reason": pl.String},
    )


def _apply(
    uow: EventsUnitOfWork,
    contract: RecordContract,
    rows: list[dict[str, Any]],
    *,
    actor: str,
    causes: list[tuple[str, int, str]],
) -> Processed:
    """One batch in the caller's transaction: plan, write, settle, audit, commit; once committed,
    `causes` has the (family, event, kind) of its applied events, for the run's re-plan."""
    for row in rows:
        row.update({k: _fact(v) for k, v in json.loads(row["payload"] or "{}").items() if k in FACTS})
    events = event_frame(rows, FACTS)
    effects = undo.effects(uow, events)  # what the registrations cancelled did (none: no read)
    named = pl.concat([events[c] for c in ("person_id", "mother_id", "father_id", "spouse_id")]).drop_nulls()
    people = uow.events.people(pl.concat([named, undo.named(effects)]).unique().to_list())
    decided = plan(events, people, uow.events.latest_changes, effects, unread=_unread(uow, events, people))
    changes = _write(uow, contract, changing(decided.records, people), people, actor=actor)
    changes += undo.undo(uow, events, people, effects, decided)
    changes += _leavers(uow, events, decided.outcomes, actor=actor)
    checkpoint("events.process:written")
    settled = decided.outcomes
    uow.events.settle(settled.select("id", "state", "reason", "family_id"), at=now())
    entries = _entries(rows, settled)
    written = uow.audit.record([*entries, *changes], actor=actor)
    uow.events.link_effects(undo.links(events, changes, written[len(entries) :]))
    checkpoint("events.process:settled")
    applied = settled.filter(pl.col("state") == S.APPLIED, pl.col("family_id").is_not_null())
    kinds = {r["id"]: r["kind"] for r in rows}
    uow.commit()
    causes.extend((f, i, kinds[i]) for f, i in applied.select("family_id", "id").iter_rows())
    counts = settled.group_by("state").len()
    by_state = dict(zip(counts["state"].to_list(), counts["len"].to_list(), strict=True))
    return Processed(**{s.value: by_state.get(s.value, 0) for s in (S.APPLIED, S.HELD, S.FAILED, S.NEEDS_REVIEW,
                                                                     S.DUPLICATE)}, batches=1)  # fmt: skip


def _unread(uow: EventsUnitOfWork, events: pl.DataFrame, people: pl.DataFrame) -> list[str]:
    """The births' children not in the registry's reading whom a record keeps all the same (none: no read)."""
    known = people["person_id"].implode()
    children = events.filter(pl.col("kind") == EventKind.BIRTH, ~pl.col("person_id").is_in(known))
    return uow.events.unread(children["person_id"].drop_nulls().to_list())


def _leavers(uow: EventsUnitOfWork, events: pl.DataFrame, outcomes: pl.DataFrame, *, actor: str) -> list[Change]:
    """The survivors the batch's applied events may let leave a survivor pension (a child's age
    limit; the spouses of a marriage), for the insurance's rules to decide (`survivors_left`)."""
    applied = events.join(outcomes.filter(pl.col("state") == S.APPLIED).select("id"), on="id")
    kinds = {EventKind.SURVIVOR_AGE_LIMIT.value: "age_limit", EventKind.MARRIAGE.value: "marriage"}
    mine = applied.filter(pl.col("kind").is_in(list(kinds)))
    if not mine.height:
        return []
    why = pl.col("kind").replace_strict(kinds, return_dtype=pl.String).alias("why")
    leavers = pl.concat(
        mine.filter(pl.col(who).is_not_null()).select(
            pl.col(who).alias("civil_number"), pl.col("event_date").alias("day"), why, pl.col("id").alias("event")
        )
        for who in ("person_id", "spouse_id")
    ).unique("civil_number", keep="first", maintain_order=True)  # fmt: skip
    return uow.events.survivors_left(leavers, actor=actor)


def _fact(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _write(
    uow: EventsUnitOfWork, contract: RecordContract, records: pl.DataFrame, people: pl.DataFrame, *, actor: str
) -> list[Change]:
    """The registry's rows through the registry's write path: the contract's validation of the whole
    batch, then one import of them, each row dated by its event (its history starts on that day;
    `people`, the batch's current rows, are what the import compares with). A death written there
    ends the person's insurance awards (the import's own consequence, as for any registry write):
    each entry names the event of the person it concerns."""
    if records.is_empty():
        return []
    checked = contract.validate_frame(records.drop("event_id", "as_of"), source="the life events")
    checked = checked.with_columns(records["as_of"])
    first = min(checked["as_of"].to_list())
    _c, _u, _f, updated = uow.registry.import_rows(checked, as_of=first, expected_version=None, actor=actor,
                                                   before=people)  # fmt: skip
    known = set(people["person_id"].to_list())
    cause = dict(zip(records["person_id"].to_list(), records["event_id"].to_list(), strict=True))
    changes = [Change(c.action, c.subject, c.before, {**(c.after or {}), "event": _cause(c, cause)}) for c in updated]
    changes += [
        Change("person.create", f"person:{r['person_id']}", None,
               {"family": r["family_id"], "valid_from": r["as_of"], "event": r["event_id"]})
        for r in records.filter(~pl.col("person_id").is_in(list(known))).iter_rows(named=True)
    ]  # fmt: skip
    return changes


def _cause(change: Change, cause: dict[str, Any]) -> Any:
    """The event behind a change: of the person changed, or of the person whose award it ends."""
    person = (change.after or {}).get("person") if change.subject.startswith("award:") else None
    return cause.get(person or change.subject.split(":")[-1])


def _entries(rows: list[dict[str, Any]], outcomes: pl.DataFrame) -> list[Change]:
    by_id = {r["id"]: r for r in rows}
    return [
        Change(
            f"event.{o['state']}",
            f"event:{o['id']}",
            None,
            {
                "source": by_id[o["id"]]["source"],
                "source_event_id": by_id[o["id"]]["source_event_id"],
                "kind": by_id[o["id"]]["kind"],
                "event_date": by_id[o["id"]]["event_date"],
                "person": o["subject"],
                "family": o["family_id"],
                "reason": o["reason"],
            },
        )
        for o in outcomes.iter_rows(named=True)
    ]


@dataclass(frozen=True)
class Status:
    counts: dict[str, int]
    oldest_received: datetime | None  # the oldest event still waiting (received or held)
    oldest_event_date: date | None
    lag_seconds: float | None  # how long it has waited
    replan_due: int = 0  # applied events whose families' enrollments a killed run did not plan again


def status(uow: EventsUnitOfWork) -> Status:
    with uow:
        counts = uow.events.counts()
        received, event_date = uow.events.oldest_pending()
        due = len(uow.events.replan_due())
    lag = None if received is None else max(0.0, (now() - received).total_seconds())
    return Status({s.value: counts.get(s.value, 0) for s in InboxState}, received, event_date, lag, due)
