"""The worker's part in undoing cancelled registrations, in the batch's transaction: what the first
events did is read from the audit trail before the plan, and what the plan cannot write as registry
rows (a child withdrawn, the enrollments and awards the first event started or ended) is undone after
the batch's rows are written (`reversal.py` decides it)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.events.model import EventKind, InboxState
from himaya.events.planning import Plan
from himaya.events.ports import EventsUnitOfWork
from himaya.events.reversal import EFFECTS, UNDONE, consequences


def effects(uow: EventsUnitOfWork, events: pl.DataFrame) -> pl.DataFrame:
    """The audit entries of the registrations the batch's cancellations cancel (none: no read)."""
    first = events.filter(pl.col("kind") == EventKind.CANCELLATION)["original_id"].drop_nulls().unique().to_list()
    return uow.events.effects(sorted(first)) if first else EFFECTS.clear()


def named(effects: pl.DataFrame) -> pl.Series:
    """The civil numbers of the people the first events changed (their current rows are read too)."""
    people = effects.filter(pl.col("subject").str.starts_with("person:"))
    return people["subject"].str.split(":").list.last().alias("person_id")


def undo(uow: EventsUnitOfWork, events: pl.DataFrame, people: pl.DataFrame, effects: pl.DataFrame,
         decided: Plan) -> list[Change]:  # fmt: skip
    """Withdraw the children of cancelled births, undo the enrollments, reopen the awards and restore
    the survivors' shares of the cancellations the plan applies; each on the audit trail, naming the
    cancellation."""
    if effects.is_empty():
        return []
    applied = decided.outcomes.filter(pl.col("state") == InboxState.APPLIED)["id"].to_list()
    then = consequences(events, people, effects, applied)
    changes: list[Change] = []
    by_child = dict(then["undone"].select("person_id", "cancellation").iter_rows())
    if then["withdrawn"].height:
        uow.events.withdraw(then["withdrawn"])
        changes += [
            Change("person.withdraw", f"person:{r['person_id']}", {"birth_date": r["birth_date"]},
                   {"reason": "birth registration cancelled", "event": by_child.get(r["person_id"])})
            for r in then["withdrawn"].iter_rows(named=True)
        ]  # fmt: skip
    if then["awards"].height:
        uow.events.reopen_awards(then["awards"])
        changes += [Change("insurance.award.reopen", f"award:{a}", None, {"restored": json.loads(b or "{}"),
                    "event": c}) for a, b, c in then["awards"].iter_rows()]  # fmt: skip
    if then["splits"].height:  # after the awards: a pension a death ended for want of survivors is open again
        changes += [_change(c) for c in uow.events.restore_shares(then["splits"], stamp=now())]
    changes += [_change(c) for c in uow.events.undo_enrollments(then["undone"], stamp=now())]
    return changes


def _change(said: dict[str, Any]) -> Change:
    return Change(said["action"], said["subject"], said["before"], said["after"])


def links(events: pl.DataFrame, changes: list[Change], hashes: list[str]) -> pl.DataFrame:
    """The audit entries (their hashes, in the order of `changes`) a cancellation would read back, each
    under its registration: the event that wrote it, or for an applied correction the registration
    it corrects (undone with it). entry_hash, registration, event."""
    corrected = events.filter(pl.col("kind") == EventKind.CORRECTION, pl.col("original_id").is_not_null())
    of = dict(zip(corrected["id"].to_list(), corrected["original_id"].to_list(), strict=True))
    rows = [
        (digest, of.get(event, event), event)
        for change, digest in zip(changes, hashes, strict=True)
        if change.action in UNDONE and isinstance(event := (change.after or {}).get("event"), int)
    ]
    return pl.DataFrame(rows, schema={"entry_hash": pl.String, "registration": pl.Int64, "event": pl.Int64},
                        orient="row")  # fmt: skip
