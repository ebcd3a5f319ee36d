"""A case: its page (timeline, notes, the moves allowed now, the decision), and opening one on
behalf of a citizen. Each request is the API's action with the same principal (`cases.actions`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.letters import which
from himaya.cases.model import NewCase
from himaya.cases.rules import FormError
from himaya.core.access import Permission
from himaya.core.errors import ConflictError, HimayaError, InvalidInputError, NotFoundError
from himaya.core.text import Text
from himaya.policy.case_types import CaseCatalogue, CaseType
from himaya.policy.services import CONSENTED, PROPOSED
from himaya.web.pages import PageError, Visitor, explain, form_version, officer, posted, redirect, render

router = APIRouter(prefix="/office/cases", include_in_schema=False)
NUMBER = re.compile(r"^C-[0-9]{4}-[0-9]{6,9}$")
FIELDS = ("type", "channel", "civil_number", "category", "subject", "language", "sensitive")


def _catalogue(request: Request) -> CaseCatalogue:
    catalogue: CaseCatalogue = request.app.state.pack.cases
    return catalogue


def _openable(catalogue: CaseCatalogue, seen: Visitor) -> list[CaseType]:
    return [t for t in catalogue.types.values() if seen.user.roles & t.roles and t.channels]


@router.get("/new")
def new_case(request: Request, seen: Annotated[Visitor, Depends(officer)], type: str = "grievance") -> Response:
    catalogue = _catalogue(request)
    kinds = _openable(catalogue, seen)
    kind = next((k for k in kinds if k.key == type), None)
    if kind is None:
        raise PageError(404, seen._("No such record in your branches."))
    return render(request, seen, "case_new.html", kinds=kinds, kind=kind, values={}, errors={}, problem=None)


def _lower(word: str) -> str:
    return word[:1].lower() + word[1:]


def _field_errors(seen: Visitor, kind: CaseType, error: HimayaError, number: Text) -> dict[str, str]:
    """Which field an action's refusal is about, in the reader's words."""
    _ = seen._
    if isinstance(error, FormError):
        return {
            name: _("Required.") if "required" in rule else _("Not valid here.") for name, rule in error.fields.items()
        }
    if isinstance(error, NotFoundError) and kind.appeal is not None and str(error).startswith("no case"):
        return {kind.appeal.field: _("No case with this number in your branches.")}
    if isinstance(error, NotFoundError):
        word = number.in_(
            "ar" if seen.locale.language == "ar" else "en"
        )  # the pack's: "civil number", Iraq's "national ID number"
        return {"civil_number": _("No person with this %(number)s in your branches.") % {"number": _lower(word)}}
    if isinstance(error, InvalidInputError):
        field = str(error).split(":", 1)[0].removeprefix("form field ")
        if field in FIELDS or field in {c.name for c in kind.form}:
            return {field: _("Required.") if str(error).endswith("required") else _("Not valid here.")}
    return {}


@router.post("/new")
def open_case(
    request: Request, seen: Annotated[Visitor, Depends(officer)], form: Annotated[Mapping[str, str], Depends(posted)]
) -> Response:
    catalogue = _catalogue(request)
    kinds = _openable(catalogue, seen)
    kind = next((k for k in kinds if k.key == form.get("type")), None)
    if kind is None:
        raise PageError(404, seen._("No such record in your branches."))
    fields: dict[str, Any] = {c.name: form.get(f"form.{c.name}", "").strip() or None for c in kind.form}
    wanted = NewCase(
        type=kind.key,
        channel=form.get("channel") or "branch",
        civil_number=form.get("civil_number", "").strip() or None,
        category=form.get("category") or None,
        subject=form.get("subject", "").strip() or None,
        sensitive=form.get("sensitive") == "on",
        language="en" if form.get("language") == "en" else "ar",
        form={k: v for k, v in fields.items() if v is not None},
    )
    try:
        opened = actions.open_case(
            bootstrap.unit_of_work(request.app.state.engine), catalogue, wanted, principal=seen.user
        )
    except HimayaError as error:
        errors = _field_errors(seen, kind, error, catalogue.person_number)
        status, message = explain(seen, error)
        if not errors and status in (403, 404):
            raise PageError(status, message) from None
        return render(
            request, seen, "case_new.html", status=422, kinds=kinds, kind=kind, values=form, errors=errors,
            problem=message,
        )  # fmt: skip
    return redirect(f"/office/cases/{opened.number}")


def show_case(request: Request, seen: Visitor, number: str, problem: str | None = None, status: int = 200) -> Response:
    if not seen.user.can(Permission.CASE_READ):  # as the API's `GET /cases/{number}`: auditors, finance
        raise PageError(403, seen._("Your roles do not allow this."))
    if not NUMBER.match(number):
        raise PageError(404, seen._("No such record in your branches."))
    catalogue = _catalogue(request)
    try:
        view = actions.show(bootstrap.unit_of_work(request.app.state.engine), catalogue, number, principal=seen.user)
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    kind = catalogue.type(view.case["type"])
    try:  # the letter the case has to give now (its decision, referral or receipt), if any
        letter = which(kind, view.case) if kind is not None else None
    except ConflictError:
        letter = None
    providers = _consent_providers(request, view.case) if seen.user.can(Permission.CASE_WORK) else None
    moves = tuple(m for m in view.moves if providers is None or m != CONSENTED)  # consent has its own form
    return render(
        request, seen, "case.html", status=status, view=view, kind=kind, problem=problem,
        events=list(reversed(view.events)), letter=letter, moves=moves, providers=providers,
        can_attach=seen.user.can(Permission.CASE_WORK) and not view.case.get("closed_at"),
    )  # fmt: skip


def _consent_providers(request: Request, case: Mapping[str, Any]) -> list[Any] | None:
    """For a proposed referral, the providers it may be sent to (the proposal's first); else None."""
    pack = request.app.state.pack
    if pack.services_dir is None:  # a pack without services has no referrals
        return None
    services = pack.services
    if case["type"] != services.case_type or case["state"] != PROPOSED:
        return None
    proposed = (case.get("form") or {}).get("provider")
    offered = services.offered(wilayat=case["wilayat"], service=(case.get("form") or {}).get("service"))
    return sorted(offered, key=lambda p: p.key != proposed)


@router.get("/{number}")
def case_page(request: Request, seen: Annotated[Visitor, Depends(officer)], number: str) -> Response:
    return show_case(request, seen, number)


@router.post("/{number}/notes")
def add_note(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
    number: str,
) -> Response:
    text = form.get("text", "").strip()
    if not text:
        return show_case(request, seen, number, seen._("Write the note first."), 422)
    try:
        actions.note(bootstrap.unit_of_work(request.app.state.engine), number, text, principal=seen.user)
    except HimayaError as error:
        status, message = explain(seen, error)
        if status == 404:
            raise PageError(status, message) from None
        return show_case(request, seen, number, message, status)
    return redirect(f"/office/cases/{number}")


@router.post("/{number}/move")
def move(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
    number: str,
) -> Response:
    """A step of the case's work or a decision (maker-checker refusals shown on the case page)."""
    version = form.get("version", "")
    try:
        actions.move(
            bootstrap.unit_of_work(request.app.state.engine),
            _catalogue(request),
            number,
            form.get("to", ""),
            expected_version=form_version(seen, version),
            reason=form.get("reason", "").strip() or None,
            principal=seen.user,
            desk=bootstrap.application_desk(request.app.state.pack),  # an application's decision runs the rules
        )
    except HimayaError as error:
        status, message = explain(seen, error)
        if status == 404:
            raise PageError(status, message) from None
        return show_case(request, seen, number, message, status)
    return redirect(f"/office/cases/{number}")
