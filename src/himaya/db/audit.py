"""The audit trail: every change is an entry, hash-chained, written in the changing transaction.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
past entry breaks the chain at that point, which `verify` finds. New entries (scheme 3) are keyed:
the content's digest is an HMAC with the audit key (`HIMAYA_AUDIT_KEY`, or one made on first use
and kept in `service_setting`), so whoever can write the tables but lacks the key cannot re-hash
the entries after one they edited, and whoever reads the hashes cannot test guessed contents
against them. Deleting the newest entries and moving the head row back still leaves a consistent
chain: signed checkpoints kept outside the database (`audit_checkpoints`) catch that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, text, update

from himaya.core.audit import Change, check_actor
from himaya.core.clock import now
from himaya.db import audit_keys, staging
from himaya.db.audit_hashing import (
    KEYED,
    SCHEME,
    canonical,
    chain,
    content_digest,
    content_digests,
    entry_hash,
)
from himaya.db.tables import audit_entry, audit_head, service_setting

__all__ = [
    "KEYED",
    "SCHEME",
    "Change",
    "Problem",
    "SqlAuditLog",
    "Verification",
    "canonical",
    "content_digest",
    "entry_hash",
    "record",
    "verify",
]  # Change: from core.audit, for the stores

GENESIS = "0" * 64
# The request being served, for entries written without an explicit request id: the service sets
# it once per request, and everything the request calls writes it into the trail.
REQUEST_ID: ContextVar[str | None] = ContextVar("himaya_request_id", default=None)


# --- the audit key ---------------------------------------------------------------------------

_STORED_KEY = "audit_key"  # its name in service_setting, when HIMAYA_AUDIT_KEY is not set
_stored: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()
use_keys = audit_keys.use_keys  # the keys from the settings (bootstrap calls it; `db/audit_keys.py`)


def key_id(key: bytes) -> str:
    """A short public name of a key (which key signed a checkpoint), not the key."""
    return hashlib.sha256(b"himaya audit key id:" + key).hexdigest()[:12]


def current_key(connection: Connection) -> bytes:
    """The key new entries are hashed with: the configured one, or the one kept in the store (made
    now, in the caller's transaction, if there is none: it is kept only if that transaction is)."""
    configured = audit_keys.configured()
    if configured:
        return configured[0]
    stored = _read_stored(connection)
    if stored is not None:
        return stored
    made = secrets.token_urlsafe(48)
    # Two first writers at once: the second waits for the first and keeps its key.
    connection.execute(
        text("INSERT INTO service_setting (name, value) VALUES (:name, :value) ON CONFLICT (name) DO NOTHING"),
        {"name": _STORED_KEY, "value": made},
    )
    # Not cached while this transaction may still roll back: read again (and cached) in the next.
    connection.info[_MADE_IN] = connection.get_transaction()
    key = _read_stored(connection)
    assert key is not None
    return key


_MADE_IN = "himaya_audit_key_made_in"  # the transaction that made the stored key, on its connection


def _read_stored(connection: Connection) -> bytes | None:
    if connection.engine in _stored:
        return _stored[connection.engine]
    value = connection.execute(select(service_setting.c.value).where(service_setting.c.name == _STORED_KEY)).scalar()
    if value is None:
        return None
    key = str(value).encode()
    # A key read in another transaction than the one that made it was committed: keep it.
    if connection.info.get(_MADE_IN) is not connection.get_transaction():
        connection.info.pop(_MADE_IN, None)
        _stored[connection.engine] = key
    return key


def known_keys(connection: Connection) -> tuple[bytes, ...]:
    """Every key an entry may have been hashed with: the configured ones, then the stored one."""
    stored, configured = _read_stored(connection), audit_keys.configured()
    return configured + ((stored,) if stored is not None and stored not in configured else ())


def pseudonym(key: bytes, value: str) -> str:
    """A stable stand-in for an identifying value in masked audit views: keyed with the audit key
    (not the token-signing key), so it cannot be recomputed by trying every civil number."""
    return "anon-" + hmac.new(key, b"pseudonym:" + value.encode(), hashlib.sha256).hexdigest()[:16]


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
    RETURNING hash
    """
)


def record(
    connection: Connection, changes: Iterable[Change], *, actor: str, request_id: str | None = None
) -> list[str]:
    """Append entries for `changes` to the chain, inside the caller's transaction. Returns their
    hashes, in order (an entry's key: `audit_entry.hash` is unique).

    Appends are serialised on the chain's head row (`audit_head`), locked until the transaction
    ends; SQLite transactions hold the database's write lock already. The keyed digest needs no
    previous hash, so it is computed here and PostgreSQL links it in the append's one statement.
    An actor the trail could not show as written (`check_actor`) is refused, whoever passed it."""
    check_actor(actor)
    request_id = request_id or REQUEST_ID.get()
    at = now()
    stamp = utc_stamp(at)
    listed = list(changes)
    if not listed:
        return []
    actions, subjects = [c.action for c in listed], [c.subject for c in listed]
    befores, afters = [canonical(c.before) for c in listed], [canonical(c.after) for c in listed]
    key = current_key(connection)
    digests = content_digests(key, [stamp, actor], actions, subjects, request_id, befores, afters)
    if connection.dialect.name == "postgresql" and len(listed) == 1:
        one = {"at": at, "actor": actor, "action": actions[0], "subject": subjects[0], "request_id": request_id,
               "before": befores[0], "after": afters[0], "scheme": SCHEME, "digest": digests[0]}  # fmt: skip
        return [str(connection.execute(_APPEND, one).scalar_one())]
    head = select(audit_head.c.hash).where(audit_head.c.id == 1)
    if connection.dialect.name == "postgresql":
        head = head.with_for_update()
    previous = connection.execute(head).scalar_one()
    hashes = chain(previous, digests)
    columns: dict[str, list[Any]] = {
        "action": actions, "subject": subjects, "before": befores, "after": afters,
        "previous_hash": [previous, *hashes[:-1]], "hash": hashes,
    }  # fmt: skip
    _append(connection, at, {"actor": actor, "request_id": request_id, "scheme": SCHEME}, columns)
    connection.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=hashes[-1]))
    return hashes


def _append(connection: Connection, at: datetime, same: dict[str, Any], columns: dict[str, list[Any]]) -> None:
    """The entries into `audit_entry`: a few by one INSERT, many by one COPY on PostgreSQL (executemany
    on SQLite), the instant as each stores it. `same`: the values every entry shares."""
    count = len(columns["hash"])
    if count < 100:
        rows = [{name: values[n] for name, values in columns.items()} for n in range(count)]
        connection.execute(insert(audit_entry), [{**row, **same, "at": at} for row in rows])
        return
    bind = audit_entry.c.at.type.bind_processor(connection.dialect)
    stored = at.isoformat() if connection.dialect.name == "postgresql" or bind is None else bind(at)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    frame = frame.with_columns(
        pl.lit(stored, pl.String).alias("at"),
        *(pl.lit(v, pl.Int64 if isinstance(v, int) else pl.String).alias(k) for k, v in same.items()),
    )
    staging.append(connection, audit_entry, frame)


def select_hashes() -> Any:
    """Every entry's hash (to check that an expected head is still in the chain)."""
    return select(audit_entry.c.hash)


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing `verify` found. `subject` is kept apart from the text, so that a view for a user
    who may not identify people can show the problem without it."""

    text: str
    entry: int | None = None
    action: str | None = None
    subject: str | None = None

    def shown(self, subject: str | None = None) -> str:
        """The problem as a sentence, naming the entry's subject as given (default: as recorded)."""
        if self.entry is None:
            return self.text
        named = f" ({self.action} {subject or self.subject})" if self.action else ""
        return f"entry {self.entry}{named}: {self.text}"

    def __str__(self) -> str:
        return self.shown()


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    problems: Sequence[Problem]
    last_id: int = 0
    head_keyed: bool = False  # whether the head is a keyed hash (safe to show to masked users)
    checkpoints: int = field(default=0)  # how many checkpoints were checked against the chain

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(connection: Connection, *, batch: int = 50_000) -> Verification:
    """Recompute the whole chain in order; report every entry that does not fit."""
    keys = known_keys(connection)
    problems: list[Problem] = []
    previous, count, last_id, scheme = GENESIS, 0, 0, 0
    while True:
        query = select(audit_entry).where(audit_entry.c.id > last_id).order_by(audit_entry.c.id).limit(batch)
        rows = connection.execute(query).mappings().all()
        if not rows:
            break
        for row in rows:
            count += 1
            problems.extend(_check(row, previous, keys, keyed_before=scheme >= KEYED))
            previous, last_id, scheme = row["hash"], row["id"], row["scheme"]
    recorded = connection.execute(select(audit_head.c.hash).where(audit_head.c.id == 1)).scalar()
    if recorded != previous:
        problems.append(
            Problem(
                "the chain's recorded head is not its last entry: entries were removed from its end,"
                " or the head was edited"
            )
        )
    return Verification(count, previous, problems, last_id=last_id, head_keyed=scheme >= KEYED)


def _check(row: Any, previous: str, keys: Sequence[bytes], *, keyed_before: bool) -> list[Problem]:
    found = []
    if row["previous_hash"] != previous:
        found.append(
            Problem("does not follow the entry before it (an entry was deleted or edited before it)", row["id"])
        )
    content = (
        row["previous_hash"],
        utc_stamp(row["at"]),
        row["actor"],
        row["action"],
        row["subject"],
        row["request_id"],
        row["before"],
        row["after"],
    )
    scheme = row["scheme"]
    if scheme >= KEYED and not keys:
        found.append(Problem("is keyed, and no audit key is known to verify it", row["id"]))
        return found
    candidates = keys if scheme >= KEYED else (None,)
    if all(row["hash"] != entry_hash(*content, scheme=scheme, key=k) for k in candidates):
        found.append(Problem("its content was changed after it was written", row["id"], row["action"], row["subject"]))
    if keyed_before and scheme < KEYED:
        found.append(Problem("is unkeyed after keyed entries: the chain was rewritten from there", row["id"]))
    return found


class SqlAuditLog:
    """The `AuditLog` of a unit of work: entries appended on its connection, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, changes: Sequence[Change], *, actor: str) -> list[str]:
        return record(self._connection, changes, actor=actor)

    def record_read(self, subject: str, what: dict[str, Any], *, actor: str) -> None:
        record_read(self._connection, subject, what, actor=actor)


def utc_stamp(at: datetime) -> str:
    """The instant as hashed: ISO 8601 in UTC. SQLite hands the stored time back without its zone
    (it was stored in UTC); PostgreSQL hands it back in the session's zone."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat()


def record_read(connection: Connection, subject: str, what: dict[str, Any], *, actor: str) -> None:
    """A read's entry on the chain, in the read's transaction, written last: the chain's lock is
    held from here to the commit (the API's and the web's reads alike).

    On PostgreSQL that commit does not wait for the disk (`synchronous_commit` off, for this
    transaction only): chain appends are serialised, and a flush per read would cap the service
    at one read per disk flush. A crash may lose the last fraction of a second of read entries,
    whole and in order (the chain stays intact); writes keep waiting for the disk."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
    record(connection, [Change("read", subject, None, what)], actor=actor)
