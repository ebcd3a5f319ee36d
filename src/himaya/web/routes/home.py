"""The officer's home: the branch inbox of cases, by due date (the API's `GET /cases`), and the officer's
unread staff messages (the API's `GET /notify/inbox?unread=true`), which they mark read one by one or
all at once (the API's `POST /notify/inbox/read`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import actions, staff
from himaya.cases.model import PAGE, Inbox
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.web.pages import PageError, Visitor, explain, officer, posted, redirect, render

router = APIRouter(prefix="/office", include_in_schema=False)
MESSAGES = 10  # unread staff messages shown on the home page
IDS = re.compile(r"[0-9]{1,18}(?:,[0-9]{1,18})*")  # how many at most: staff.mark_read's rule


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


@router.post("/messages/read")
def read_messages(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
) -> Response:
    """Mark read the staff messages the form names (`ids`: numbers separated by commas): only the
    officer's own; one that is not theirs is answered as missing and nothing is marked."""
    ids = form.get("ids", "")
    if len(ids) > 19 * staff.MAX_IDS or not IDS.fullmatch(ids):
        raise PageError(422, seen._("Name the messages to mark as read."))
    try:
        staff.mark_read(
            bootstrap.unit_of_work(request.app.state.engine), [int(i) for i in ids.split(",")], principal=seen.user
        )
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return redirect("/office/")
