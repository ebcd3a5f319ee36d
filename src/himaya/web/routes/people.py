"""Finding a person (by name in Arabic or Latin script, by civil number, by family number) and the
person's page: the person, the family's members, enrollments and history as a timeline. The same
actions as the API's `/people` and `/families`, the same masking (`access.masking`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.access.masking import present
from himaya.bootstrap import insurance
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.registry import actions
from himaya.registry.model import Search
from himaya.registry.name_search import ascii_digits
from himaya.registry.views import family_view
from himaya.web.causes import by_enrollment, kinds
from himaya.web.pages import PageError, Visitor, explain, key, officer, redirect, render
from himaya.web.routes import letters
from himaya.web.timeline import shown

router = APIRouter(prefix="/office", include_in_schema=False)
CIVIL = re.compile(r"^[0-9]{1,16}$")
FAMILY = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
LIMIT = 50


def _needs(seen: Visitor, permission: Permission) -> None:
    if not seen.user.can(permission):
        raise PageError(403, seen._("Your roles do not allow this."))


@router.get("/people")
def search(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    q: str = "",
    family: str = "",
) -> Response:
    """One search box (`Search.parse`, as the API's `q`): a civil or mobile number, or names in
    Arabic or Latin script; `family=` lists a family's members (the family pages link here)."""
    _needs(seen, Permission.PERSON_READ)
    q, family = q.strip()[:64], family.strip()[:32]
    problem, rows = None, []
    wanted = None
    if family and FAMILY.match(family):
        wanted = Search(family_number=family)
    elif len(q) >= 2:
        if not seen.user.identifies:  # as the API: a search by name, number or phone identifies people
            raise PageError(403, seen._("Searching by name needs the permission to identify people."))
        wanted = Search.parse(q)
    elif q or family:
        problem = seen._("Write at least two letters of a name, a civil number or a phone number.")
    if wanted is not None:
        uow = bootstrap.unit_of_work(request.app.state.engine)
        try:
            found = actions.search(
                uow, wanted, limit=LIMIT, offset=0, principal=seen.user,
                dialling_code=request.app.state.pack.dialling_code,
            )  # fmt: skip
        except HimayaError as error:
            raise PageError(*explain(seen, error)) from None
        if wanted.number and len(found) == 1 and found[0].get("civil_number") == wanted.number:
            return redirect(f"/office/people/{wanted.number}")  # a civil number: the person
        rows = [present(key(request), seen.user, r) for r in found]
    return render(request, seen, "search.html", q=q, family=family, people=rows, problem=problem, searched=wanted)


def _family(request: Request, seen: Visitor, family_number: str | None) -> list[dict[str, Any]]:
    if not family_number:
        return []
    uow = bootstrap.unit_of_work(request.app.state.engine)
    try:
        rows = actions.family_members(uow, family_number, principal=seen.user)
    except HimayaError:
        return []
    return [present(key(request), seen.user, r) for r in rows]


def _timeline(
    seen: Visitor, names: Mapping[str, Any], history: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Every time-bound fact's rows as one list, newest first, each value named and written in the
    reader's language (`timeline.py`)."""
    skip = {"id", "person_id", "family_id", "valid_from", "valid_to", "recorded_at", "recorded_by"}
    items = [
        {
            "fact": name,
            "from": row.get("valid_from"),
            "to": row.get("valid_to"),
            "values": [shown(seen, names, k, v) for k, v in row.items() if k not in skip and v not in (None, "")],
        }
        for name, rows in history.items()
        for row in rows
    ]
    return sorted(items, key=lambda i: str(i["from"] or ""), reverse=True)


@router.get("/people/{civil_number}")
def person(request: Request, seen: Annotated[Visitor, Depends(officer)], civil_number: str) -> Response:
    _needs(seen, Permission.PERSON_READ)
    if not CIVIL.match(civil_number):
        typed = ascii_digits(civil_number)  # typed with an Arabic keyboard: the same person's page
        if typed != civil_number and CIVIL.match(typed):
            return redirect(f"/office/people/{typed}")
        raise PageError(404, seen._("No such record in your branches."))
    if not seen.user.identifies:  # as the API: looking someone up by civil number is identifying them
        raise PageError(403, seen._("Reading a person by civil number needs the permission to identify people."))
    try:
        record = actions.read(
            bootstrap.unit_of_work(request.app.state.engine), civil_number, "record", principal=seen.user
        )
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    shown = present(key(request), seen.user, record.person)
    enrollments = record.enrollments if seen.user.can(Permission.ENROLLMENT_READ) else []
    causes = insurance.enrollment_causes(request.app.state.engine, [civil_number]) if enrollments else []
    current = [m for m in record.history.get("families", []) if m.get("valid_to") is None]
    family_number = current[0]["family_number"] if current else None
    return render(
        request, seen, "person.html", person=shown, family_number=family_number,
        members=_family(request, seen, family_number), facts=_facts(seen),
        enrollments=enrollments, timeline=_timeline(seen, request.app.state.pack.code_names, record.history),
        causes=by_enrollment(causes), event_kinds=kinds(seen),
    )  # fmt: skip


@router.get("/families/{family_number}")
def family_page(request: Request, seen: Annotated[Visitor, Depends(officer)], family_number: str) -> Response:
    """A family's members: masked for a user who may not identify people (auditors, analysts)."""
    _needs(seen, Permission.PERSON_READ)
    if not FAMILY.match(family_number):
        raise PageError(404, seen._("No such record in your branches."))
    this, following = letters.months(request.app.state.pack)
    months = (this, following) if seen.user.can(Permission.ENTITLEMENT_READ) else ()
    uow = bootstrap.unit_of_work(request.app.state.engine)
    try:  # the members and the months' tables in one read, one audit entry
        view = family_view(uow, family_number, [m.end for m in months], principal=seen.user)
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    members = [present(key(request), seen.user, r) for r in view.members]
    statements = letters.statements(request, seen, family_number, {m: view.tables[m.end] for m in months})
    return render(
        request, seen, "family.html", family_number=family_number, members=members,
        statements=[(str(m), s) for m, s in statements.items()], month=str(this),
    )  # fmt: skip


def _facts(seen: Visitor) -> dict[str, str]:
    _ = seen._
    return {
        "families": _("Family membership"),
        "situation": _("Situation"),
        "disability": _("Disability assessment"),
        "incomes": _("Income"),
        "earning_capacity": _("Earning capacity"),
        "bank_accounts": _("Bank account"),
    }
