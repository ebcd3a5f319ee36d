"""`/audit`: the trail, for auditors: verify the chain, page through entries.

Reading the trail is a country-wide role: entries name subjects of every branch (imports, runs,
users, searches), and most cannot be tied to one branch. A user who holds `audit.read` but is
scoped to some branches only is refused (403); grant it with the scope `all`.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from himaya.api import audit_masking
from himaya.api.security import require
from himaya.bootstrap import audit
from himaya.core.access import Permission, Principal
from himaya.core.errors import ForbiddenError

router = APIRouter(prefix="/audit", tags=["audit"])


class Verified(BaseModel):
    """The chain recomputed."""

    entries: int = Field(description="How many entries the chain holds.")
    head: str | None = Field(description="The last entry's hash (null to a masked user when it is not keyed).")
    intact: bool
    problems: list[str] = Field(description="What does not fit; subjects masked for users who may not identify.")
    checkpoints: int = Field(description="Signed checkpoints checked (HIMAYA_AUDIT_CHECKPOINTS); 0: not anchored.")


class Entry(BaseModel):
    id: int
    at: str = Field(description="When, ISO 8601 in UTC.")
    actor: str
    action: str
    subject: str = Field(description="What the entry is about; civil numbers pseudonymised for masked users.")
    request_id: str | None
    before: Any = Field(description="The content before (JSON); text masked for masked users.")
    after: Any = Field(description="The content after (JSON); text masked for masked users.")
    previous_hash: str | None = Field(description="The hash before it (null for masked users).")
    hash: str | None = Field(description="The entry's hash (null for masked users unless keyed).")
    scheme: int = Field(description="How the hash is computed: 1 and 2 unkeyed, 3 keyed with the audit key.")


class Entries(BaseModel):
    entries: list[Entry]


def auditor(principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))]) -> Principal:
    """An `audit.read` holder scoped to every branch (reading the trail is country-wide)."""
    if not principal.every_branch:
        raise ForbiddenError(
            "reading the audit trail is a country-wide role: it needs the scope `all`, and your scope is "
            + (", ".join(str(s) for s in principal.scopes) or "none")
        )
    return principal


Auditor = Annotated[Principal, Depends(auditor)]


@router.get("/verify", summary="Recompute the hash chain and report every entry that does not fit")
def verify(request: Request, principal: Auditor) -> Verified:
    path = request.app.state.settings.audit_checkpoints
    trail = audit.check_trail(request.app.state.engine, path)
    result, anchored = trail.verification, trail.anchoring
    key = _key(trail.keys, principal)
    if key is None:
        problems = [p.shown() for p in result.problems]
    else:
        problems = [p.shown(audit_masking.subject(key, p.subject) if p.subject else None) for p in result.problems]
    return Verified(
        entries=result.entries,
        head=result.head if key is None or result.head_keyed else None,
        intact=result.intact and not anchored,
        problems=problems + anchored,
        checkpoints=trail.checkpoints,
    )


@router.get("/entries", summary="Entries in order, from an id on")
def entries(
    request: Request,
    principal: Auditor,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> Entries:
    rows, keys = audit.entries(request.app.state.engine, after_id=after_id, limit=limit, actor=actor, action=action)
    key = _key(keys, principal)
    return Entries(entries=[Entry(**_shown(key, row)) for row in rows])


def _key(keys: tuple[bytes, ...], principal: Principal) -> bytes | None:
    """The key masked views are pseudonymised with; None for a user who may identify people."""
    if principal.identifies:
        return None
    # No key yet means no keyed entry yet: pseudonyms from a throw-away key still hide the numbers.
    return keys[0] if keys else secrets.token_bytes(32)


def _shown(key: bytes | None, row: dict[str, Any]) -> dict[str, Any]:
    row["at"] = audit.utc_stamp(row["at"])
    for side in ("before", "after"):
        row[side] = json.loads(row[side]) if row[side] else None
    return row if key is None else audit_masking.entry(key, row)
