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
from himaya.core.clock import today
from himaya.core.errors import InvalidInputError, NamedRuleError
from himaya.core.periods import Period
from himaya.web.chart import bars
from himaya.web.pages import PageError, Visitor, render, visitor

router = APIRouter(include_in_schema=False)
MARKER = "✱"  # a suppressed cell (the legend says why)
Measure = Literal["beneficiaries", "spending_omr"]
MEASURES = ("beneficiaries", "spending_omr")


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


def _offered(pack: Any, today: Any) -> list[str]:
    """The months a reader may choose in `from` and `to`: the programmes' first to the current one."""
    months, month, now = [], pack.first_period, Period.containing(today)
    while month <= now:
        months.append(str(month))
        month = month.shifted(1)
    return months


def _open_data_query(choice: Choice, months: list[str]) -> dict[str, str]:
    """The open data's query for what the page shows (`/public/statistics` takes the same filters)."""
    query = {"from": months[0][:7], "to": months[-1][:7]} if months else {}
    return query | {k: v for k, v in (("programme", choice.programme), ("governorate", choice.governorate)) if v != ALL}


def _view(statistics: Statistics, seen: Visitor, choice: Choice, every: list[str]) -> dict[str, Any]:
    loc = seen.locale
    if choice.programme not in statistics.programmes or choice.governorate not in statistics.governorates:
        raise PageError(422, seen._("No such programme or governorate."))
    months = sorted({str(m) for m in statistics.table["month"].to_list()})
    if choice.month and choice.month not in {m[:7] for m in months}:
        raise PageError(422, seen._("No statistics for this month: choose one of the months shown."))
    month = next((m for m in months if m[:7] == choice.month), months[-1] if months else "")
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
    measure: str = "beneficiaries",
    programme: str = ALL,
    governorate: str = ALL,
    first: Annotated[str, Query(alias="from")] = "",
    last: Annotated[str, Query(alias="to")] = "",
) -> Response:
    """The dashboard of the twelve months to this one; `month` picks the month of the detailed table,
    `programme` and `governorate` the trend's, `from` and `to` (YYYY-MM) the months shown. Bad input
    answers the page with 422 and the reason, as the API's `/public/statistics` does."""
    state = request.app.state
    if measure not in MEASURES:
        raise PageError(422, seen._("Some of what was entered is not valid.") + _reason(seen, f"measure {measure!r}"))
    try:
        statistics = bootstrap.public_statistics(
            first=first or None, last=last or None, engine=state.engine, pack=state.pack, fresh=False
        )
    except InvalidInputError as error:
        raise PageError(422, _refusal(seen, error)) from None
    choice = Choice(measure, month, programme, governorate, first, last)  # type: ignore[arg-type]
    every = _offered(state.pack, today(state.pack.timezone))
    return render(request, seen, "public.html", **_view(statistics, seen, choice, every))


def _refusal(seen: Visitor, error: InvalidInputError) -> str:
    """Why the months asked for cannot be shown, in the reader's language."""
    _ = seen._
    said = {
        "months.order": _("The first month, {start}, is after the last, {end}."),
        "months.future": _("The last month, {end}, has not come yet: the latest is {now}."),
        "months.early": _("The first month, {start}, is before {first}, when the programmes began."),
        "months.long": _("{span} months were asked for: choose at most {most} at once."),
        "month.shape": _("{value} is not a month: write it YYYY-MM, such as 2026-03."),
        "month.range": _("{value} is outside the calendar: the years run from 1900 to 2999."),
    }
    if isinstance(error, NamedRuleError) and error.rule in said:
        values = {k: seen.locale.figures(v) for k, v in error.values.items()}
        return _("Some of what was entered is not valid.") + " " + said[error.rule].format(**values)
    return _("Some of what was entered is not valid.") + _reason(seen, str(error))


def _reason(seen: Visitor, said: str) -> str:
    """The reason in English words, for an English reader (the Arabic page keeps to Arabic)."""
    return f" ({said[:200]})" if seen.locale.language == "en" else ""
