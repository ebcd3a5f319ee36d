"""The officer's home: the branch inbox of cases, by due date (the API's `GET /cases`), and the officer's
unread staff messages (the API's `GET /notify/inbox?unread=true`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import actions, staff
from himaya.cases.model import PAGE, Inbox
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.web.pages import PageError, Visitor, explain, officer, redirect, render

router = APIRouter(prefix="/office", include_in_schema=False)
MESSAGES = 10  # unread staff messages shown on the home page


@router.get("/")
def home(request: Request, seen: Annotated[Visitor, Depends(officer)], page: str = "1") -> Response:
    """The inbox's `page` (1, 2, ...): anything else is the first page, never an error."""
    page_number = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    if not seen.user.can(Permission.CASE_READ) and seen.user.can(Permission.PAYROLL_READ):
        return redirect("/office/payroll")  # finance's home: the payroll runs
    rows: list[dict[str, object]] = []
    catalogue = request.app.state.pack.cases
    engine = request.app.state.engine
    if seen.user.can(Permission.CASE_READ):
        try:
            rows = actions.inbox(
                bootstrap.unit_of_work(engine), catalogue, Inbox(page=page_number), principal=seen.user
            )
        except HimayaError as error:
            raise PageError(*explain(seen, error)) from None
    messages = staff.inbox(bootstrap.unit_of_work(engine), principal=seen.user, unread=True, limit=MESSAGES)
    more = len(rows) == PAGE
    return render(
        request, seen, "home.html", cases=rows, catalogue=catalogue, page=page_number, more=more, messages=messages
    )
