"""`/cases/exceptions`: a supervisor's overrides that hold in the enrollment sync and the payroll: the
exceptions in force in a month, of the people of the user's branches, and a supervisor's ending of
one before its review month (audited). Recorded by a decision's override (`POST
/cases/{number}/decision` with `override`, `override_until`, `override_amount`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.api.bodies import RequestBody
from himaya.api.security import require
from himaya.cases import exceptions
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.errors import InvalidInputError
from himaya.core.periods import Period

router = APIRouter(prefix="/cases/exceptions", tags=["cases"])
MAX_ID = 2**31 - 1
MONTH = r"^[0-9]{4}-[0-9]{2}$"


class ExceptionOut(BaseModel):
    id: int
    civil_number: str
    programme: str
    from_month: date
    until_month: date = Field(description="The last month it holds: the supervisor's review date.")
    amount: str = Field(description="A month, in the pack's currency (e.g. 130.000).")
    case_number: str = Field(description="The decision that overrode the rules.")
    granted_by: str
    version: int = Field(description="Send it to end the exception early.")


@router.get("", summary="The exceptions in force in a month (a supervisor's overrides that hold)")
def in_force(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.CASE_READ))],
    period: Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM (default: this month).")] = None,
) -> list[ExceptionOut]:
    pack = request.app.state.pack
    try:
        month = Period.parse(period) if period else Period.containing(today(pack.timezone))
    except ValueError as error:
        raise InvalidInputError(f"period: {error}") from None
    rows = exceptions.in_force(bootstrap.unit_of_work(request.app.state.engine), principal, month)
    return [
        ExceptionOut(
            **{k: r[k] for k in ExceptionOut.model_fields if k != "amount"}, amount=pack.currency.format(r["amount"])
        )
        for r in rows
    ]


class Ending(RequestBody):
    version: int = Field(ge=1, le=MAX_ID, description="The version you read: refused if it changed since.")
    last: str = Field(pattern=MONTH, description="The last month it pays (YYYY-MM).")
    reason: str = Field(min_length=1, max_length=2000, description="Why it ends before its review month.")


class Ended(BaseModel):
    exception: int
    until: str
    version: int


@router.post("/{exception_id}/end", summary="End an exception before its review month (a supervisor's decision)")
def end(
    request: Request,
    exception_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: Ending,
    principal: Annotated[Principal, Depends(require(Permission.CASE_DECIDE))],
) -> Ended:
    ended = exceptions.end(
        bootstrap.unit_of_work(request.app.state.engine), exception_id, last=body.last, reason=body.reason,
        expected_version=body.version, principal=principal, today=today(request.app.state.pack.timezone),
    )  # fmt: skip
    return Ended(**ended)
