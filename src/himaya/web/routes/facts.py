"""A person's incomes and bank account, recorded from the front office: the API's `PUT
/people/{n}/incomes` and `/bank-account` (`registry.actions.record_facts`) with the same
validation, dating and scope, from the version the form was read at (a stale form is refused)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.core.access import Permission
from himaya.core.errors import ConflictError, HimayaError, InvalidInputError
from himaya.registry import actions
from himaya.registry.model import Fact
from himaya.web.pages import PageError, Visitor, explain, form_version, officer, posted, redirect, render
from himaya.web.routes.registration import field_errors, person_record, require_permission

router = APIRouter(prefix="/office/people", include_in_schema=False)
INCOMES = ("wage", "pension", "survivor_pension", "alimony", "other_income", "earning_capacity")


@dataclass(frozen=True)
class FactForm:
    """One kind of fact's page: its address, the registry's fact, the form's fields."""

    path: str
    fact: Fact
    fields: tuple[str, ...]
    money: bool


FORMS = {
    "incomes": FactForm("incomes", Fact.INCOMES, INCOMES, money=True),
    "bank-account": FactForm("bank-account", Fact.BANK_ACCOUNT, ("iban", "bank_code"), money=False),
}


def _current(record: Any, form: FactForm, request: Request) -> dict[str, str]:
    """What the registry holds now, as the form shows it (amounts in the currency, as typed)."""
    history: Mapping[str, list[dict[str, Any]]] = record.history
    now = {name: [r for r in rows if r.get("valid_to") is None] for name, rows in history.items()}
    if not form.money:
        account = (now.get("bank_accounts") or [{}])[0]
        return {k: str(account.get(k) or "") for k in form.fields}
    currency = request.app.state.pack.currency
    amounts = {row.get("kind"): row.get("monthly_amount") for row in now.get("incomes", [])}  # `db.people.TIME_BOUND`
    amounts["earning_capacity"] = (now.get("earning_capacity") or [{}])[0].get("monthly_amount")
    return {k: currency.format(amounts[k]) if amounts.get(k) else "" for k in form.fields}


def _page(request: Request, seen: Visitor, record: Any, form: FactForm, **context: Any) -> Response:
    return render(
        request, seen, "facts.html", person=record.person, form=form,
        values=context.pop("values", None) or _current(record, form, request),
        errors=context.pop("errors", {}), currency=request.app.state.pack.currency.symbol.in_(seen.locale.language),
        **context,
    )  # fmt: skip


def _form(kind: str, seen: Visitor) -> FactForm:
    if kind not in FORMS:
        raise PageError(404, seen._("No such page."))
    return FORMS[kind]


@router.get("/{civil_number}/{kind}")
def fact_form(request: Request, seen: Annotated[Visitor, Depends(officer)], civil_number: str, kind: str) -> Response:
    form = _form(kind, seen)
    require_permission(seen, Permission.FACT_WRITE)
    return _page(request, seen, person_record(request, seen, civil_number), form)


@router.post("/{civil_number}/{kind}")
def record_fact(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    posted_form: Annotated[Mapping[str, str], Depends(posted)],
    civil_number: str,
    kind: str,
) -> Response:
    form = _form(kind, seen)
    require_permission(seen, Permission.FACT_WRITE)
    record = person_record(request, seen, civil_number)
    values = {k: posted_form.get(k, "").strip()[:40] for k in (*form.fields, "valid_from", "version")}
    errors: dict[str, str] = {}
    try:
        valid_from = date.fromisoformat(values["valid_from"]) if values["valid_from"] else None
    except ValueError:
        valid_from, errors["valid_from"] = None, seen._("This value is not valid.")
    if errors:
        return _page(request, seen, record, form, values=values, errors=errors, status=422)
    try:
        actions.record_facts(
            bootstrap.unit_of_work(request.app.state.engine),
            bootstrap.registry_contract(request.app.state.pack),
            civil_number, form.fact, {k: values[k] or None for k in form.fields},
            expected_version=form_version(seen, values["version"]),
            valid_from=valid_from, principal=seen.user,
        )  # fmt: skip
    except InvalidInputError as error:
        errors = field_errors(seen, error, request.app.state.pack)
        if "" in errors:  # the date's window names no column
            errors["valid_from"] = errors.pop("")
        return _page(request, seen, record, form, values=values, errors=errors, status=422)
    except ConflictError as error:
        return _page(request, seen, record, form, values=values, status=409, problem=explain(seen, error)[1])
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    return redirect(f"/office/people/{civil_number}")
