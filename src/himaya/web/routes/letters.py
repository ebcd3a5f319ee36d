"""A family's entitlements explained as a citizen reads them (this month and the next), and the
letters as PDF: the family's statement of entitlements and a case's decision letter. The same
functions, permissions, branch scope and audit entries as the API's `/families/{n}/explanation`
and `/families/{n}/letter`, `/cases/{n}/letter`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.access.masking import pseudonym
from himaya.adapters.letters import render_pdf
from himaya.cases import actions as case_actions
from himaya.core.access import Permission
from himaya.core.clock import today
from himaya.core.errors import HimayaError
from himaya.core.letter import Letter
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.statement import members_of, statement, statement_json
from himaya.registry import actions
from himaya.web.pages import PageError, Visitor, explain, key, officer

router = APIRouter(prefix="/office", include_in_schema=False)
FAMILY = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
CASE = re.compile(r"^C-[0-9]{4}-[0-9]{6,9}$")
MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")


def months(pack: PolicyPack) -> tuple[Period, Period]:
    """This month and the next, in the pack's time zone."""
    now = Period.containing(today(pack.timezone))
    return now, now.shifted(1)


def explained(request: Request, seen: Visitor, family_number: str, month: Period) -> dict[str, Any] | None:
    """The family's statement for `month` in the reader's language (as the API's explanation: the
    members named only for a user who may identify people), or None without `entitlement.read`."""
    if not seen.user.can(Permission.ENTITLEMENT_READ):
        return None
    uow = bootstrap.unit_of_work(request.app.state.engine)
    try:
        people = actions.family_table(uow, family_number, month.end, principal=seen.user)
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return statements(request, seen, family_number, {month: people})[month]


def statements(
    request: Request, seen: Visitor, family_number: str, tables: dict[Period, pl.DataFrame]
) -> dict[Period, dict[str, Any]]:
    """The family's statement for each month from its people table on the month's last day, the
    months' rules evaluated at once (by the service's explainer, batched with other requests)."""
    pack: PolicyPack = request.app.state.pack
    asked, members = [], {}
    for month, table in tables.items():
        people, members[month] = table, members_of(table, pack.person_column) if seen.user.identifies else {}
        if not seen.user.identifies:
            names = {c: pseudonym(key(request), c) for c in table[pack.person_column].to_list()}
            people = table.with_columns(pl.col(pack.person_column).replace_strict(names))
        asked.append((people, month, family_number))
    answers = request.app.state.explainer.submit_all(asked)
    language: Literal["en", "ar"] = "ar" if seen.locale.language == "ar" else "en"
    return {
        month: statement_json(statement(answer.result(), members[month]), language)
        for month, answer in zip(tables, answers, strict=True)
    }


def _pdf(letter: Letter, name: str) -> Response:
    return Response(
        render_pdf(letter),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"', "Cache-Control": "no-store"},
    )


def _identifying(seen: Visitor, permission: Permission) -> None:
    if not seen.user.can(permission):
        raise PageError(403, seen._("Your roles do not allow this."))
    if not seen.user.identifies:  # as the API: a letter names the people it is for
        raise PageError(403, seen._("A letter names the people it is for: it needs the permission to identify people."))


@router.get("/families/{family_number}/letter.pdf")
def family_letter(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    family_number: str,
    period: str = "",
    lang: Literal["ar", "en"] = "ar",
) -> Response:
    """The statement of entitlements (PDF) for a month (default: this one)."""
    _identifying(seen, Permission.ENTITLEMENT_READ)
    if not FAMILY.match(family_number):
        raise PageError(404, seen._("No such record in your branches."))
    pack: PolicyPack = request.app.state.pack
    if period and not MONTH.match(period):
        raise PageError(422, seen._("Some of what was entered is not valid."))
    try:
        month = Period.parse(period) if period else months(pack)[0]
        letter = bootstrap.family_letter(
            bootstrap.unit_of_work(request.app.state.engine), pack, family_number, month,
            principal=seen.user, language=lang, explain=request.app.state.explainer.explain,
        )  # fmt: skip
    except ValueError:
        raise PageError(422, seen._("Some of what was entered is not valid.")) from None
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return _pdf(letter, f"statement-{family_number}-{month}-{lang}")


@router.get("/cases/{number}/letter.pdf")
def case_letter(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    number: str,
    lang: Literal["ar", "en"] | None = None,
) -> Response:
    """The case's letter to its person (the decision once decided), as the API's."""
    _identifying(seen, Permission.CASE_READ)
    if not CASE.match(number):
        raise PageError(404, seen._("No such record in your branches."))
    pack: PolicyPack = request.app.state.pack
    try:
        letter = case_actions.letter(
            bootstrap.unit_of_work(request.app.state.engine), pack.cases, number,
            principal=seen.user, sender=pack.institution, language=lang, services=pack.services,
        )  # fmt: skip
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return _pdf(letter, f"{number}-letter-{letter.language}")
