"""`/families`: a family's members, and its entitlements with their explanation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.api.views import present, pseudonym
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.policy.explain import Explanation, render, show
from himaya.policy.pack import PolicyPack
from himaya.policy.statement import members_of, render_statement, statement, statement_json
from himaya.registry import actions

router = APIRouter(prefix="/families", tags=["families"])

FamilyNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="The family number.")]


class Members(BaseModel):
    family_number: str
    members: list[dict[str, Any]] = Field(description="The current members, masked unless you may identify people.")


@router.get("/{family_number}", summary="A family's current members")
def members(
    request: Request,
    family_number: FamilyNumber,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
) -> Members:
    uow = bootstrap.unit_of_work(request.app.state.engine)
    rows = actions.family_members(uow, family_number, principal=principal)
    return Members(family_number=family_number, members=[present(request, principal, r) for r in rows])


class Entitlements(BaseModel):
    family_number: str
    period: str
    currency: str = Field(description="ISO 4217 code of every amount: the registry's pack's (OMR, IQD).")
    total: str = Field(description="In `currency`, with its decimals: OMR 3 (257.148), IQD none (275000).")
    members: list[dict[str, Any]]
    entitlements: list[dict[str, Any]] = Field(description="Per person: programmes, amounts, conditions, figures.")
    explanation: str


@router.get("/{family_number}/entitlements", summary="What the family is entitled to in a month, and why")
def entitlements(
    request: Request,
    family_number: FamilyNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: this month).")] = None,
    lang: Literal["en", "ar"] = "en",
) -> Entitlements:
    pack: PolicyPack = request.app.state.pack
    month = month_of(pack, period)
    uow = bootstrap.unit_of_work(request.app.state.engine)
    people = actions.family_table(uow, family_number, month.end, principal=principal)
    members = [present(request, principal, row) for row in _member_rows(people, pack)]
    if not principal.identifies:
        names = {c: pseudonym(request, c) for c in people[pack.person_column].to_list()}
        people = people.with_columns(pl.col(pack.person_column).replace_strict(names))
    result = request.app.state.explainer.explain(people, month, family_number)
    return Entitlements(
        family_number=family_number,
        period=str(month),
        currency=pack.currency.code,
        total=pack.currency.format(result.total),
        members=members,
        entitlements=_as_json(result, lang),
        explanation=render(result, lang),
    )


class StatementLine(BaseModel):
    kind: str = Field(description="condition, income, excluded, not_counted, arithmetic, withheld, reference, note")
    text: str
    amount_baisa: int | None = None


class StatementSection(BaseModel):
    title: str
    person: str | None = Field(description="The member's civil number (a pseudonym unless you may identify people).")
    programme: str | None
    amount_baisa: int | None
    lines: list[StatementLine]


class CitizenExplanation(BaseModel):
    family_number: str
    period: str
    title: str
    total_baisa: int = Field(description="In the smallest unit of `currency` (baisa; dinars).")
    currency: str = Field(description="ISO 4217 code of every amount: the registry's pack's (OMR, IQD).")
    total: str = Field(description="In `currency`, with its decimals: OMR 3 (257.148), IQD none (275000).")
    sections: list[StatementSection]
    text: str = Field(description="The same as plain text (Arabic lines marked right to left).")


@router.get(
    "/{family_number}/explanation",
    summary="What the family receives in a month, explained as a citizen reads it",
)
def explanation(
    request: Request,
    family_number: FamilyNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENTITLEMENT_READ))],
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: this month).")] = None,
    lang: Literal["en", "ar"] = "en",
) -> CitizenExplanation:
    pack: PolicyPack = request.app.state.pack
    month = month_of(pack, period)
    uow = bootstrap.unit_of_work(request.app.state.engine)
    people = actions.family_table(uow, family_number, month.end, principal=principal)
    members = members_of(people, pack.person_column) if principal.identifies else {}
    if not principal.identifies:
        names = {c: pseudonym(request, c) for c in people[pack.person_column].to_list()}
        people = people.with_columns(pl.col(pack.person_column).replace_strict(names))
    written = statement(request.app.state.explainer.explain(people, month, family_number), members)
    return CitizenExplanation(
        **statement_json(written, lang), currency=pack.currency.code, text=render_statement(written, lang)
    )


def month_of(pack: PolicyPack, period: str | None) -> Period:
    try:
        return Period.parse(period) if period else Period.containing(today(pack.timezone))
    except ValueError as error:
        raise ApiError(
            422, "invalid_input", f"query.period: {error}", fields=[{"field": "query.period", "message": str(error)}]
        ) from None


def _member_rows(people: pl.DataFrame, pack: PolicyPack) -> list[dict[str, Any]]:
    wanted = [pack.person_column, "relationship", "sex", "birth_date", "given_name_en", "given_name_ar"]
    return people.select([c for c in wanted if c in people.columns]).to_dicts()


def _as_json(result: Explanation, lang: Literal["en", "ar"]) -> list[dict[str, Any]]:
    currency = result.currency
    assert currency is not None, "an explanation states amounts in the pack's currency"
    return [
        {
            "person": p.person_id,
            "relationship": p.relationship,
            "total": currency.format(p.total),
            "programmes": [
                {
                    "programme": g.key,
                    "name": g.name.in_(lang),
                    "amount": currency.format(g.amount),
                    "conditions": [{"label": c.label.in_(lang), "holds": c.holds} for c in g.conditions],
                    "figures": [
                        {"label": f.label.in_(lang), "value": show(f.value, f.shown, lang, currency=currency)}
                        for f in g.figures
                    ],
                    "withheld": [w.in_(lang) for w in g.withheld],
                    "parameters": [
                        {"path": u.path, "value": u.value, "status": u.status.value, "reference": u.reference}
                        for u in g.parameters
                    ],
                }
                for g in p.programmes
            ],
        }
        for p in result.persons
    ]
