"""`/people`: search, read, register and change people, and record their assessments, incomes and
bank accounts. Every read of a person's data and every change is an audit entry, written in the
same transaction as the read or the change."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.api.bodies import IsoDate, RequestBody
from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.api.views import present
from himaya.core.access import Permission, Principal
from himaya.registry import actions
from himaya.registry.model import Fact, Search
from himaya.registry.ports import RecordContract, RegistryUnitOfWork

router = APIRouter(prefix="/people", tags=["people"])

CivilNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,16}$", description="The person's civil number.")]


class People(BaseModel):
    people: list[dict[str, Any]] = Field(description="The people found, masked unless you may identify people.")
    limit: int
    offset: int


@router.get("", summary="Search the people of your branches")
def search(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
    family_number: Annotated[str | None, Query(max_length=32)] = None,
    wilayat: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=64,
            description="Name parts in any order, Arabic or Latin (normalised: ة/ه, hamza forms, diacritics,"
            " al-, بن/bin; each part the beginning of a name).",
        ),
    ] = None,
    birth_date: date | None = None,
    civil_number: Annotated[str | None, Query(pattern=r"^[0-9]{1,16}$")] = None,
    phone: Annotated[
        str | None,
        Query(pattern=r"^\+?[0-9 ()-]{4,24}$", description="A mobile number, with the country code or without."),
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=2, max_length=64, description="One search box: a civil or mobile number, or names."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> People:
    identifying = (name, civil_number, phone, q)
    if any(v is not None for v in identifying) and not principal.identifies:
        raise ApiError(
            403,
            "forbidden",
            "searching by name, civil number or phone needs person.identify, which your roles do not hold",
        )
    box = Search.parse(q) if q is not None else Search()
    wanted = Search(
        family_number=family_number,
        wilayat=wilayat,
        name=name or box.name,
        birth_date=birth_date,
        civil_number=civil_number,
        phone=phone,
        number=box.number,
    )
    rows = actions.search(
        _uow(request),
        wanted,
        limit=limit,
        offset=offset,
        principal=principal,
        dialling_code=request.app.state.pack.dialling_code,
    )
    return People(people=[present(request, principal, r) for r in rows], limit=limit, offset=offset)


class PersonRecord(BaseModel):
    person: dict[str, Any]
    history: dict[str, list[dict[str, Any]]] = Field(description="Each time-bound fact's rows, newest first.")
    enrollments: list[dict[str, Any]]


@router.get("/{civil_number}", summary="One person with their history and enrollments")
def read(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_READ))],
) -> PersonRecord:
    if not principal.identifies:  # looking someone up by civil number is identifying them
        raise ApiError(403, "forbidden", "reading a person by civil number needs person.identify")
    record = actions.read(_uow(request), civil_number, "record", principal=principal)
    history = {
        name: [{k: v for k, v in row.items() if k not in ("id", "person_id", "family_id")} for row in rows]
        for name, rows in record.history.items()
    }
    enrollments = record.enrollments if principal.can(Permission.ENROLLMENT_READ) else []
    return PersonRecord(
        person=present(request, principal, record.person),
        history=history,
        enrollments=[{k: v for k, v in e.items() if k not in ("id", "person_id")} for e in enrollments],
    )


MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL


class PersonWritten(BaseModel):
    civil_number: str
    version: int = Field(description="The record's version now: send it with your next change.")
    created: int = 0
    updated: int = 0


class PersonChange(RequestBody):
    version: int = Field(
        ge=1, le=MAX_VERSION, description="The version you read: the change is refused if the record changed since."
    )
    changes: dict[str, str | None] = Field(
        description=f"Fields to change: {', '.join(actions.EDITABLE)} (the governorate follows the wilayat;"
        " on an Iraq registry, `district` in place of `wilayat`).",
        max_length=len(actions.EDITABLE),
    )


def _uow(request: Request) -> RegistryUnitOfWork:
    return bootstrap.unit_of_work(request.app.state.engine)


def _contract(request: Request) -> RecordContract:
    return bootstrap.registry_contract(request.app.state.pack)


@router.patch("/{civil_number}", summary="Change a person's names, place, contact or death date")
def change(
    request: Request,
    civil_number: CivilNumber,
    body: PersonChange,
    principal: Annotated[Principal, Depends(require(Permission.PERSON_UPDATE))],
) -> PersonWritten:
    written = actions.update(
        _uow(request),
        _contract(request),
        civil_number,
        body.changes,
        expected_version=body.version,
        principal=principal,
    )
    return PersonWritten(civil_number=written.civil_number, version=written.version, updated=written.updated)


class NewPerson(RequestBody):
    record: dict[str, str | int | float | bool | None] = Field(
        description="The person's row of the registry contract (docs/people-table.md): person_id is the civil "
        "number, family_id the family number; the governorate follows the wilayat (an Iraq registry's "
        "`district`).",
        max_length=64,
    )
    valid_from: IsoDate | None = Field(default=None, description="Effective date (default: today in Muscat).")


@router.post("", status_code=201, summary="Register a person (into a family of your branches, or as head of a new one)")
def register(
    request: Request, body: NewPerson, principal: Annotated[Principal, Depends(require(Permission.PERSON_CREATE))]
) -> PersonWritten:
    written = actions.register(
        _uow(request), _contract(request), body.record, valid_from=body.valid_from, principal=principal
    )
    return PersonWritten(civil_number=written.civil_number, version=written.version, created=written.created)


class FactChange(RequestBody):
    version: int = Field(ge=1, le=MAX_VERSION, description="The version you read.")
    valid_from: IsoDate | None = Field(default=None, description="From when the new facts hold (default: today).")


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


def _change_facts(
    request: Request, principal: Principal, civil_number: str, body: FactChange, fact: Fact
) -> PersonWritten:
    values = body.model_dump(exclude={"version", "valid_from"}, exclude_unset=isinstance(body, Incomes))
    written = actions.record_facts(
        _uow(request),
        _contract(request),
        civil_number,
        fact,
        values,
        expected_version=body.version,
        valid_from=body.valid_from,
        principal=principal,
    )
    return PersonWritten(civil_number=written.civil_number, version=written.version, updated=written.updated)


@router.put("/{civil_number}/assessment", summary="Record a disability assessment")
def assessment(
    request: Request,
    civil_number: CivilNumber,
    body: Assessment,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> PersonWritten:
    return _change_facts(request, principal, civil_number, body, Fact.ASSESSMENT)


@router.put("/{civil_number}/incomes", summary="Record incomes and earning capacity (OMR a month)")
def incomes(
    request: Request,
    civil_number: CivilNumber,
    body: Incomes,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> PersonWritten:
    return _change_facts(request, principal, civil_number, body, Fact.INCOMES)


@router.put("/{civil_number}/bank-account", summary="Record the bank account benefits are paid into")
def bank_account(
    request: Request,
    civil_number: CivilNumber,
    body: BankAccount,
    principal: Annotated[Principal, Depends(require(Permission.FACT_WRITE))],
) -> PersonWritten:
    return _change_facts(request, principal, civil_number, body, Fact.BANK_ACCOUNT)


class Enrollments(BaseModel):
    enrollments: list[dict[str, Any]]


@router.get("/{civil_number}/enrollments", summary="A person's enrollments")
def enrollments(
    request: Request,
    civil_number: CivilNumber,
    principal: Annotated[Principal, Depends(require(Permission.ENROLLMENT_READ))],
) -> Enrollments:
    if not principal.identifies:
        raise ApiError(403, "forbidden", "reading a person by civil number needs person.identify")
    record = actions.read(_uow(request), civil_number, "enrollments", principal=principal)
    return Enrollments(
        enrollments=[{k: v for k, v in e.items() if k not in ("id", "person_id")} for e in record.enrollments]
    )
