"""How people are shown to a user (masked unless they may identify people), and the audit of reads."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Connection

from himaya.access import masking
from himaya.bootstrap import audit
from himaya.core.access import Principal


def pseudonym(request: Request, civil_number: str) -> str:
    """A stable stand-in for a civil number, for users who may not see it (`access.masking`)."""
    return masking.pseudonym(request.app.state.tokens.key, civil_number)


def present(request: Request, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the user may see it: identifying fields masked unless they may identify people."""
    return masking.present(request.app.state.tokens.key, principal, row)


def audit_read(
    request: Request, connection: Connection, principal: Principal, subject: str, what: dict[str, Any]
) -> None:
    """The read's entry on the chain, in the read's transaction (`db.audit.record_read`)."""
    audit.REQUEST_ID.set(request.state.request_id)
    audit.record_read(connection, subject, what, actor=principal.username)
