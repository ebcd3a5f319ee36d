"""`/audit`: the trail, for auditors: verify the chain, page through entries."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from himaya.api.security import require
from himaya.api.views import IDENTIFYING, pseudonym
from himaya.core.access import Permission, Principal
from himaya.db import audit
from himaya.db.tables import audit_entry

router = APIRouter(prefix="/audit", tags=["audit"])

_PERSON_SUBJECT = re.compile(r"^person:(.+)$")


@router.get("/verify", summary="Recompute the hash chain and report every entry that does not fit")
def verify(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
) -> dict[str, Any]:
    with request.app.state.engine.connect() as connection:
        result = audit.verify(connection)
    return {"entries": result.entries, "head": result.head, "intact": result.intact, "problems": list(result.problems)}


@router.get("/entries", summary="Entries in order, from an id on")
def entries(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    query = select(audit_entry).where(audit_entry.c.id > after_id)
    if actor is not None:
        query = query.where(audit_entry.c.actor == actor)
    if action is not None:
        query = query.where(audit_entry.c.action == action)
    with request.app.state.engine.connect() as connection:
        rows = connection.execute(query.order_by(audit_entry.c.id).limit(limit)).mappings().all()
    return {"entries": [_shown(request, principal, dict(r)) for r in rows]}


def _shown(request: Request, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    row["at"] = audit.utc_stamp(row["at"])
    for side in ("before", "after"):
        row[side] = json.loads(row[side]) if row[side] else None
    if principal.identifies:
        return row
    # An auditor checks who did what and when, not who the people were: subjects and contents masked.
    match = _PERSON_SUBJECT.match(row["subject"])
    if match:
        row["subject"] = "person:" + pseudonym(request, match.group(1))
    for side in ("before", "after"):
        row[side] = _masked(row[side])
    return row


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in IDENTIFYING and v is not None else _masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return ["***" if isinstance(v, str) and v.isdigit() else _masked(v) for v in value]
    return value
