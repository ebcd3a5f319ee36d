"""The officer's home: the branch inbox of cases, by due date (the API's `GET /cases`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.model import PAGE, Inbox
from himaya.core.access import Permission
from himaya.core.errors import HimayaError
from himaya.web.pages import PageError, Visitor, explain, officer, render

router = APIRouter(prefix="/office", include_in_schema=False)


@router.get("/")
def home(
    request: Request, seen: Annotated[Visitor, Depends(officer)], page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> Response:
    rows: list[dict[str, object]] = []
    catalogue = request.app.state.pack.cases
    if seen.user.can(Permission.CASE_READ):
        uow = bootstrap.unit_of_work(request.app.state.engine)
        try:
            rows = actions.inbox(uow, catalogue, Inbox(page=page), principal=seen.user)
        except HimayaError as error:
            raise PageError(*explain(seen, error)) from None
    return render(request, seen, "home.html", cases=rows, catalogue=catalogue, page=page, more=len(rows) == PAGE)
