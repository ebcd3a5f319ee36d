"""The audit trail: every change is an entry, hash-chained, written in the changing transaction.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
past entry breaks the chain at that point, which `verify` finds. Deleting the newest entries
leaves a shorter but consistent chain: compare the head hash that `verify` prints with one kept
elsewhere (`--expect-head`) to detect that too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from himaya.core.clock import now
from himaya.db.tables import audit_entry

GENESIS = "0" * 64
# The request being served, for entries written without an explicit request id: the service sets
# it once per request, and everything the request calls writes it into the trail.
REQUEST_ID: ContextVar[str | None] = ContextVar("himaya_request_id", default=None)


@dataclass(frozen=True)
class Change:
    """What an action did to one subject, for the audit trail."""

    action: str  # e.g. registry.import, person.update, person.merge
    subject: str  # e.g. person:12345678, import:people.csv
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def canonical(value: dict[str, Any] | None) -> str | None:
    """JSON with sorted keys and no spaces: the same content always hashes the same."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


def entry_hash(
    previous: str,
    at: str,
    actor: str,
    action: str,
    subject: str,
    request_id: str | None,
    before: str | None,
    after: str | None,
) -> str:
    content = json.dumps(
        [previous, at, actor, action, subject, request_id, before, after], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _lock_chain(connection: Connection) -> None:
    """Serialise writers of the chain (SQLite transactions already hold the write lock).

    On PostgreSQL, a lock on the chain's own table, until the transaction ends: it excludes other
    writers of this chain and lets readers read; and, unlike an advisory lock, whose key is one for
    the whole database, it is this schema's chain alone that is locked, not every store's."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE audit_entry IN SHARE ROW EXCLUSIVE MODE"))


def record(connection: Connection, changes: Iterable[Change], *, actor: str, request_id: str | None = None) -> int:
    """Append entries for `changes` to the chain, inside the caller's transaction. Returns how many."""
    request_id = request_id or REQUEST_ID.get()
    _lock_chain(connection)
    last = connection.execute(select(audit_entry.c.hash).order_by(audit_entry.c.id.desc()).limit(1)).scalar()
    previous = last or GENESIS
    at = now()
    stamp = utc_stamp(at)
    rows = []
    for change in changes:
        before, after = canonical(change.before), canonical(change.after)
        digest = entry_hash(previous, stamp, actor, change.action, change.subject, request_id, before, after)
        rows.append(
            {
                "at": at,
                "actor": actor,
                "action": change.action,
                "subject": change.subject,
                "request_id": request_id,
                "before": before,
                "after": after,
                "previous_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    for start in range(0, len(rows), 50_000):
        connection.execute(insert(audit_entry), rows[start : start + 50_000])
    return len(rows)


def select_hashes() -> Any:
    """Every entry's hash (to check that an expected head is still in the chain)."""
    return select(audit_entry.c.hash)


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    problems: Sequence[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(connection: Connection, *, batch: int = 50_000) -> Verification:
    """Recompute the whole chain in order; report every entry that does not fit."""
    problems: list[str] = []
    previous = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = (
            connection.execute(
                select(audit_entry).where(audit_entry.c.id > last_id).order_by(audit_entry.c.id).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            count += 1
            stamp = utc_stamp(row["at"])
            if row["previous_hash"] != previous:
                problems.append(
                    f"entry {row['id']}: does not follow the entry before it (an entry was deleted or edited before it)"
                )
            expected = entry_hash(
                row["previous_hash"],
                stamp,
                row["actor"],
                row["action"],
                row["subject"],
                row["request_id"],
                row["before"],
                row["after"],
            )
            if row["hash"] != expected:
                problems.append(
                    f"entry {row['id']} ({row['action']} {row['subject']}): its content was changed after it was"
                    " written"
                )
            previous = row["hash"]
            last_id = row["id"]
    return Verification(count, previous, problems)


def utc_stamp(at: datetime) -> str:
    """The instant as hashed: ISO 8601 in UTC. SQLite hands the stored time back without its zone
    (it was stored in UTC); PostgreSQL hands it back in the session's zone."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat()
