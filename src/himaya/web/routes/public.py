"""`/public`: the public dashboard, for anyone, without logging in: beneficiaries and spending by
programme, governorate and month, and the country's trend as a bar chart drawn by the server, in
Arabic or English. The figures are the open statistics as published (`bootstrap.public_statistics`,
the API's `/public/statistics`): a suppressed cell is shown as a marker, and the page never adds
cells up (every total shown is a published margin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.analysis.public import ALL, Statistics
from himaya.core.errors import InvalidInputError
from himaya.web.chart import bars
from himaya.web.pages import PageError, Visitor, render, visitor

router = APIRouter(include_in_schema=False)
MARKER = "✱"  # a suppressed cell (the legend says why)
Measure = Literal["beneficiaries", "spending_omr"]


def _cells(statistics: Statistics, measure: Measure) -> dict[tuple[str, str, str], int | None]:
    """(month, programme, governorate) -> the published figure, None when suppressed."""
    return {
        (r["month"], r["programme"], r["governorate"]): None if r["suppressed"] else r[measure]
        for r in statistics.table.iter_rows(named=True)
    }


def _view(statistics: Statistics, seen: Visitor, month: str, measure: Measure) -> dict[str, Any]:
    loc = seen.locale
    months = sorted({str(m) for m in statistics.table["month"].to_list()})
    if month not in months:
        month = months[-1] if months else ""
    national = {str(r["month"]): r for r in statistics.national.iter_rows(named=True)}
    trend = [national.get(m) for m in months]

    def figure(row: dict[str, Any] | None) -> int | None:
        return None if row is None or row["suppressed"] else row[measure]

    chart = bars(
        [figure(r) for r in trend],
        [loc.month(m) for m in months],
        loc.number,
        marker=MARKER,
        rtl=loc.direction == "rtl",
    )
    language: Literal["en", "ar"] = "ar" if loc.language == "ar" else "en"
    return {
        "months": months,
        "month": month,
        "measure": measure,
        "cells": _cells(statistics, measure),
        "programmes": [(c, t.in_(language)) for c, t in statistics.programmes.items()],
        "governorates": [(c, t.in_(language)) for c, t in statistics.governorates.items()],
        "trend": [(m, figure(r)) for m, r in zip(months, trend, strict=True)],
        "chart": chart,
        "marker": MARKER,
        "all": ALL,
        "rules": statistics.rules,
        "period": f"from={statistics.first}&to={statistics.last}",
    }


@router.get("/public")
def dashboard(
    request: Request,
    seen: Annotated[Visitor, Depends(visitor)],
    month: str = "",
    measure: Measure = "beneficiaries",
) -> Response:
    """The dashboard of the twelve months to this one; `month` picks the month of the detailed table."""
    state = request.app.state
    try:
        statistics = bootstrap.public_statistics(engine=state.engine, pack=state.pack, fresh=False)
    except InvalidInputError:
        raise PageError(422, seen._("Some of what was entered is not valid.")) from None
    return render(request, seen, "public.html", **_view(statistics, seen, month[:7], measure))
