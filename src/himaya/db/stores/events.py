"""The life events' store behind `events.ports.EventStore`: set-based statements on the unit of
work's connection (a whole receipt, a batch's states: one staged table and one statement each)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import DropTable

from himaya.core.audit import Change
from himaya.db import staging
from himaya.db.event_tables import event_inbox
from himaya.db.frames import read_frame
from himaya.db.registry_facts import temporals
from himaya.db.snapshot import people_query, read_people
from himaya.db.stores import award_shares
from himaya.db.stores import event_reversal as reversal
from himaya.db.tables import membership, person
from himaya.events.model import InboxState, LifeEvent
from himaya.policy.packs import load_pack

S = InboxState
COUNTED = {"preserve_rowcount": True}
INBOX_COLUMNS = ("source", "source_event_id", "kind", "subject", "payload", "event_date", "state", "reason")


def _payload(event: LifeEvent) -> str:
    return json.dumps(event.facts, sort_keys=True, ensure_ascii=False, default=str)


class SqlEventStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _stage(self, name: str, frame: pl.DataFrame, index: str | None = None) -> Table:
        table = staging.load(self.connection, name, frame, index=index)
        # A fresh table has no statistics to plan with (SQLite then takes it for a million rows, and
        # reads a whole registry table beside it rather than finding the staged people's rows).
        self.connection.execute(text(f"ANALYZE {table.name}"))
        return table

    def _keys(self, events: Sequence[LifeEvent]) -> Table:
        keys = pl.DataFrame(
            {"source": [e.source for e in events], "source_event_id": [e.source_event_id for e in events]},
            schema={"source": pl.String, "source_event_id": pl.String},
        )
        return self._stage("event_keys", keys, index="source_event_id")

    def changed(self, events: Sequence[LifeEvent]) -> list[dict[str, Any]]:
        if not events:
            return []
        frame = pl.DataFrame(
            {
                "source": [e.source for e in events],
                "source_event_id": [e.source_event_id for e in events],
                "kind": [e.kind for e in events],
                "payload": [_payload(e) for e in events],
                "event_date": [e.event_date for e in events],
            },
            schema={"source": pl.String, "source_event_id": pl.String, "kind": pl.String, "payload": pl.String,
                    "event_date": pl.Date},
        )  # fmt: skip
        s = self._stage("event_again", frame, index="source_event_id")
        i = event_inbox.c
        rows = self.connection.execute(
            select(i.id, i.source, i.source_event_id)
            .join(s, and_(s.c.source == i.source, s.c.source_event_id == i.source_event_id))
            .where(or_(i.kind != s.c.kind, i.payload != s.c.payload, i.event_date.is_distinct_from(s.c.event_date)))
            .order_by(i.id)
        ).mappings().all()  # fmt: skip
        self.connection.execute(DropTable(s))
        return [dict(r) for r in rows]

    def receive(
        self, events: Sequence[LifeEvent], *, failed: Sequence[str | None], at: datetime, review: bool = False
    ) -> tuple[int, int, int]:
        if not events:
            return 0, 0, 0
        frame = pl.DataFrame(
            {
                "source": [e.source for e in events],
                "source_event_id": [e.source_event_id for e in events],
                "kind": [e.kind for e in events],
                "subject": [_text(e.facts.get("person_id")) for e in events],
                "payload": [_payload(e) for e in events],
                "event_date": [e.event_date for e in events],
                "state": [
                    S.RECEIVED.value if r is None else (S.NEEDS_REVIEW if review else S.FAILED).value for r in failed
                ],
                "reason": list(failed),
            },
            schema={**dict.fromkeys(INBOX_COLUMNS, pl.String), "event_date": pl.Date},
        )
        # The first of the same event given twice in one receipt, and none the inbox has already.
        frame = frame.unique(["source", "source_event_id"], keep="first", maintain_order=True)
        s = self._stage("event_receipt", frame, index="source_event_id")
        there = exists().where(event_inbox.c.source == s.c.source, event_inbox.c.source_event_id == s.c.source_event_id)
        chosen = select(*(s.c[c] for c in INBOX_COLUMNS), literal(at).label("received_at")).where(~there)
        malformed = self.connection.execute(select(func.count()).where(~there, s.c.state == S.FAILED)).scalar_one()
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(event_inbox)
            .from_select([*INBOX_COLUMNS, "received_at"], chosen)
            .on_conflict_do_nothing(index_elements=["source", "source_event_id"])  # a receiver at the same time
        )
        kept = int(self.connection.execute(statement, execution_options=COUNTED).rowcount or 0)
        self.connection.execute(DropTable(s))
        return kept, len(events) - kept, min(int(malformed), kept)

    def states(self, events: Sequence[LifeEvent]) -> list[dict[str, Any]]:
        s = self._keys(events)
        rows = self.connection.execute(
            select(event_inbox.c.id, event_inbox.c.source, event_inbox.c.source_event_id, event_inbox.c.state,
                   event_inbox.c.reason)
            .join(s, and_(s.c.source == event_inbox.c.source, s.c.source_event_id == event_inbox.c.source_event_id))
            .order_by(event_inbox.c.id)
        ).mappings().all()  # fmt: skip
        self.connection.execute(DropTable(s))
        return [dict(r) for r in rows]

    def release_held(self, *, max_attempts: int) -> tuple[int, int]:
        held = event_inbox.c.state == S.HELD
        reviewed = self.connection.execute(
            update(event_inbox)
            .where(held, event_inbox.c.attempts >= max_attempts)
            .values(
                state=S.NEEDS_REVIEW.value,
                reason=literal(f"held on {max_attempts} runs, last: ") + func.coalesce(event_inbox.c.reason, ""),
            ),
            execution_options=COUNTED,
        ).rowcount
        released = self.connection.execute(
            update(event_inbox).where(held).values(state=S.RECEIVED.value), execution_options=COUNTED
        ).rowcount
        return int(released or 0), int(reviewed or 0)

    def claim(self, limit: int) -> list[dict[str, Any]]:
        query = (
            select(event_inbox.c.id, event_inbox.c.source, event_inbox.c.source_event_id, event_inbox.c.kind,
                   event_inbox.c.event_date, event_inbox.c.payload)
            .where(event_inbox.c.state == S.RECEIVED)
            .order_by(event_inbox.c.event_date, event_inbox.c.id)
            .limit(limit)
        )  # fmt: skip
        if self.connection.dialect.name == "postgresql":  # another worker takes the next batch, not this one
            query = query.with_for_update(skip_locked=True)
        rows = [dict(r) for r in self.connection.execute(query).mappings().all()]
        # A correction or cancellation: the kind of the registration it corrects (same source).
        wanted = {(r["source"], c) for r in rows if (c := json.loads(r["payload"] or "{}").get("corrects"))}
        kinds: dict[tuple[str, str], tuple[str, int, date, str]] = {}
        if wanted:
            key = tuple_(event_inbox.c.source, event_inbox.c.source_event_id)
            found = self.connection.execute(
                select(event_inbox.c.source, event_inbox.c.source_event_id, event_inbox.c.kind, event_inbox.c.id,
                       event_inbox.c.event_date, event_inbox.c.state).where(key.in_(sorted(wanted)))
            ).all()  # fmt: skip
            kinds = {(source, event): (kind, i, day, state) for source, event, kind, i, day, state in found}
        for r in rows:
            first = kinds.get((r["source"], json.loads(r["payload"] or "{}").get("corrects")))
            r["original_kind"], r["original_id"], r["original_date"], r["original_state"] = first or (None,) * 4
        return rows

    def effects(self, events: Sequence[int]) -> pl.DataFrame:
        return reversal.effects(self.connection, events)

    def link_effects(self, links: pl.DataFrame) -> None:
        reversal.link(self.connection, links)

    def unread(self, civil_numbers: Sequence[str]) -> list[str]:
        if not civil_numbers:
            return []
        kept = select(person.c.civil_number).where(person.c.civil_number.in_(list(civil_numbers)))
        return [r[0] for r in self.connection.execute(kept)]

    def withdraw(self, births: pl.DataFrame) -> int:
        return reversal.withdraw(self.connection, births)

    def undo_enrollments(self, undone: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
        return reversal.undo_enrollments(self.connection, undone, stamp=stamp)

    def reopen_awards(self, ended: pl.DataFrame) -> int:
        return reversal.reopen_awards(self.connection, ended)

    def restore_shares(self, splits: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
        return reversal.restore_shares(self.connection, splits, stamp=stamp)

    def survivor_children(self) -> pl.DataFrame:
        return award_shares.survivor_children(self.connection)

    def survivors_left(self, leavers: pl.DataFrame, *, actor: str) -> list[Change]:
        return award_shares.after_leavers(self.connection, leavers, actor=actor)

    def people(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        named = pl.DataFrame({"civil_number": list(civil_numbers)}, schema={"civil_number": pl.String})
        s = self._stage("event_people", named, index="civil_number")
        families = (
            select(membership.c.family_id)
            .join(person, person.c.id == membership.c.person_id)
            .where(membership.c.valid_to.is_(None), person.c.civil_number.in_(select(s.c.civil_number)))
        )
        members = (
            select(person.c.civil_number.label("person_id"))
            .join(membership, membership.c.person_id == person.c.id)
            .where(membership.c.valid_to.is_(None), membership.c.family_id.in_(families))
            .subquery("members")
        )
        frame = read_people(self.connection, people_query(None, registry=True, only=members))
        self.connection.execute(DropTable(s))
        return frame

    def lifelines(self) -> pl.DataFrame:
        query = select(person.c.civil_number.label("person_id"), person.c.birth_date, person.c.death_date).where(
            person.c.merged_into.is_(None)
        )
        schema: dict[str, pl.DataType] = {"person_id": pl.String(), "birth_date": pl.Date(), "death_date": pl.Date()}
        return read_frame(self.connection, query, schema)

    def latest_changes(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        schema = pl.Schema({"person_id": pl.String(), "latest": pl.Date()})
        if not civil_numbers:
            return pl.DataFrame(schema=schema)
        named = pl.DataFrame({"civil_number": list(civil_numbers)}, schema={"civil_number": pl.String})
        s = self._stage("event_latest", named, index="civil_number")
        arms = [  # as the import's own back-dating check; one statement for the ten tables
            select(s.c.civil_number, func.max(t.table.c.valid_from), func.max(t.table.c.valid_to))
            .join(person, person.c.civil_number == s.c.civil_number)
            .join(t.table, t.table.c.person_id == person.c.id)
            .group_by(s.c.civil_number)
            for t in temporals(load_pack().registry_facts)
        ]
        rows = self.connection.execute(union_all(*arms)).all()
        self.connection.execute(DropTable(s))
        frame = pl.DataFrame(rows, schema={"person_id": pl.String, "a": pl.Date, "b": pl.Date}, orient="row")
        latest = frame.select("person_id", pl.max_horizontal("a", "b").alias("latest"))
        return latest.group_by("person_id").agg(pl.col("latest").max()).drop_nulls("latest").cast(schema)

    def settle(self, outcomes: pl.DataFrame, *, at: datetime) -> int:
        if outcomes.is_empty():
            return 0
        if "family_id" not in outcomes.columns:
            outcomes = outcomes.with_columns(pl.lit(None, pl.String).alias("family_id"))
        s = self._stage("event_outcome", outcomes.select("id", "state", "reason", "family_id"), index="id")
        applied = s.c.state == S.APPLIED.value
        result = self.connection.execute(  # one UPDATE ... FROM the staged states (both databases)
            update(event_inbox)
            .where(event_inbox.c.id == s.c.id)
            .values(
                state=s.c.state,
                reason=s.c.reason,
                attempts=event_inbox.c.attempts + 1,
                applied_at=case((applied, literal(at)), else_=event_inbox.c.applied_at),
                replan_family=case((applied, s.c.family_id), else_=event_inbox.c.replan_family),
            ),
            execution_options=COUNTED,
        )
        self.connection.execute(DropTable(s))
        return int(result.rowcount or 0)

    def replan_due(self) -> list[tuple[str, int, str]]:
        i = event_inbox.c
        rows = self.connection.execute(
            select(i.replan_family, i.id, i.kind).where(i.replan_family.is_not(None)).order_by(i.id)
        ).all()
        return [(str(f), int(i), str(k)) for f, i, k in rows]

    def replanned(self, events: Sequence[int]) -> int:
        if not events:
            return 0
        s = self._stage("event_replanned", pl.DataFrame({"id": list(events)}, schema={"id": pl.Int64}), index="id")
        result = self.connection.execute(
            update(event_inbox).where(event_inbox.c.id == s.c.id).values(replan_family=None),
            execution_options=COUNTED,
        )
        self.connection.execute(DropTable(s))
        return int(result.rowcount or 0)

    def counts(self) -> dict[str, int]:
        rows = self.connection.execute(select(event_inbox.c.state, func.count()).group_by(event_inbox.c.state)).all()
        return {state: int(n) for state, n in rows}

    def oldest_pending(self) -> tuple[datetime | None, date | None]:
        pending = event_inbox.c.state.in_([S.RECEIVED.value, S.HELD.value])
        row = self.connection.execute(
            select(func.min(event_inbox.c.received_at), func.min(event_inbox.c.event_date)).where(pending)
        ).one()
        received = row[0]
        if isinstance(received, datetime) and received.tzinfo is None:  # SQLite gives the UTC time back naive
            received = received.replace(tzinfo=UTC)
        return received, row[1]

    def about(self, civil_number: str) -> list[dict[str, Any]]:
        """The events applied to this person (for explaining a record): newest first."""
        rows = self.connection.execute(
            select(event_inbox.c.id, event_inbox.c.source, event_inbox.c.source_event_id, event_inbox.c.kind,
                   event_inbox.c.event_date, event_inbox.c.state, event_inbox.c.applied_at)
            .where(event_inbox.c.subject == civil_number)
            .order_by(event_inbox.c.event_date.desc(), event_inbox.c.id.desc())
        ).mappings().all()  # fmt: skip
        return [dict(r) for r in rows]


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
