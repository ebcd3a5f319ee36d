"""A referral's life after its proposal (`proposals.py`): the case worker confirms it with the person's
recorded consent, which sends it to the provider and tells the person; the provider reads the
referrals sent to it and answers them (accepted, started, completed, declined), each answer moving
the case; and the referrals list. Each is one unit of work with its history, audit entry and messages.

A referral without consent is never sent: `confirm` is the only way into `consented` and `sent`
(the referral type's `by: consent` moves; `cases decide` refuses them), the referral row's CHECK
refuses a sending time without a consent, and a provider's reads are conditioned on both. A
referral that is not the provider's, or not sent yet, answers exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta
from typing import Any

from himaya.cases import notices, rules
from himaya.cases.model import PAGE, Consent, ConsentChannel, EventKind, Moved, ReferralFilter
from himaya.cases.opening import branch, day_of
from himaya.cases.ports import ReferralsUnitOfWork
from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError, quoted
from himaya.core.text import an
from himaya.policy.case_types import CaseCatalogue, CaseType, Need
from himaya.policy.services import CONSENTED, SENT, Provider, ServiceCatalogue

SKEW = timedelta(minutes=5)  # a consent's time may be this far ahead of the server's clock


def _missing(number: str) -> NotFoundError:
    return NotFoundError(f"no referral {number!r} in your reach")


def _probe(uow: ReferralsUnitOfWork, number: str, action: str, principal: Principal) -> None:
    uow.audit.record(
        [Change("probe", f"case:{number}", None, {"action": action, "found": False})], actor=principal.username
    )
    uow.commit()


def _referral(uow: ReferralsUnitOfWork, number: str, action: str, principal: Principal) -> dict[str, Any]:
    found = uow.referrals.visible(principal, number)
    if found is None:
        _probe(uow, number, action, principal)
        raise _missing(number)
    if found["closed_at"] is not None:
        raise ConflictError(f"referral {number} is {found['state']}: a closed case does not change")
    return found


def _stale(case: dict[str, Any], expected: int) -> StaleRecordError:
    return StaleRecordError(
        f"case {case['number']} is at version {case['version']}, not {expected}: someone changed it since you"
        " read it; read it again and redo your step"
    )


def _provider(services: ServiceCatalogue, case: dict[str, Any], given: str | None) -> Provider:
    """The provider the referral goes to: the one given, else the proposal's; it must offer the service."""
    service = case["form"].get("service")
    if service not in services.services:
        raise InvalidInputError(
            f"service: {quoted(service)} is not a service of the catalogue; services: {', '.join(services.services)}"
        )
    key = given or case["form"].get("provider")
    offered = ", ".join(p.key for p in services.offered(wilayat=case["wilayat"], service=service)) or "none"
    if key is None:
        raise InvalidInputError(
            f"provider: the referral names no provider; give one (the providers of {service} in {case['wilayat']}:"
            f" {offered})"
        )
    provider = services.providers.get(key)
    if provider is None or service not in provider.services:
        raise InvalidInputError(
            f"provider: {quoted(key)} is not a provider of {service}; its providers in {case['wilayat']}: {offered}"
        )
    # Sent, a referral lets its provider read the person's name, civil number and mobile: only a
    # provider that serves the person's wilayat may have it (whatever the form or the request says).
    if provider.coverage(case["wilayat"], services.places) is None:
        raise InvalidInputError(
            f"provider: {quoted(key)} does not serve {case['wilayat']}; the providers of {service} there: {offered}"
        )
    return provider


def _consent(consent: Consent, opened: Any) -> dict[str, Any]:
    given_by = rules.check_text("consent.given_by", consent.given_by, required=True)
    channels = ", ".join(c.value for c in ConsentChannel)
    if consent.channel not in {c.value for c in ConsentChannel}:
        raise InvalidInputError(f"consent.channel: {quoted(consent.channel)} is not one of {channels}")
    at = consent.at or now()
    if at.tzinfo is None:
        raise InvalidInputError("consent.at: give the time with its zone (e.g. 2026-01-10T09:30:00+04:00)")
    if not 1900 < at.year < 2999:  # compared with other instants below: no overflow at the calendar's ends
        raise InvalidInputError(f"consent.at: {at.isoformat()} is not a time a consent was given")
    if at > now() + SKEW:
        raise InvalidInputError(f"consent.at: {at.isoformat()} is in the future")
    if opened is not None and at < _aware(opened):
        raise InvalidInputError(f"consent.at: {at.isoformat()} is before the referral was opened ({opened})")
    return {"given_by": given_by, "channel": str(consent.channel), "at": at}


def _aware(value: Any) -> Any:
    """SQLite gives a stored instant back without its zone (it was stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def confirm(
    uow: ReferralsUnitOfWork,
    catalogue: CaseCatalogue,
    services: ServiceCatalogue,
    number: str,
    consent: Consent,
    *,
    expected_version: int,
    principal: Principal,
    provider: str | None = None,
    today: date | None = None,
) -> Moved:
    """Record the person's consent (who gave it, how, when) and send the referral to its provider, in
    one step: proposed -> consented -> sent, the referral row written, the person told ("referral made")."""
    if not principal.can(Permission.CASE_WORK):
        raise ForbiddenError("confirming a referral needs case.work")
    day = day_of(catalogue, today)
    with uow:
        case = _referral(uow, number, "referral.consent", principal)
        kind = _kind(catalogue, services, case)
        _, first = rules.move(kind, case["state"], CONSENTED, number)
        if first.by is not Need.CONSENT:
            raise ConflictError(f"case {number} is {case['state']}: consent is recorded on a proposed referral")
        second = kind.transition(CONSENTED, SENT)
        assert second is not None  # the services loader checked the type
        given = _consent(consent, case["opened_at"])
        if case["version"] != expected_version:
            raise _stale(case, expected_version)
        chosen = _provider(services, case, provider)
        at, form = now(), {**case["form"], "provider": chosen.key}
        sent = kind.state(SENT)
        assert sent is not None
        changes: dict[str, Any] = {"state": SENT, "state_since": at, "escalated_at": None, "form": form}
        changes["due_on"] = rules.due_on(catalogue.calendar, sent, day)
        if not uow.cases.update(case["id"], changes, expected_version=expected_version):
            raise _stale(case, expected_version)
        recorded = _record(uow, case, given, chosen.key, at, principal)
        person = uow.cases.person(None, case["civil_number"])
        after = {**case, **changes}
        extra = notices.referral_names(services, form)
        queued = uow.cases.queue(notices.to_person(catalogue, kind, second.notify, after, person, day=day, extra=extra))
        before = {"state": case["state"], "version": expected_version}
        shown = {"state": SENT, "provider": chosen.key, "consent": recorded, "messages": queued}
        uow.audit.record([Change("referral.consent", f"case:{number}", before, shown)], actor=principal.username)
        uow.commit()
    return Moved(number, expected_version + 1, SENT, changes["due_on"], case["decision"], queued)


def _record(
    uow: ReferralsUnitOfWork, case: dict[str, Any], given: dict[str, Any], provider: str, at: Any, principal: Principal
) -> dict[str, Any]:
    """The consent and the sending in the case's history and its referral row; the consent as recorded."""
    recorded = {**given, "at": given["at"].isoformat(), "recorded_by": principal.username}
    uow.cases.add_event(
        case["id"], EventKind.CONSENT, actor=principal.username, from_state=case["state"], to_state=CONSENTED,
        data=recorded,
    )  # fmt: skip
    uow.cases.add_event(
        case["id"], EventKind.MOVED, actor=principal.username, from_state=CONSENTED, to_state=SENT,
        data={"provider": provider},
    )  # fmt: skip
    uow.referrals.save(
        case["id"],
        {
            "person_id": case["person_id"], "service": case["form"]["service"], "provider": provider,
            "consent_given_by": given["given_by"], "consent_channel": given["channel"], "consent_at": given["at"],
            "consent_recorded_by": principal.username, "sent_at": at,
        },
    )  # fmt: skip
    return recorded


def _kind(catalogue: CaseCatalogue, services: ServiceCatalogue, case: dict[str, Any]) -> CaseType:
    kind = catalogue.type(services.case_type)
    if kind is None or case["type"] != kind.key:  # a referral row is only ever made for a referral case
        raise ConflictError(f"case {case['number']} is {an(case['type'])}, not {an(services.case_type)}")
    return kind


def respond(
    uow: ReferralsUnitOfWork,
    catalogue: CaseCatalogue,
    services: ServiceCatalogue,
    number: str,
    target: str,
    *,
    expected_version: int,
    note: str | None,
    principal: Principal,
    today: date | None = None,
) -> Moved:
    """A provider's answer to a referral sent to it: the case moves to `target` (a `by: respond` move of
    the referral type from its state), the answer and its note in the case's history; the person is
    told where the type says so (a declined referral, with the note as the reason)."""
    if not principal.can(Permission.REFERRAL_RESPOND):
        raise ForbiddenError("answering a referral needs referral.respond (a provider's system)")
    written = rules.check_text("note", note, required=False)
    day = day_of(catalogue, today)
    with uow:
        case = _referral(uow, number, "referral.respond", principal)
        if case["provider"] not in principal.branch_values("provider"):  # staff may read it; only its provider answers
            raise ForbiddenError(f"only the provider a referral was sent to answers it ({number})")
        kind = _kind(catalogue, services, case)
        state, transition = rules.move(kind, case["state"], target, number)
        if transition.by is not Need.RESPOND:
            raise ForbiddenError(f"moving referral {number} to {target} is the Fund's step, not the provider's")
        if transition.notify is not None and written is None:
            raise InvalidInputError(f"note: required when the referral moves to {target} (the person is told why)")
        if case["version"] != expected_version:
            raise _stale(case, expected_version)
        at = now()
        changes: dict[str, Any] = {
            "state": target,
            "state_since": at,
            "escalated_at": None,
            "due_on": rules.due_on(catalogue.calendar, state, day),
        }
        if not uow.cases.update(case["id"], changes, expected_version=expected_version):
            raise _stale(case, expected_version)
        uow.cases.add_event(
            case["id"], EventKind.OUTCOME, actor=principal.username, from_state=case["state"], to_state=target,
            text=written, data={"provider": case["provider"]},
        )  # fmt: skip
        person = uow.cases.person(None, case["civil_number"])
        extra = notices.referral_names(services, {"service": case["service"], "provider": case["provider"]})
        queued = uow.cases.queue(
            notices.to_person(
                catalogue, kind, transition.notify, {**case, **changes}, person, day=day, reason=written, extra=extra
            )
        )
        before = {"state": case["state"], "version": expected_version}
        after = {"state": target, "note": written, "provider": case["provider"], "messages": queued}
        uow.audit.record([Change("referral.respond", f"case:{number}", before, after)], actor=principal.username)
        uow.commit()
    return Moved(number, expected_version + 1, target, changes["due_on"], case["decision"], queued)


def check_filter(catalogue: CaseCatalogue, services: ServiceCatalogue, wanted: ReferralFilter) -> None:
    """A filter that names something that does not exist is refused with the allowed values."""
    kind = catalogue.type(services.case_type)
    states = [s.key for s in kind.states] if kind else []
    for name, value, known in (
        ("state", wanted.state, states),
        ("service", wanted.service, list(services.services)),
        ("provider", wanted.provider, list(services.providers)),
    ):
        if value is not None and value not in known:
            raise InvalidInputError(
                f"{name}: {quoted(value)} is not a {name} of a referral; {name}s: {', '.join(known)}"
            )
    if wanted.wilayat is not None:
        branch(catalogue, wanted.wilayat)
    if wanted.page < 1:
        raise InvalidInputError(f"page: {wanted.page} is not a page number (1, 2, ...)")


def listing(
    uow: ReferralsUnitOfWork,
    catalogue: CaseCatalogue,
    services: ServiceCatalogue,
    wanted: ReferralFilter,
    *,
    principal: Principal,
) -> list[dict[str, Any]]:
    """A page of the referrals the user may see (their branches', or those sent to their provider),
    newest first; the read names the referrals it returned."""
    if not (principal.can(Permission.CASE_READ) or principal.can(Permission.REFERRAL_RESPOND)):
        raise ForbiddenError("reading referrals needs case.read or referral.respond")
    check_filter(catalogue, services, wanted)
    wanted = replace(wanted, type=services.case_type)
    with uow:
        rows = uow.referrals.listing(principal, wanted, limit=PAGE, offset=(wanted.page - 1) * PAGE)
        filters = {k: str(v) for k, v in vars(wanted).items() if v is not None and k != "type"}
        uow.audit.record(
            [Change("read", "referrals:list", None, {"filters": filters, "cases": [r["number"] for r in rows]})],
            actor=principal.username,
        )
        uow.commit()
    return rows


def show(uow: ReferralsUnitOfWork, number: str, *, principal: Principal, case_type: str = "referral") -> dict[str, Any]:
    """One referral (a case of `case_type`) with its person's name and contact, if the user may see it
    (audited, a probe too); another type's case answers as a missing one."""
    if not (principal.can(Permission.CASE_READ) or principal.can(Permission.REFERRAL_RESPOND)):
        raise ForbiddenError("reading referrals needs case.read or referral.respond")
    with uow:
        found = uow.referrals.visible(principal, number)
        found = found if found is not None and found["type"] == case_type else None
        uow.audit.record(
            [Change("read", f"case:{number}", None, {"what": "referral", "found": found is not None})],
            actor=principal.username,
        )
        uow.commit()
    if found is None:
        raise _missing(number)
    return found
