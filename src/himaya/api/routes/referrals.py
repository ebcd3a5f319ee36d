"""`/services` and `/referrals`: the catalogue of other bodies' services, the referrals a user may see,
the case worker's confirmation with the person's recorded consent, and the provider's answers.

Who sees a referral is a condition of the store's statement: the staff of its case's branch
(case.read), or the provider it was sent to once the person consented (referral.respond, with the
scope provider:KEY). Anything else, another provider's referral or one not yet consented, answers
404 exactly as a missing one, and the probe is audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, Field

from himaya import bootstrap
from himaya.api.bodies import RequestBody
from himaya.api.errors import ApiError
from himaya.api.routes.cases import MAX_VERSION, CaseNumber, Key, Written, _written
from himaya.api.security import current_principal, require
from himaya.cases import referral_actions
from himaya.cases.model import MAX_TEXT, Consent, ReferralFilter
from himaya.cases.ports import ReferralsUnitOfWork
from himaya.core.access import Permission, Principal
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack

router = APIRouter(tags=["referrals"])
Month = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _uow(request: Request) -> ReferralsUnitOfWork:
    return bootstrap.unit_of_work(request.app.state.engine)


def _pack(request: Request) -> PolicyPack:
    pack: PolicyPack = request.app.state.pack
    return pack


def _reader(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Staff who read cases, or a provider's system."""
    if not (principal.can(Permission.CASE_READ) or principal.can(Permission.REFERRAL_RESPOND)):
        raise ApiError(403, "forbidden", "your roles do not allow case.read or referral.respond")
    return principal


class ProviderOut(BaseModel):
    key: str
    body: str
    name_en: str
    name_ar: str
    services: list[str]
    wilayat: str
    covers: list[str]
    synthetic: bool


class ServiceOut(BaseModel):
    key: str
    body: str
    name_en: str
    name_ar: str


class Catalogue(BaseModel):
    services: list[ServiceOut]
    providers: list[ProviderOut]


@router.get("/services", summary="The services of other bodies and their providers")
def services(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.CASE_READ))],
    wilayat: Annotated[str | None, Query(max_length=64)] = None,
    body: Annotated[str | None, Query(max_length=32)] = None,
    service: Annotated[str | None, Query(max_length=32)] = None,
) -> Catalogue:
    catalogue = _pack(request).services
    for name, value, known in (
        ("body", body, catalogue.bodies),
        ("service", service, catalogue.services),
        ("wilayat", wilayat, catalogue.places),
    ):
        if value is not None and value not in known:
            raise ApiError(422, "invalid_input", f"{name}: {value[:40]!r} is not a {name} of the catalogue")
    listed = [s for s in catalogue.services.values() if (body is None or s.body == body) and service in (None, s.key)]
    return Catalogue(
        services=[ServiceOut(key=s.key, body=s.body, name_en=s.name.en, name_ar=s.name.ar) for s in listed],
        providers=[
            ProviderOut(
                key=p.key,
                body=p.body,
                name_en=p.name.en,
                name_ar=p.name.ar,
                services=sorted(p.services),
                wilayat=p.wilayat,
                covers=[f"{k}:{v}" if v else k for k, v in p.covers],
                synthetic=p.synthetic,
            )
            for p in catalogue.offered(wilayat=wilayat, body=body, service=service)
        ],
    )


class Referral(BaseModel):
    number: str
    version: int = Field(description="Send it with your next step on the referral.")
    state: str
    due_on: date | None
    service: str | None
    provider: str | None
    reason: str | None
    wilayat: str
    period: date | None = Field(description="The month it was proposed for (none: opened by hand).")
    rule: str | None = Field(description="The referral rule that proposed it (none: opened by hand).")
    sent_at: datetime | None
    consent_channel: str | None
    consent_at: datetime | None
    civil_number: str | None
    name_en: str | None = Field(description="The person's name, for the provider to contact them.")
    name_ar: str | None
    mobile: str | None


class Referrals(BaseModel):
    referrals: list[Referral]
    page: int
    page_size: int = 50


def _referral(row: dict[str, Any]) -> Referral:
    def name(script: str) -> str | None:
        parts = [row.get(f"{p}_{script}") for p in ("given_name", "father_name", "family_name")]
        return " ".join(p for p in parts if p) or None

    form = row["form"]
    return Referral(
        number=row["number"], version=row["version"], state=row["state"], due_on=row["due_on"],
        service=row.get("service") or form.get("service"), provider=row.get("provider") or form.get("provider"),
        reason=form.get("reason"), wilayat=row["wilayat"], period=row.get("period"), rule=row.get("rule"),
        sent_at=row.get("sent_at"), consent_channel=row.get("consent_channel"), consent_at=row.get("consent_at"),
        civil_number=row["civil_number"], name_en=name("en"), name_ar=name("ar"), mobile=row.get("mobile"),
    )  # fmt: skip


@router.get("/referrals", summary="The referrals you may see: your branches', or those sent to you")
def referrals(
    request: Request,
    principal: Annotated[Principal, Depends(_reader)],
    period: Month | None = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    service: Annotated[str | None, Query(max_length=32)] = None,
    provider: Annotated[str | None, Query(max_length=48)] = None,
    wilayat: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Referrals:
    pack = _pack(request)
    try:
        month = Period.parse(period).start if period else None
    except ValueError as error:
        raise ApiError(422, "invalid_input", f"period: {error}") from None
    wanted = ReferralFilter(month, state, service, provider, wilayat, page)
    rows = referral_actions.listing(_uow(request), pack.cases, pack.services, wanted, principal=principal)
    return Referrals(referrals=[_referral(r) for r in rows], page=page)


@router.get("/referrals/{number}", summary="One referral, with the person's name and contact")
def referral(request: Request, number: CaseNumber, principal: Annotated[Principal, Depends(_reader)]) -> Referral:
    case_type = _pack(request).services.case_type
    return _referral(referral_actions.show(_uow(request), number, principal=principal, case_type=case_type))


def _instant(value: Any) -> Any:
    """JSON has no time: an instant is its ISO text with its zone (`2026-01-10T09:30:00+04:00`), and only that."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a time like 2026-01-10T09:30:00+04:00") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{value[:40]!r} has no zone: write it like 2026-01-10T09:30:00+04:00")
        return parsed
    raise ValueError("a time is written as text, like 2026-01-10T09:30:00+04:00")


IsoInstant = Annotated[datetime, BeforeValidator(_instant)]


class ConsentBody(RequestBody):
    version: int = Field(ge=1, le=MAX_VERSION, description="The version you read: refused if the case changed since.")
    given_by: str = Field(min_length=1, max_length=200, description="Who consented: the person, or their guardian.")
    channel: Literal["in_person", "phone", "written", "web"] = Field(description="How the consent was given.")
    at: IsoInstant | None = Field(default=None, description="When (with its zone; default: now).")
    provider: str | None = Field(default=None, max_length=48, description="Another provider than the proposal's.")


@router.post("/referrals/{number}/consent", summary="Record the person's consent and send the referral")
def consent(
    request: Request,
    number: CaseNumber,
    body: ConsentBody,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Written:
    pack = _pack(request)
    moved = referral_actions.confirm(
        _uow(request), pack.cases, pack.services, number, Consent(body.given_by, body.channel, body.at),
        expected_version=body.version, principal=principal, provider=body.provider,
    )  # fmt: skip
    return _written(moved)


class Outcome(RequestBody):
    version: int = Field(ge=1, le=MAX_VERSION, description="The version you read: refused if the case changed since.")
    to: Key = Field(description="accepted, in_service (started), completed or declined.")
    note: str | None = Field(default=None, max_length=MAX_TEXT, description="Required to decline: the person is told.")


@router.post("/referrals/{number}/outcome", summary="A provider's answer: accept, start, complete or decline")
def outcome(
    request: Request,
    number: CaseNumber,
    body: Outcome,
    principal: Annotated[Principal, Depends(require(Permission.REFERRAL_RESPOND))],
) -> Written:
    pack = _pack(request)
    moved = referral_actions.respond(
        _uow(request), pack.cases, pack.services, number, body.to, expected_version=body.version, note=body.note,
        principal=principal,
    )  # fmt: skip
    return _written(moved)
