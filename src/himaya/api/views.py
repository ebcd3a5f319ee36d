"""How people are shown to a user (masked unless they may identify people), and the audit of reads."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Connection, text

from himaya.access import masking
from himaya.core.access import Principal
from himaya.db import audit


def pseudonym(request: Request, civil_number: str) -> str:
    """A stable stand-in for a civil number, for users who may not see it (`access.masking`)."""
    return masking.pseudonym(request.app.state.tokens.key, civil_number)


def present(request: Request, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the user may see it: identifying fields masked unless they may identify people."""
    return masking.present(request.app.state.tokens.key, principal, row)


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
