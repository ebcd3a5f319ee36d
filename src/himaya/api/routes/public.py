"""`/public/statistics`: the open statistics, for anyone, without logging in.

Beneficiaries and spending by programme, governorate and month, under disclosure control (no
count under 10 persons, secondary suppression, amounts rounded: `analysis/disclosure.py`). Only
aggregates: nothing here reads or returns a person. The answers may be kept by browsers and
proxies for a few minutes (`Cache-Control: public`, an `ETag` of the data's version), and read by
any web page (`Access-Control-Allow-Origin: *`, no credentials).
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.analysis.public import Statistics

router = APIRouter(prefix="/public", tags=["public"])

PATHS = ("/public/statistics", "/public/statistics.csv")  # answers a cache may keep (api/guard.py)
MAX_AGE = 300  # seconds a browser or proxy may reuse an answer

First = Annotated[
    str | None,
    Query(alias="from", max_length=16, description="First month, YYYY-MM (default: eleven months before `to`)."),
]
Last = Annotated[str | None, Query(alias="to", max_length=16, description="Last month, YYYY-MM (default: this month).")]
Programmes = Annotated[
    list[str],
    Query(alias="programme", max_length=64, description="Only these programmes (codes; `all`: the totals)."),
]
Governorates = Annotated[
    list[str],
    Query(
        alias="governorate",
        max_length=64,
        description="Only these governorates (codes; `all`: the totals; `unknown`: not recorded).",
    ),
]


class Name(BaseModel):
    code: str
    en: str
    ar: str


class DisclosureRules(BaseModel):
    threshold: int = Field(description="Counts below this (but above 0) are suppressed.")
    rounding_omr: int = Field(
        description="Amounts are rounded to the nearest multiple of this many units of `currency` (OMR, IQD)."
    )


class Row(BaseModel):
    month: str = Field(description="YYYY-MM")
    programme: str = Field(description="A programme's code, or `all` for the total of the governorate.")
    governorate: str = Field(description="A governorate's code, `unknown`, or `all` for the programme's total.")
    beneficiaries: int | None = Field(description="Distinct persons enrolled in the month; null: suppressed.")
    spending_omr: int | None = Field(
        description="Paid in the month, in whole units of `currency` (named for the first, OMR), rounded;"
        " null: suppressed."
    )
    suppressed: bool


class Total(BaseModel):
    month: str
    beneficiaries: int | None
    spending_omr: int | None
    suppressed: bool


class PublicStatistics(BaseModel):
    from_: str = Field(alias="from")
    to: str
    currency: str = Field(description="ISO 4217 code of the amounts: the registry's pack's (OMR, IQD).")
    rules: DisclosureRules
    programmes: list[Name]
    governorates: list[Name]
    rows: list[Row]
    trend: list[Total] = Field(description="The country's totals month by month (whatever the filters).")


def _statistics(
    request: Request, first: str | None, last: str | None, programmes: list[str], governorates: list[str]
) -> Statistics:
    return bootstrap.public_statistics(
        first=first,
        last=last,
        programmes=programmes,
        governorates=governorates,
        engine=request.app.state.engine,
        pack=request.app.state.pack,
        fresh=False,  # answer at once: tables of an earlier version while the new ones are made
    )


def _cache_headers(request: Request, statistics: Statistics, kind: str) -> tuple[dict[str, str], bool]:
    """The cache headers of the answer, and whether the client's copy is current (answer 304)."""
    query = request.url.query.encode()
    tag = '"' + hashlib.sha256(b"\0".join((kind.encode(), statistics.version.encode(), query))).hexdigest()[:32] + '"'
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": tag, "Access-Control-Allow-Origin": "*"}
    return headers, request.headers.get("if-none-match") == tag


@router.get(
    "/statistics",
    summary="Beneficiaries and spending by programme, governorate and month (open data, no login)",
    response_model=PublicStatistics,
    response_model_by_alias=True,
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def statistics(
    request: Request,
    response: Response,
    first: First = None,
    last: Last = None,
    programmes: Programmes = [],  # noqa: B006  (FastAPI copies a list default per request)
    governorates: Governorates = [],  # noqa: B006
) -> PublicStatistics | Response:
    found = _statistics(request, first, last, programmes, governorates)
    headers, fresh = _cache_headers(request, found, "json")
    if fresh:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return PublicStatistics.model_validate(found.json())


@router.get(
    "/statistics.csv",
    summary="The same as open-data CSV (UTF-8, a header row, names in English and Arabic)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 304: {"description": "Not modified (If-None-Match)"}},
)
def statistics_csv(
    request: Request,
    first: First = None,
    last: Last = None,
    programmes: Programmes = [],  # noqa: B006
    governorates: Governorates = [],  # noqa: B006
) -> Response:
    found = _statistics(request, first, last, programmes, governorates)
    headers, fresh = _cache_headers(request, found, "csv")
    if fresh:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="himaya-statistics-{found.first}-{found.last}.csv"'
    return Response(found.csv().encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
