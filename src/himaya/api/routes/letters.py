"""Printable letters (PDF) in Arabic or English: a family's statement of entitlements, a case's
decision, referral or receipt. Read with the same permissions and branch scope as the family or the
case, audited as their reads; a letter names people, so it needs person.identify too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from himaya import bootstrap
from himaya.adapters.letters import render_pdf
from himaya.api.errors import ApiError
from himaya.api.routes.cases import CaseNumber
from himaya.api.routes.families import FamilyNumber, month_of
from himaya.api.security import require
from himaya.cases import actions as case_actions
from himaya.core.access import Permission, Principal
from himaya.core.letter import Letter
from himaya.policy.pack import PolicyPack

router = APIRouter(tags=["letters"])
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The letter, a PDF document."}
}


def _pdf(letter: Letter, name: str) -> Response:
    return Response(
        render_pdf(letter),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "no-store"},
    )


def _identifying(principal: Principal) -> None:
    if not principal.identifies:
        raise ApiError(403, "forbidden", "a letter names the people it is for: it needs person.identify")


@router.get(
    "/families/{family_number}/letter",
    summary="A family's statement of entitlements for a month, as a letter (PDF)",
    response_class=Response,
    responses=PDF,
)
def family_letter(
    request: Request,
    family_number: FamilyNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: this month).")] = None,
    lang: Literal["ar", "en"] = "ar",
) -> Response:
    _identifying(principal)
    pack: PolicyPack = request.app.state.pack
    month = month_of(pack, period)
    letter = bootstrap.family_letter(
        bootstrap.unit_of_work(request.app.state.engine),
        pack,
        family_number,
        month,
        principal=principal,
        language=lang,
        explain=request.app.state.explainer.explain,
    )
    return _pdf(letter, f"statement-{family_number}-{month}-{lang}")


@router.get(
    "/cases/{number}/letter",
    summary="A case's letter to its person: the decision, the referral or the receipt (PDF)",
    response_class=Response,
    responses=PDF,
)
def case_letter(
    request: Request,
    number: CaseNumber,
    principal: Annotated[Principal, Depends(require(Permission.CASE_READ))],
    lang: Literal["ar", "en"] | None = None,
    what: Annotated[
        Literal["decision", "referral", "receipt"] | None,
        Query(description="Which letter (default: what the case is at)."),
    ] = None,
) -> Response:
    _identifying(principal)
    pack: PolicyPack = request.app.state.pack
    letter = case_actions.letter(
        bootstrap.unit_of_work(request.app.state.engine),
        pack.cases,
        number,
        principal=principal,
        sender=pack.institution,
        language=lang,
        what=what,
        services=pack.services,
    )
    return _pdf(letter, f"{number}-{what or 'letter'}-{letter.language}")
