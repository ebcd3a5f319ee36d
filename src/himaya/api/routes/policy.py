"""`/parameters`: the parameter tree as it stands on a day, with references and statuses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from himaya.api.security import require
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import Status

router = APIRouter(tags=["policy"])


class Parameter(BaseModel):
    path: str
    unit: str
    status: str
    description: str
    value: Any = Field(default=None, description="The value in force on the day (null if none is yet).")
    since: str = Field(description="From when that value holds (or when the first value will).")
    in_force: bool
    reference: str | None = None
    note: str | None = None


class Parameters(BaseModel):
    pack: str
    at: str
    parameters: list[Parameter]


@router.get(
    "/parameters",
    summary="Every parameter: value in force on a day, unit, status, legal reference",
    response_model_exclude_none=True,
)
def parameters(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.PARAMETERS_READ))],
    at: date | None = None,
    status: Status | None = None,
    lang: Literal["en", "ar"] = "en",
) -> Parameters:
    pack: PolicyPack = request.app.state.pack
    day = at or today(pack.timezone)
    shown = []
    for parameter in pack.parameters:
        if status is not None and parameter.status is not status:
            continue
        entry: dict[str, Any] = {
            "path": parameter.path,
            "unit": parameter.unit_name,
            "status": parameter.status.value,
            "description": parameter.description.in_(lang),
        }
        if day < parameter.values[0].start:
            entry |= {"value": None, "since": parameter.values[0].start.isoformat(), "in_force": False}
        else:
            dated = parameter.value_at(day)
            entry |= {
                "value": parameter.shown(dated.value),
                "since": dated.start.isoformat(),
                "in_force": True,
                "reference": parameter.reference_at(day),
            }
        if parameter.note:
            entry["note"] = parameter.note
        shown.append(entry)
    return Parameters(pack=pack.title.in_(lang), at=day.isoformat(), parameters=[Parameter(**e) for e in shown])
