"""Registering a newborn into a family, and recording a disability assessment, through the
registry's own write actions (`registry.actions.register` and `record_facts`, as the API's
`POST /people` and `PUT /people/{n}/assessment`): the same validation by the pack's contract, the
same branch scope, permissions and audit entries. A refused value is shown next to its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.core.access import Permission
from himaya.core.clock import today
from himaya.core.errors import ConflictError, HimayaError, InputTableError, InvalidInputError
from himaya.policy.pack import PolicyPack
from himaya.policy.problems_ar import in_arabic
from himaya.registry import actions
from himaya.registry.model import Fact
from himaya.registry.rules import CARD_WITHOUT_CATEGORY
from himaya.web.pages import PageError, Visitor, explain, form_version, officer, posted, redirect, render

router = APIRouter(prefix="/office", include_in_schema=False)
FAMILY = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
CIVIL = re.compile(r"^[0-9]{1,16}$")
NEWBORN = (
    "person_id", "sex", "birth_date", "nationality",
    "given_name_ar", "given_name_en", "father_name_ar", "father_name_en",
)  # fmt: skip
INHERITED = ("family_name_ar", "family_name_en", "governorate")  # and the family's place


def registered(seen: Visitor, pack: PolicyPack) -> str:
    """That the person's number is registered already, in the pack's words (a civil number, Iraq's
    national ID number)."""
    number = pack.person_number.in_("ar" if seen.locale.language == "ar" else "en")
    return seen._("This %(number)s is registered already.") % {"number": number[:1].lower() + number[1:]}


def require_permission(seen: Visitor, permission: Permission) -> None:
    if not seen.user.can(permission) or not seen.user.identifies:
        raise PageError(403, seen._("Your roles do not allow this."))


def _head(request: Request, seen: Visitor, family_number: str) -> dict[str, Any]:
    """The family's head as the user may read them (404 for a family of another branch)."""
    if not FAMILY.match(family_number):
        raise PageError(404, seen._("No such record in your branches."))
    try:
        rows = actions.family_members(
            bootstrap.unit_of_work(request.app.state.engine), family_number, principal=seen.user
        )
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return next((r for r in rows if r.get("relationship") == "head"), rows[0])


def field_errors(seen: Visitor, error: InvalidInputError, pack: PolicyPack) -> dict[str, str]:
    """An action's refusal as a sentence per field in the reader's language (the rule the registry's
    contract states, in Arabic from `policy/problems_ar.py`), or under "" when it names no field."""
    _ = seen._
    arabic = seen.locale.language == "ar"
    if not isinstance(error, InputTableError):
        return {"": _("Some of what was entered is not valid.") + ("" if arabic else f" ({error})")}
    labels = {"birth_date": _("Date of birth")}
    found: dict[str, str] = {}
    for problem in error.problems:
        if problem.rule == CARD_WITHOUT_CATEGORY:
            text = _("A disability card is held: choose the category it was issued for.")
        elif arabic:
            text = in_arabic(problem, pack.registry, codes=pack.code_names, labels=labels)
        elif "required" in problem.rule:
            text = _("This field is required.")
        else:
            text = f"{_('This value is not valid.')} ({problem.rule})"
        found.setdefault(problem.column, text)
    return found


def _newborn_record(
    head: Mapping[str, Any], family_number: str, values: Mapping[str, str], place: str
) -> dict[str, Any]:
    """The registry row of a child born into the family: the family's name, place (in the pack's
    place column; the store's rows name it `wilayat`, the column branches are scoped by) and
    nationality, a resident single child; what the form gives."""
    record: dict[str, Any] = {k: head.get(k) for k in INHERITED}
    record[place] = head.get(place) or head.get("wilayat")
    record |= {k: values.get(k, "").strip() or None for k in NEWBORN}
    record |= {"family_id": family_number, "relationship": "child", "resident": True, "marital_status": "single"}
    return record


def _newborn_page(
    request: Request, seen: Visitor, family_number: str, head: Mapping[str, Any], **context: Any
) -> Response:
    values = context.pop("values", None) or {
        "father_name_ar": head.get("given_name_ar") if head.get("sex") == "M" else "",
        "father_name_en": head.get("given_name_en") if head.get("sex") == "M" else "",
        "birth_date": "",
        "nationality": request.app.state.pack.country,
    }
    return render(
        request, seen, "newborn.html", family_number=family_number, head=head, values=values,
        errors=context.pop("errors", {}), today=today(request.app.state.pack.timezone).isoformat(), **context,
    )  # fmt: skip


@router.get("/families/{family_number}/newborn")
def newborn_form(request: Request, seen: Annotated[Visitor, Depends(officer)], family_number: str) -> Response:
    require_permission(seen, Permission.PERSON_CREATE)
    return _newborn_page(request, seen, family_number, _head(request, seen, family_number))


@router.post("/families/{family_number}/newborn")
def newborn(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
    family_number: str,
) -> Response:
    """Register the child (`registry.actions.register`): the person's page once registered."""
    require_permission(seen, Permission.PERSON_CREATE)
    head = _head(request, seen, family_number)
    values = {k: form.get(k, "")[:100] for k in NEWBORN}
    try:
        written = actions.register(
            bootstrap.unit_of_work(request.app.state.engine),
            bootstrap.registry_contract(request.app.state.pack),
            _newborn_record(head, family_number, values, request.app.state.pack.place_column),
            valid_from=None,
            principal=seen.user,
        )
    except InvalidInputError as error:
        errors = field_errors(seen, error, request.app.state.pack)
        for column in set(errors) - {"", *NEWBORN}:  # a value the form does not hold (from the family)
            errors[""] = f"{errors.get('', '')} {column}: {errors.pop(column)}".strip()
        return _newborn_page(request, seen, family_number, head, values=values, errors=errors, status=422)
    except ConflictError:
        errors = {"person_id": registered(seen, request.app.state.pack)}
        return _newborn_page(request, seen, family_number, head, values=values, errors=errors, status=409)
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return redirect(f"/office/people/{written.civil_number}")


def person_record(request: Request, seen: Visitor, civil_number: str) -> Any:
    if not CIVIL.match(civil_number):
        raise PageError(404, seen._("No such record in your branches."))
    try:
        return actions.read(
            bootstrap.unit_of_work(request.app.state.engine), civil_number, "record", principal=seen.user
        )
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None


def _assessment_page(request: Request, seen: Visitor, record: Any, **context: Any) -> Response:
    current = [r for r in record.history.get("disability", []) if r.get("valid_to") is None]
    return render(
        request, seen, "assessment.html", person=record.person, current=current[0] if current else None,
        categories=list(request.app.state.pack.code_names.get("disability_category", {})),
        values=context.pop("values", {}), errors=context.pop("errors", {}), **context,
    )  # fmt: skip


@router.get("/people/{civil_number}/assessment")
def assessment_form(request: Request, seen: Annotated[Visitor, Depends(officer)], civil_number: str) -> Response:
    require_permission(seen, Permission.FACT_WRITE)
    return _assessment_page(request, seen, person_record(request, seen, civil_number))


@router.post("/people/{civil_number}/assessment")
def assessment(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
    civil_number: str,
) -> Response:
    """Record the assessment (`registry.actions.record_facts`), from the version the form was read at."""
    require_permission(seen, Permission.FACT_WRITE)
    record = person_record(request, seen, civil_number)
    values = {k: form.get(k, "")[:32] for k in ("disability_category", "disability_card", "valid_from", "version")}
    errors: dict[str, str] = {}
    valid_from = None
    try:
        valid_from = date.fromisoformat(values["valid_from"]) if values["valid_from"] else None
    except ValueError:
        errors["valid_from"] = seen._("This value is not valid.")
    version = form_version(seen, values["version"])
    facts = {
        "disability_category": values["disability_category"] or None,
        "disability_card": bool(values["disability_card"]),
    }
    if not errors:
        try:
            actions.record_facts(
                bootstrap.unit_of_work(request.app.state.engine),
                bootstrap.registry_contract(request.app.state.pack),
                civil_number, Fact.ASSESSMENT, facts,
                expected_version=version, valid_from=valid_from, principal=seen.user,
            )  # fmt: skip
            return redirect(f"/office/people/{civil_number}")
        except InvalidInputError as error:
            errors = field_errors(seen, error, request.app.state.pack)
            if "" in errors:  # the date's window (registry.rules.effective_window) names no column
                errors["valid_from"] = errors.pop("")
        except ConflictError as error:
            return _assessment_page(request, seen, record, values=values, status=409, problem=explain(seen, error)[1])
        except HimayaError as error:
            raise PageError(*explain(seen, error)) from None
    return _assessment_page(request, seen, record, values=values, errors=errors, status=422)
