"""`/people`: search, read, register and change people, and record their assessments, incomes and
bank accounts. Every read of a person's data and every change is an audit entry, written in the
same transaction as the read or the change."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.api.views import audit_read, present
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.errors import NotFoundError
from himaya.core.money import format_omr
from himaya.db.people import EDITABLE, update_person
from himaya.db.registry_import import import_people
from himaya.db.scoped import person_visible, read_person_scoped, search_people, visible_families
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import family, person
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table

router = APIRouter(prefix="/people", tags=["people"])

CivilNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,16}$", description="The person's civil number.")]


@router.get("", summary="Search the people of your branches")
def search(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
    family_number: Annotated[str | None, Query(max_length=32)] = None,
    wilayat: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[
        str | None, Query(min_length=2, max_length=64, description="Part of a name, Arabic or Latin.")
    ] = None,
    birth_date: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    if name is not None and not principal.identifies:
        raise ApiError(403, "forbidden", "searching by name needs person.identify, which your roles do not hold")
    with request.app.state.engine.begin() as connection:
        rows = search_people(
            connection,
            principal,
            family_number=family_number,
            wilayat=wilayat,
            name=name,
            birth_date=birth_date,
            limit=limit,
            offset=offset,
        )
        audit_read(
            request,
            connection,
            principal,
            "people:search",
            {
                "filters": {"family_number": family_number, "wilayat": wilayat, "name": name, "birth_date": birth_date},
                "people": [r["civil_number"] for r in rows],
            },
        )
    return {"people": [present(request, principal, r) for r in rows], "limit": limit, "offset": offset}


@router.get("/{civil_number}", summary="One person with their history and enrollments")
def read(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
) -> dict[str, Any]:
    if not principal.identifies:  # looking someone up by civil number is identifying them
        raise ApiError(403, "forbidden", "reading a person by civil number needs person.identify")
    with request.app.state.engine.begin() as connection:
        record = read_person_scoped(connection, principal, civil_number)
        audit_read(request, connection, principal, f"person:{civil_number}", {"what": "record"})
    history = {
        name: [{k: v for k, v in row.items() if k not in ("id", "person_id", "family_id")} for row in rows]
        for name, rows in record.history.items()
    }
    enrollments = record.enrollments if principal.can(Permission.ENROLLMENT_READ) else []
    return {
        "person": present(request, principal, record.person),
        "history": history,
        "enrollments": [{k: v for k, v in e.items() if k not in ("id", "person_id")} for e in enrollments],
    }


class PersonChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="The version you read: the change is refused if the record changed since.")
    changes: dict[str, str | None] = Field(description=f"Fields to change: {', '.join(EDITABLE)}.")


@router.patch("/{civil_number}", summary="Change a person's names, place, contact or death date")
def change(
    request: Request,
    civil_number: CivilNumber,
    body: PersonChange,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_UPDATE))],
) -> dict[str, Any]:
    changes: dict[str, Any] = dict(body.changes)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            f"cannot change {', '.join(unknown)} here; editable: {', '.join(EDITABLE)}",
            fields=[{"field": f"body.changes.{k}", "message": "not editable"} for k in unknown],
        )
    if changes.get("death_date") is not None:
        try:
            changes["death_date"] = date.fromisoformat(str(changes["death_date"]))
        except ValueError:
            raise ApiError(
                422,
                "invalid_input",
                f"body.changes.death_date: {changes['death_date']!r} is not a date like 2026-01-31",
                fields=[{"field": "body.changes.death_date", "message": "not a date (YYYY-MM-DD)"}],
            ) from None
    _check_codes(request.app.state.pack, changes)
    try:
        version = update_person(
            request.app.state.engine,
            civil_number,
            changes,
            expected_version=body.version,
            actor=principal.username,
            request_id=request.state.request_id,
            visible=person_visible(principal),
        )
    except NotFoundError:
        raise _not_found(civil_number) from None
    return {"civil_number": civil_number, "version": version}


def _check_codes(pack: PolicyPack, changes: dict[str, Any]) -> None:
    for name in ("governorate", "wilayat"):
        value = changes.get(name)
        if value is not None and value not in pack.registry.column(name).codes:
            raise ApiError(
                422,
                "invalid_input",
                f"body.changes.{name}: {value!r} is not a known {name}",
                fields=[{"field": f"body.changes.{name}", "message": f"unknown {name}", "value": value}],
            )


def _not_found(civil_number: str) -> ApiError:
    return ApiError(404, "not_found", f"no person with civil number {civil_number!r} in your branches")


# --- registering people and recording facts: through the registry's own import, one record ---------


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _record_cells(pack: PolicyPack, row: dict[str, Any]) -> dict[str, str | None]:
    """A typed registry row as the text cells of a file (money as OMR, empty for zero)."""
    money = set(pack.registry.money)
    return {
        name: (format_omr(int(row[name]), grouped=False) if row.get(name) else None)
        if name in money
        else _cell(row.get(name))
        for name in pack.registry.names
    }


def _import_one(
    request: Request,
    principal: Principal,
    cells: dict[str, str | None],
    *,
    valid_from: date,
    expected_version: tuple[str, int] | None,
    action: str,
) -> dict[str, Any]:
    pack: PolicyPack = request.app.state.pack
    frame = pl.DataFrame([cells], schema=dict.fromkeys(pack.registry.names, pl.String))
    # One record is not a whole family: the one-head rule is checked by the import, on the family
    # as it will stand in the registry, not on this one row.
    one_record = dataclasses.replace(pack.registry, one_per_group=())
    validated = validate_table(frame, one_record, source="the request body")
    summary = import_people(
        request.app.state.engine,
        validated,
        as_of=valid_from,
        actor=principal.username,
        source={"api": action},
        expected_version=expected_version,
        request_id=request.state.request_id,
    )
    with request.app.state.engine.connect() as connection:
        version = connection.execute(
            person.select().with_only_columns(person.c.version).where(person.c.civil_number == cells["person_id"])
        ).scalar_one()
    return {
        "civil_number": cells["person_id"],
        "version": version,
        "created": summary.created,
        "updated": summary.updated,
    }


class NewPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, str | int | float | bool | None] = Field(
        description="The person's row of the registry contract (docs/people-table.md): person_id is the civil "
        "number, family_id the family number."
    )
    valid_from: date | None = Field(default=None, description="Effective date (default: today in Muscat).")


@router.post("", status_code=201, summary="Register a person (into a family of your branches, or as head of a new one)")
def register(
    request: Request, body: NewPerson, principal: Annotated[Principal, Depends(require(Permission.PERSON_CREATE))]
) -> dict[str, Any]:
    pack: PolicyPack = request.app.state.pack
    unknown = sorted(set(body.record) - set(pack.registry.names))
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            f"body.record: unknown fields {', '.join(unknown)}",
            fields=[{"field": f"body.record.{k}", "message": "not a registry field"} for k in unknown],
        )
    cells = {name: _cell(body.record.get(name)) for name in pack.registry.names}
    civil, family_number = cells.get("person_id"), cells.get("family_id")
    if not civil or not family_number:
        raise ApiError(422, "invalid_input", "body.record: person_id and family_id are required")
    with request.app.state.engine.connect() as connection:
        if connection.execute(person.select().where(person.c.civil_number == civil)).first():
            raise ApiError(409, "conflict", f"person {civil} is registered already: change the record instead")
        existing = connection.execute(family.select().where(family.c.family_number == family_number)).first()
        if existing is not None:
            families = visible_families(principal)
            allowed = (
                families is None
                or connection.execute(families.where(families.selected_columns[0] == existing.id)).first()
            )
            if not allowed:
                raise ApiError(404, "not_found", f"no family {family_number!r} in your branches")
        elif not _in_scope(principal, cells):
            raise ApiError(
                403,
                "forbidden",
                "a new family belongs to the branch of its head: give the head's wilayat and governorate, within"
                " your branches",
            )
    valid_from = body.valid_from or today(pack.timezone)
    return _import_one(request, principal, cells, valid_from=valid_from, expected_version=None, action="POST /people")


def _in_scope(principal: Principal, cells: dict[str, str | None]) -> bool:
    if cells.get("relationship") != "head":
        return False
    if principal.every_branch:
        return True
    return cells.get("wilayat") in principal.branch_values("wilayat") or cells.get(
        "governorate"
    ) in principal.branch_values("governorate")


class FactChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="The version you read.")
    valid_from: date | None = Field(default=None, description="From when the new facts hold (default: today).")


class Assessment(FactChange):
    disability_category: str | None = Field(description="The assessed category, or null when assessed as none.")
    disability_card: bool = False


class Incomes(FactChange):
    wage: str | None = None
    pension: str | None = None
    survivor_pension: str | None = None
    alimony: str | None = None
    other_income: str | None = None
    earning_capacity: str | None = None


class BankAccount(FactChange):
    iban: str | None = Field(description="The IBAN (OM + 21 characters), or null to remove the account.")
    bank_code: str | None = None


def _change_facts(request: Request, principal: Principal, civil_number: str, body: FactChange, action: str) -> Any:
    pack: PolicyPack = request.app.state.pack
    changes = body.model_dump(exclude={"version", "valid_from"}, exclude_unset=isinstance(body, Incomes))
    with request.app.state.engine.connect() as connection:
        visible = connection.execute(
            person.select()
            .with_only_columns(person.c.id)
            .where(person.c.civil_number == civil_number, person_visible(principal))
        ).first()
        if visible is None:
            raise _not_found(civil_number)
        rows = read_people(
            connection, people_query(None, registry=True).where(person.c.civil_number == civil_number), few=True
        ).to_dicts()
    if not rows:
        raise ApiError(409, "conflict", f"person {civil_number} has no current family: their record cannot change here")
    cells = _record_cells(pack, rows[0]) | {k: _cell(v) for k, v in changes.items()}
    valid_from = body.valid_from or today(pack.timezone)
    return _import_one(
        request, principal, cells, valid_from=valid_from, expected_version=(civil_number, body.version), action=action
    )


@router.put("/{civil_number}/assessment", summary="Record a disability assessment")
def assessment(
    request: Request,
    civil_number: CivilNumber,
    body: Assessment,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> Any:
    return _change_facts(request, principal, civil_number, body, "PUT /people/{civil_number}/assessment")


@router.put("/{civil_number}/incomes", summary="Record incomes and earning capacity (OMR a month)")
def incomes(
    request: Request,
    civil_number: CivilNumber,
    body: Incomes,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> Any:
    return _change_facts(request, principal, civil_number, body, "PUT /people/{civil_number}/incomes")


@router.put("/{civil_number}/bank-account", summary="Record the bank account benefits are paid into")
def bank_account(
    request: Request,
    civil_number: CivilNumber,
    body: BankAccount,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> Any:
    return _change_facts(request, principal, civil_number, body, "PUT /people/{civil_number}/bank-account")


@router.get("/{civil_number}/enrollments", summary="A person's enrollments")
def enrollments(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENROLLMENT_READ))],
) -> dict[str, Any]:
    if not principal.identifies:
        raise ApiError(403, "forbidden", "reading a person by civil number needs person.identify")
    with request.app.state.engine.begin() as connection:
        record = read_person_scoped(connection, principal, civil_number)
        audit_read(request, connection, principal, f"person:{civil_number}", {"what": "enrollments"})
    return {"enrollments": [{k: v for k, v in e.items() if k not in ("id", "person_id")} for e in record.enrollments]}
