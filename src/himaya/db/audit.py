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

from sqlalchemy import Connection, insert, select, text, update

from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.db.tables import audit_entry, audit_head

__all__ = ["Change", "SqlAuditLog", "Verification", "record", "verify"]  # Change: from core.audit, for the stores

GENESIS = "0" * 64
# The request being served, for entries written without an explicit request id: the service sets
# it once per request, and everything the request calls writes it into the trail.
REQUEST_ID: ContextVar[str | None] = ContextVar("himaya_request_id", default=None)


def canonical(value: dict[str, Any] | None) -> str | None:
    """JSON with sorted keys and no spaces: the same content always hashes the same."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


SCHEME = 2  # how new entries are hashed (see `entry_hash`); older entries keep theirs


def content_digest(
    at: str, actor: str, action: str, subject: str, request_id: str | None, before: str | None, after: str | None
) -> str:
    """SHA-256 of an entry's content, canonical JSON."""
    content = json.dumps(
        [at, actor, action, subject, request_id, before, after], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def entry_hash(
    previous: str,
    at: str,
    actor: str,
    action: str,
    subject: str,
    request_id: str | None,
    before: str | None,
    after: str | None,
    *,
    scheme: int = SCHEME,
) -> str:
    """The entry's link in the chain. Scheme 2: SHA-256 of the previous hash followed by the
    content's digest, which PostgreSQL can compute as it appends (one statement, see `record`).
    Scheme 1 (entries written before): SHA-256 of one JSON array of the previous hash and the content."""
    if scheme == 1:
        content = json.dumps(
            [previous, at, actor, action, subject, request_id, before, after], separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(content.encode("utf-8")).hexdigest()
    digest = content_digest(at, actor, action, subject, request_id, before, after)
    return hashlib.sha256((previous + digest).encode("ascii")).hexdigest()


# One append on PostgreSQL, in one statement: lock the head, link the entry to it, move the head.
# The chain is locked only while this statement runs, not across round trips to the client.
_APPEND = text(
    """
    WITH head AS (SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE),
    added AS (
        INSERT INTO audit_entry (at, actor, action, subject, request_id, before, after, previous_hash, hash, scheme)
        SELECT :at, :actor, :action, :subject, :request_id, :before, :after, head.hash,
               encode(sha256(convert_to(head.hash || :digest, 'UTF8')), 'hex'), :scheme
        FROM head
        RETURNING hash
    )
    UPDATE audit_head SET hash = (SELECT hash FROM added) WHERE id = 1
    """
)


def record(connection: Connection, changes: Iterable[Change], *, actor: str, request_id: str | None = None) -> int:
    """Append entries for `changes` to the chain, inside the caller's transaction. Returns how many.

    Appends are serialised on the chain's head row (`audit_head`), locked until the transaction
    ends; SQLite transactions hold the database's write lock already."""
    request_id = request_id or REQUEST_ID.get()
    at = now()
    stamp = utc_stamp(at)
    entries = [
        {
            "at": at,
            "actor": actor,
            "action": c.action,
            "subject": c.subject,
            "request_id": request_id,
            "before": canonical(c.before),
            "after": canonical(c.after),
            "scheme": SCHEME,
        }
        for c in changes
    ]

    def content(entry: dict[str, Any]) -> tuple[str, str, str, str, str | None, str | None, str | None]:
        return (stamp, actor, entry["action"], entry["subject"], request_id, entry["before"], entry["after"])

    if connection.dialect.name == "postgresql" and len(entries) == 1:
        connection.execute(_APPEND, {**entries[0], "digest": content_digest(*content(entries[0]))})
        return 1
    head = select(audit_head.c.hash).where(audit_head.c.id == 1)
    if connection.dialect.name == "postgresql":
        head = head.with_for_update()
    previous = connection.execute(head).scalar_one()
    rows = []
    for entry in entries:
        digest = entry_hash(previous, *content(entry))
        rows.append({**entry, "previous_hash": previous, "hash": digest})
        previous = digest
    for start in range(0, len(rows), 50_000):
        connection.execute(insert(audit_entry), rows[start : start + 50_000])
    if rows:
        connection.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=previous))
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
                scheme=row["scheme"],
            )
            if row["hash"] != expected:
                problems.append(
                    f"entry {row['id']} ({row['action']} {row['subject']}): its content was changed after it was"
                    " written"
                )
            previous = row["hash"]
            last_id = row["id"]
    recorded = connection.execute(select(audit_head.c.hash).where(audit_head.c.id == 1)).scalar()
    if recorded != previous:
        problems.append(
            "the chain's recorded head is not its last entry: entries were removed from its end, or the head was edited"
        )
    return Verification(count, previous, problems)


class SqlAuditLog:
    """The `AuditLog` of a unit of work: entries appended on its connection, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, changes: Sequence[Change], *, actor: str) -> None:
        record(self._connection, changes, actor=actor)


def utc_stamp(at: datetime) -> str:
    """The instant as hashed: ISO 8601 in UTC. SQLite hands the stored time back without its zone
    (it was stored in UTC); PostgreSQL hands it back in the session's zone."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat()
