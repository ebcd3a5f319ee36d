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
import json
import secrets
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, text, update

from himaya.core.audit import Change, check_actor
from himaya.core.clock import now
from himaya.db import staging
from himaya.db.tables import audit_entry, audit_head, service_setting

__all__ = [
    "Change",
    "Problem",
    "SqlAuditLog",
    "Verification",
    "record",
    "verify",
]  # Change: from core.audit, for the stores

GENESIS = "0" * 64
# The request being served, for entries written without an explicit request id: the service sets
# it once per request, and everything the request calls writes it into the trail.
REQUEST_ID: ContextVar[str | None] = ContextVar("himaya_request_id", default=None)


def canonical(value: dict[str, Any] | None) -> str | None:
    """JSON with sorted keys and no spaces: the same content always hashes the same."""
    if value is None:
        return None
    return _CANONICAL.encode(value)


def _plain(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


# What json.dumps would make with these options, its encoder made once (not once a call: a batch hashes thousands).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)
_ARRAY = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


SCHEME = 3  # how new entries are hashed (see `entry_hash`); older entries keep theirs
KEYED = 3  # the first keyed scheme: no entry after a keyed one may be unkeyed

# --- the audit key ---------------------------------------------------------------------------

_STORED_KEY = "audit_key"  # its name in service_setting, when HIMAYA_AUDIT_KEY is not set
_configured: tuple[bytes, ...] = ()  # HIMAYA_AUDIT_KEY first, then the earlier keys
_stored: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


def use_keys(current: str | None, previous: Sequence[str] = ()) -> None:
    """The keys from the settings (bootstrap calls this): `current` keys new entries, `previous`
    only verify older ones. Without `current`, the key kept in the database is used."""
    global _configured  # noqa: PLW0603  (set once per entry point, like the settings)
    _configured = tuple(k.encode() for k in (current, *previous) if k)


def key_id(key: bytes) -> str:
    """A short public name of a key (which key signed a checkpoint), not the key."""
    return hashlib.sha256(b"himaya audit key id:" + key).hexdigest()[:12]


def current_key(connection: Connection) -> bytes:
    """The key new entries are hashed with: the configured one, or the one kept in the store (made
    now, in the caller's transaction, if there is none: it is kept only if that transaction is)."""
    if _configured:
        return _configured[0]
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
    stored = _read_stored(connection)
    return _configured + ((stored,) if stored is not None and stored not in _configured else ())


def pseudonym(key: bytes, value: str) -> str:
    """A stable stand-in for an identifying value in masked audit views: keyed with the audit key
    (not the token-signing key), so it cannot be recomputed by trying every civil number."""
    return "anon-" + hmac.new(key, b"pseudonym:" + value.encode(), hashlib.sha256).hexdigest()[:16]


# --- hashing ---------------------------------------------------------------------------------


def _content(
    at: str, actor: str, action: str, subject: str, request_id: str | None, before: str | None, after: str | None
) -> bytes:
    return _ARRAY.encode([at, actor, action, subject, request_id, before, after]).encode("utf-8")


def content_digest(
    at: str,
    actor: str,
    action: str,
    subject: str,
    request_id: str | None,
    before: str | None,
    after: str | None,
    *,
    key: bytes | None = None,
) -> str:
    """The content's digest: HMAC-SHA256 with `key` (scheme 3), or plain SHA-256 (scheme 2)."""
    content = _content(at, actor, action, subject, request_id, before, after)
    if key is None:
        return hashlib.sha256(content).hexdigest()
    return hmac.digest(key, content, "sha256").hex()  # the one-shot C function: half the cost of hmac.new


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
    key: bytes | None = None,
) -> str:
    """The entry's link in the chain: SHA-256 of the previous hash followed by the content's
    digest, which PostgreSQL can compute as it appends (one statement, see `record`). Scheme 3:
    the digest is keyed (`key`); scheme 2: it is not. Scheme 1 (the first entries): SHA-256 of one
    JSON array of the previous hash and the content."""
    if scheme == 1:
        content = json.dumps(
            [previous, at, actor, action, subject, request_id, before, after], separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(content.encode("utf-8")).hexdigest()
    if scheme >= KEYED and key is None:
        raise ValueError("a keyed entry needs the audit key")
    digest = content_digest(at, actor, action, subject, request_id, before, after, key=key if scheme >= KEYED else None)
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
    if not entries:
        return []
    key = current_key(connection)

    def content(entry: dict[str, Any]) -> tuple[str, str, str, str, str | None, str | None, str | None]:
        return (stamp, actor, entry["action"], entry["subject"], request_id, entry["before"], entry["after"])

    if connection.dialect.name == "postgresql" and len(entries) == 1:
        appended = connection.execute(_APPEND, {**entries[0], "digest": content_digest(*content(entries[0]), key=key)})
        return [str(appended.scalar_one())]
    head = select(audit_head.c.hash).where(audit_head.c.id == 1)
    if connection.dialect.name == "postgresql":
        head = head.with_for_update()
    previous = connection.execute(head).scalar_one()
    rows = []
    for entry in entries:
        digest = entry_hash(previous, *content(entry), key=key)
        rows.append({**entry, "previous_hash": previous, "hash": digest})
        previous = digest
    if len(rows) < 100:
        connection.execute(insert(audit_entry), rows)
    else:  # many: one COPY on PostgreSQL, executemany on SQLite, the instant as each stores it
        bind = audit_entry.c.at.type.bind_processor(connection.dialect)
        stored = at.isoformat() if connection.dialect.name == "postgresql" or bind is None else bind(at)
        names = [c.name for c in audit_entry.columns if c.name not in ("id", "at")]
        schema = {c: pl.Int64 if c == "scheme" else pl.String for c in names}
        frame = pl.DataFrame([[r[c] for c in names] for r in rows], schema=schema, orient="row")
        staging.append(connection, audit_entry, frame.with_columns(pl.lit(stored, pl.String).alias("at")))
    connection.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=previous))
    return [r["hash"] for r in rows]


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
