"""`/enrollments`: the month's enrollment changes, for a supervisor of every branch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.periods import Period

router = APIRouter(prefix="/enrollments", tags=["enrollments"])


class SyncOut(BaseModel):
    period: str
    enrolled: int
    ended: int
    decisions: int = Field(
        description="Endings recorded as decisions (benefit_stop cases) told to the person with the last day to appeal"
    )


@router.post("/sync/{period}", summary="Enroll everyone the rules find entitled in the month; end the others")
def sync(
    request: Request,
    period: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="The month, YYYY-MM.")],
    principal: Annotated[Principal, Depends(require(Permission.ENROLLMENT_WRITE))],
) -> SyncOut:
    if not principal.every_branch:  # it changes enrollments in every branch at once
        raise ApiError(403, "forbidden", "enrollment sync covers every branch: it needs a user scoped to all branches")
    try:
        month = Period.parse(period)
    except ValueError as error:
        raise ApiError(422, "invalid_input", f"path.period: {error}", fields=[{"field": "path.period"}]) from None
    pack = request.app.state.pack
    result = bootstrap.payroll_store.sync_enrollments(
        request.app.state.engine, pack, month, actor=principal.username, today=today(pack.timezone)
    )
    return SyncOut(period=str(month), enrolled=result.enrolled, ended=result.ended, decisions=result.decisions)
