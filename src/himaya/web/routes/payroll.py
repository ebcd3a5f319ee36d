"""For finance: where each monthly run stands, its submission and its approval by a second user (the
API's `/payroll` transitions: maker-checker refused to the one who calculated or submitted the run),
and its exceptions: the people held for want of a valid bank account, in the user's branches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.access.masking import pseudonym
from himaya.bootstrap import audit
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.core.periods import Period
from himaya.payroll.rules import MakerCheckerError
from himaya.web.pages import PageError, Visitor, explain, key, officer, posted, redirect, render

store = bootstrap.payroll_store  # the actions on an engine, as the API reaches them
router = APIRouter(prefix="/office/payroll", include_in_schema=False)
STEPS = {"submit": Permission.PAYROLL_SUBMIT, "approve": Permission.PAYROLL_APPROVE}
LIMIT = 1000


def _month(seen: Visitor, text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise PageError(404, seen._("No such record in your branches.")) from None


def _runs(request: Request) -> list[dict[str, Any]]:
    return list(store.status(request.app.state.engine).iter_rows(named=True))


def _page(request: Request, seen: Visitor, problem: str | None = None, status: int = 200) -> Response:
    if not seen.user.can(Permission.PAYROLL_READ):
        raise PageError(403, seen._("Your roles do not allow this."))
    steps = [step for step, needed in STEPS.items() if seen.user.can(needed)]
    _ = seen._
    states = {
        "calculated": _("Calculated"),
        "submitted": _("Submitted, awaiting approval"),
        "approved": _("Approved"),
        "exported": _("Bank files written"),
        "reconciled": _("Reconciled"),
        "closed": _("Closed"),
    }
    return render(
        request, seen, "payroll.html", status=status, runs=_runs(request), steps=steps, problem=problem, states=states
    )


@router.get("")
def runs(request: Request, seen: Annotated[Visitor, Depends(officer)]) -> Response:
    return _page(request, seen)


@router.post("/{period}/{step}")
def move(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    _: Annotated[Mapping[str, str], Depends(posted)],
    period: str,
    step: str,
) -> Response:
    needed = STEPS.get(step)
    if needed is None:
        raise PageError(404, seen._("No such page."))
    if not seen.user.can(needed):
        raise PageError(403, seen._("Your roles do not allow this."))
    month = _month(seen, period)
    try:
        store.transition(request.app.state.engine, month, step, actor=seen.user.username)
    except MakerCheckerError:
        message = seen._("You calculated or submitted this run: another user must approve it (maker-checker).")
        return _page(request, seen, message, 403)
    except HimayaError as error:
        status, message = explain(seen, error)
        return _page(request, seen, message, status)
    return redirect("/office/payroll")


@router.get("/{period}/held")
def held(request: Request, seen: Annotated[Visitor, Depends(officer)], period: str) -> Response:
    """The run's exceptions: masked (a pseudonym for the civil number) for a user who may not identify people."""
    if not seen.user.can(Permission.PAYROLL_READ):
        raise PageError(403, seen._("Your roles do not allow this."))
    month = _month(seen, period)
    lines = store.held(request.app.state.engine, month, principal=seen.user)
    rows = list(lines.head(LIMIT).iter_rows(named=True))
    with request.app.state.engine.begin() as connection:  # a list of people: a read of their data
        what = {"people": [r["person_id"] for r in rows]}
        audit.record_read(connection, f"payroll:{month}:held", what, actor=seen.user.username)
    if not seen.user.identifies:
        for row in rows:
            row.pop("payee_id")
            row["ref"] = pseudonym(key(request), str(row.pop("person_id")))
    total = int(lines["amount"].sum()) if lines.height else 0
    return render(request, seen, "payroll_held.html", period=str(month), rows=rows, lines=lines.height, total=total)
