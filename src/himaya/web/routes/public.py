"""`/public`: the public dashboard, for anyone, without logging in: beneficiaries and spending by
programme, governorate and month, and the country's trend as a bar chart drawn by the server, in
Arabic or English. The figures are the open statistics as published (`bootstrap.public_statistics`,
the API's `/public/statistics`): a suppressed cell is shown as a marker, and the page never adds
cells up (every total shown is a published margin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
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


@dataclass(frozen=True)
class Choice:
    """What the reader asked for: the measure, the month of the detailed table, the programme and
    governorate of the trend (a published margin where `ALL`), and the months shown (`first`-`last`)."""

    measure: Measure = "beneficiaries"
    month: str = ""
    programme: str = ALL
    governorate: str = ALL
    first: str = ""
    last: str = ""


def _months(statistics: Statistics, choice: Choice, seen: Visitor) -> list[str]:
    every = sorted({str(m) for m in statistics.table["month"].to_list()})
    first, last = choice.first or "0000-00", choice.last or "9999-99"
    if first > last:
        raise PageError(422, seen._("The first month is after the last."))
    return [m for m in every if first <= m[:7] <= last]


def _open_data_query(choice: Choice, months: list[str]) -> dict[str, str]:
    """The open data's query for what the page shows (`/public/statistics` takes the same filters)."""
    query = {"from": months[0][:7], "to": months[-1][:7]} if months else {}
    return query | {k: v for k, v in (("programme", choice.programme), ("governorate", choice.governorate)) if v != ALL}


def _view(statistics: Statistics, seen: Visitor, choice: Choice) -> dict[str, Any]:
    loc = seen.locale
    if choice.programme not in statistics.programmes or choice.governorate not in statistics.governorates:
        raise PageError(422, seen._("No such programme or governorate."))
    every = sorted({str(m) for m in statistics.table["month"].to_list()})
    months = _months(statistics, choice, seen)
    month = choice.month if choice.month in months else (months[-1] if months else "")
    cells = _cells(statistics, choice.measure)
    # Every figure is a published cell (a margin where ALL): the filters never add anything up.
    trend = [(m, cells.get((m, choice.programme, choice.governorate), 0)) for m in months]
    chart = bars(
        [v for _, v in trend], [loc.month(m) for m in months], loc.number, marker=MARKER, rtl=loc.direction == "rtl"
    )
    language: Literal["en", "ar"] = "ar" if loc.language == "ar" else "en"
    programmes = [(c, t.in_(language)) for c, t in statistics.programmes.items()]
    governorates = [(c, t.in_(language)) for c, t in statistics.governorates.items()]
    return {
        "every": every,
        "months": months,
        "month": month,
        "choice": choice,
        "measure": choice.measure,
        "cells": cells,
        "programmes": programmes,
        "governorates": governorates,
        "scope": (dict(programmes)[choice.programme], dict(governorates)[choice.governorate]),
        "trend": trend,
        "chart": chart,
        "marker": MARKER,
        "all": ALL,
        "rules": statistics.rules,
        "period": urlencode(_open_data_query(choice, months)),
    }


@router.get("/public")
def dashboard(
    request: Request,
    seen: Annotated[Visitor, Depends(visitor)],
    month: str = "",
    measure: Measure = "beneficiaries",
    programme: str = ALL,
    governorate: str = ALL,
    first: Annotated[str, Query(alias="from")] = "",
    last: Annotated[str, Query(alias="to")] = "",
) -> Response:
    """The dashboard of the twelve months to this one; `month` picks the month of the detailed table,
    `programme` and `governorate` the trend's, `from` and `to` (YYYY-MM) the months shown."""
    state = request.app.state
    try:
        statistics = bootstrap.public_statistics(engine=state.engine, pack=state.pack, fresh=False)
    except InvalidInputError:
        raise PageError(422, seen._("Some of what was entered is not valid.")) from None
    choice = Choice(measure, month[:7], programme, governorate, first[:7], last[:7])
    return render(request, seen, "public.html", **_view(statistics, seen, choice))
