"""`/insurance`: an employer's monthly declaration of wages (`insurance/declaring.py`: who may
declare for which employer; the same action and validation as `himaya insurance declare`); an
insured person's career, and their pension, job security benefit or maternity allowance computed
and explained (every step and parameter, with its status and legal reference, in English or
Arabic). Reading a person by civil number needs person.identify; a person outside the reader's
branches is answered as one who does not exist; every read is audited (`insurance/scoped.py`).
Nothing here writes a benefit: it is what the rules give today."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.adapters.tables import rows_from_csv, rows_from_json
from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.core.text import Language
from himaya.insurance import declaring, scoped
from himaya.insurance.pension import Kind
from himaya.insurance.pension_explain import KIND_NAMES, STATUS_NAMES, PensionExplanation

router = APIRouter(prefix="/insurance", tags=["insurance"])

CivilNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,16}$", description="The insured person's civil number.")]
Lang = Annotated[Literal["en", "ar"], Query(description="The language of the explanation.")]


class Month(BaseModel):
    month: str = Field(description="YYYY-MM")
    cr_number: str
    employer: str
    wage: str = Field(description="OMR, 3 decimals: the wage declared.")
    days: int


class Career(BaseModel):
    civil_number: str
    months: int = Field(description="Distinct months declared.")
    wages: str = Field(description="OMR, 3 decimals: every wage declared.")
    lines: list[Month]


class Step(BaseModel):
    label: str
    value: str


class Used(BaseModel):
    path: str
    description: str
    value: str
    status: str
    reference: str


class Benefit(BaseModel):
    civil_number: str
    benefit: str = Field(description="old_age, disability, job_security or maternity")
    name: str
    day: date = Field(description="The day computed for: of the pension, the loss of the job, the birth.")
    status: str = Field(description="entitled, too_young, too_few_months, dead, before_branch")
    status_text: str
    amount: str = Field(description="OMR, 3 decimals: a month (pension, job security) or the whole leave (maternity).")
    lang: str
    steps: list[Step]
    parameters: list[Used] = Field(description="Every parameter read, its value in force, status and reference.")
    text: str = Field(description="The explanation as `himaya insurance` prints it.")


def _identifying(principal: Principal) -> None:
    if not principal.identifies:  # looking someone up by civil number is identifying them
        raise ApiError(403, "forbidden", "reading an insured person by civil number needs person.identify")


def _uow(request: Request) -> scoped.ScopedAwardUnitOfWork:
    return bootstrap.unit_of_work(request.app.state.engine)


def _answer(request: Request, explained: PensionExplanation, lang: Language) -> Benefit:
    currency = request.app.state.pack.currency
    return Benefit(
        civil_number=explained.civil_number,
        benefit=explained.kind.value,
        name=KIND_NAMES[explained.kind].in_(lang),
        day=explained.day,
        status=explained.status.value,
        status_text=STATUS_NAMES[explained.status].in_(lang),
        amount=format_omr(explained.pension),
        lang=lang,
        steps=[Step(label=s.label.in_(lang), value=s.value.in_(lang)) for s in explained.steps],
        parameters=[
            Used(
                path=u.path,
                description=u.description.in_(lang),
                value=u.value.in_(lang),
                status=u.status.value,
                reference=u.reference.in_(lang),
            )
            for u in explained.parameters
        ],
        text="\n".join(explained.lines(lang, currency)),
    )


@router.get("/people/{civil_number}/career", summary="An insured person's declared months, wages and employers")
def career(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
) -> Career:
    _identifying(principal)
    rows = scoped.career(_uow(request), principal, civil_number)
    lines = [
        Month(month=r["month"].strftime("%Y-%m"), cr_number=r["cr_number"], employer=r["name"],
              wage=format_omr(r["wage"]), days=r["days"])
        for r in rows.iter_rows(named=True)
    ]  # fmt: skip
    return Career(
        civil_number=civil_number,
        months=rows["month"].n_unique(),
        wages=format_omr(int(rows["wage"].sum())),
        lines=lines,
    )


@router.get("/people/{civil_number}/pension", summary="An insured person's pension on a day, explained")
def pension(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    as_of: Annotated[date | None, Query(description="The day of the pension (default: today).")] = None,
    kind: Annotated[
        Literal["old_age", "disability"], Query(description="disability: for a disability on the day.")
    ] = "old_age",
    lang: Lang = "en",
) -> Benefit:
    _identifying(principal)
    pack = request.app.state.pack
    day = as_of or today(pack.timezone)
    explained = scoped.pension(_uow(request), pack, principal, civil_number, day, kind=Kind(kind))
    return _answer(request, explained, lang)


@router.get("/people/{civil_number}/job-security", summary="A job security claim's benefit, explained")
def job_security(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    lost_on: Annotated[date, Query(description="The day the job was lost.")],
    claim: Annotated[int, Query(ge=1, le=1000, description="1 for a first claim, 2 for a second, ...")] = 1,
    lang: Lang = "en",
) -> Benefit:
    _identifying(principal)
    pack = request.app.state.pack
    explained = scoped.job_security(_uow(request), pack, principal, civil_number, lost_on, claim=claim)
    return _answer(request, explained, lang)


@router.get("/people/{civil_number}/maternity", summary="A maternity allowance for a birth, explained")
def maternity(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    birth_on: Annotated[date, Query(description="The day of the birth.")],
    lang: Lang = "en",
) -> Benefit:
    _identifying(principal)
    explained = scoped.maternity(_uow(request), request.app.state.pack, principal, civil_number, birth_on)
    return _answer(request, explained, lang)


class DeclarationOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    employers: int = Field(description="Employers whose month this declares.")
    insured: int = Field(description="Lines: insured persons, each once per employer.")
    wages: str = Field(description="OMR, 3 decimals: the wages declared.")
    due: str = Field(description="OMR, 3 decimals: the contributions due, every branch, both shares.")
    corrected: bool = Field(description="A correction: the month's lines replaced as a new revision.")
    replayed: bool = Field(description="The same lines as the month's current revision, sent again: nothing written.")


DECLARATION_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {"type": "object", "description": "civil_number, wage, days, basic_wage (and cr_number)"},
            }
        },
        "text/csv": {"schema": {"type": "string", "description": "A header row, then one row per insured person."}},
    },
}


async def declaration_table(request: Request) -> pl.DataFrame:
    """A dependency: the body as a table of text cells, JSON or CSV by its Content-Type."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind == "application/json":
        return rows_from_json(body, "the body")
    if kind == "text/csv":
        return rows_from_csv(body, "the body")
    raise ApiError(415, "unsupported_media_type", "send the declaration as application/json or text/csv")


@router.post(
    "/declarations",
    status_code=201,
    summary="An employer's monthly declaration of wages (JSON or CSV): refused whole with every problem named",
    openapi_extra={"requestBody": DECLARATION_BODY},
    responses={200: {"description": "The same declaration sent again: answered as the first, nothing written."}},
)
def declarations(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.INSURANCE_DECLARE))],
    table: Annotated[pl.DataFrame, Depends(declaration_table)],
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="The month declared, YYYY-MM.")],
    employer: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{1,16}$", description="The employer (cr_number); without it, a cr_number column."),
    ] = None,
    correct: Annotated[bool, Query(description="Replace the month's lines (a new revision).")] = False,
) -> DeclarationOut:
    try:
        period = Period.parse(month)
    except ValueError as error:
        raise ApiError(422, "invalid_input", f"query.month: {error}", fields=[{"field": "query.month"}]) from None
    pack = request.app.state.pack
    done = declaring.declare(
        bootstrap.unit_of_work(request.app.state.engine), pack, principal, table, period, source="the declaration",
        today=today(pack.timezone), employer=employer, correct=correct,
    )  # fmt: skip
    if done.replayed:
        response.status_code = 200
    return DeclarationOut(
        month=str(period), employers=done.employers, insured=done.insured, wages=format_omr(done.wages),
        due=format_omr(done.due), corrected=done.corrected, replayed=done.replayed,
    )  # fmt: skip


class Share(BaseModel):
    civil_number: str = Field(description="The survivor's civil number ('hidden' outside your branches).")
    group: str = Field(description="widows, children or parents.")
    share: str = Field(description="Of the whole pension, as a fraction 'n/d'.")
    amount: str = Field(description="OMR, 3 decimals, a month.")
    start: date = Field(description="The share's first day paid (the award's, or after a survivor left).")
    end: date | None = Field(description="The share's last day paid (null: the award's end).")


class Award(BaseModel):
    id: int
    civil_number: str = Field(description="The insured person (a survivor pension: the deceased).")
    benefit: str = Field(description="old_age, disability, survivor, job_security or maternity.")
    claim: int | None = Field(description="A job security claim's number, counted from the claims stored.")
    day: date = Field(description="The day it was computed for.")
    amount: str = Field(description="OMR, 3 decimals: a month (maternity: the whole leave).")
    start: date
    end: date | None
    state: str = Field(description="prepared, approved or ended.")
    version: int
    prepared_by: str
    approved_by: str | None
    end_reason: str | None
    shares: list[Share]


@router.get("/people/{civil_number}/awards", summary="A person's insurance awards, with survivors' shares")
def awards(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.INSURANCE_READ))],
) -> list[Award]:
    _identifying(principal)
    found, split = scoped.awards(_uow(request), principal, civil_number)
    return [
        Award(
            id=r["id"], civil_number=r["civil_number"], benefit=r["benefit"], claim=r["claim"], day=r["day"],
            amount=format_omr(r["amount"]), start=r["start_date"], end=r["end_date"], state=r["state"],
            version=r["version"], prepared_by=r["prepared_by"], approved_by=r["approved_by"],
            end_reason=r["end_reason"],
            shares=[
                Share(civil_number=s["civil_number"], group=s["group"], share=s["share"],
                      amount=format_omr(s["amount"]), start=s["valid_from"], end=s["valid_to"])
                for s in split.filter(pl.col("award_id") == r["id"]).iter_rows(named=True)
            ],
        )
        for r in found.iter_rows(named=True)
    ]  # fmt: skip
