"""How people are shown to a user (masked unless they may identify people), and the audit of reads."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import Request
from sqlalchemy import Connection, text

from himaya.core.access import Principal
from himaya.db import audit

# What a user who may not identify people never sees.
IDENTIFYING = frozenset(
    {
        *(f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")),
        "civil_number",
        "person_id",
        "mobile",
        "iban",
        "bank_code",
        "card_number",
    }
)


def pseudonym(request: Request, civil_number: str) -> str:
    """A stable stand-in for a civil number, for users who may not see it (keyed: not reversible
    by hashing every civil number)."""
    key = request.app.state.tokens.key.encode()
    return "anon-" + hmac.new(key, civil_number.encode(), hashlib.sha256).hexdigest()[:16]


def present(request: Request, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the user may see it: identifying fields masked unless they may identify people."""
    shown = {k: v for k, v in row.items() if k not in ("id", "merged_into")}
    if principal.identifies:
        return shown
    masked = {k: v for k, v in shown.items() if k not in IDENTIFYING}
    civil = row.get("civil_number") or row.get("person_id")
    if civil is not None:
        masked["ref"] = pseudonym(request, str(civil))
    return masked


def audit_read(
    request: Request, connection: Connection, principal: Principal, subject: str, what: dict[str, Any]
) -> None:
    """The read's entry on the chain, in the read's transaction, written last: the chain's lock is
    held from here to the commit.

    On PostgreSQL that commit does not wait for the disk (`synchronous_commit` off, for this
    transaction only): chain appends are serialised, and a flush per read would cap the service
    at one read per disk flush. A crash may lose the last fraction of a second of read entries,
    whole and in order (the chain stays intact); writes keep waiting for the disk."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
    audit.record(
        connection,
        [audit.Change("read", subject, None, what)],
        actor=principal.username,
        request_id=request.state.request_id,
    )
