"""The officer's home: the branch inbox of cases, by due date (the API's `GET /cases`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.model import PAGE, Inbox
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.web.pages import PageError, Visitor, explain, officer, redirect, render

router = APIRouter(prefix="/office", include_in_schema=False)


@router.get("/")
def home(request: Request, seen: Annotated[Visitor, Depends(officer)], page: str = "1") -> Response:
    """The inbox's `page` (1, 2, ...): anything else is the first page, never an error."""
    page_number = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    if not seen.user.can(Permission.CASE_READ) and seen.user.can(Permission.PAYROLL_READ):
        return redirect("/office/payroll")  # finance's home: the payroll runs
    rows: list[dict[str, object]] = []
    catalogue = request.app.state.pack.cases
    if seen.user.can(Permission.CASE_READ):
        uow = bootstrap.unit_of_work(request.app.state.engine)
        try:
            rows = actions.inbox(uow, catalogue, Inbox(page=page_number), principal=seen.user)
        except HimayaError as error:
            raise PageError(*explain(seen, error)) from None
    return render(request, seen, "home.html", cases=rows, catalogue=catalogue, page=page_number, more=len(rows) == PAGE)
