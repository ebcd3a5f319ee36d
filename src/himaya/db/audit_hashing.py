"""How the audit trail's entries are hashed (`db/audit.py` keeps the trail): each entry's content
as canonical JSON, its digest (keyed with the audit key from scheme 3), and its link in the chain:
SHA-256 of the previous entry's hash and the digest. The digests of an append's entries are made for
all of them at once (none needs another); only the links are sequential, by design."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime
from typing import Any


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


def content_digests(
    key: bytes,
    who: list[str],
    actions: list[str],
    subjects: list[str],
    request_id: str | None,
    befores: list[str | None],
    afters: list[str | None],
) -> list[str]:
    """Each entry's keyed content digest (`content_digest`, scheme 3), for all the entries at once:
    a digest needs no other entry, only the chain's links do (`chain`). `who`: the instant and the actor."""
    encode, digest = _ARRAY.encode, hmac.digest
    return [
        digest(key, encode([*who, a, s, request_id, b, f]).encode("utf-8"), "sha256").hex()
        for a, s, b, f in zip(actions, subjects, befores, afters, strict=True)
    ]


def chain(previous: str, digests: list[str]) -> list[str]:
    """The entries' hashes, linked in order from `previous` (`entry_hash`: SHA-256 of the hash before
    and the digest). The one sequential step of an append: each link needs the one before."""
    sha256 = hashlib.sha256
    hashes = []
    for digest in digests:
        previous = sha256((previous + digest).encode("ascii")).hexdigest()
        hashes.append(previous)
    return hashes
