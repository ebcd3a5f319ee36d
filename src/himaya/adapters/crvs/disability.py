"""DCI Disability Registry (dr_api v1.0.0), the client side: search a disability registry's persons
with disabilities by civil number (`/registry/sync/search`, or `/registry/search` with its answer
POSTed to Himaya's `/events/dci/on-search`, as the civil registry's search), the same envelope,
signature, encryption and bookkeeping (`crvs_search`) as the CRVS search (`search.py`).

A record is the spec's `PWD_Person` (`reg_records`, one or a list): `personal_details` (the
person: `identifier`, `name`, `birth_date`; the spec's own example puts them there directly, its
data dictionary under `demographic_info`: both are read), `disability_status` (Approved, Pending,
Expired: `DisabilityStatusEnum`), `disability_status_level` (or the example's `disability_level`),
`disability_details[].impairment_type`, `last_updated`. Every record must be the person asked for.

What is taken into the registry (`take`, through the life-events inbox, validated, deduplicated and
applied by the worker as any event): an **Expired** status, as the `disability_card_expired` event
the registry knows (the card no longer held), dated the record's `last_updated` (its
`registration_date`, else the day of the answer). An Approved or Pending status is kept with the
search and printed, never written: Himaya's disability category is one of the policy pack's (Oman:
autism, down syndrome, intellectual, visual, hearing, physical, other approved) and the registry's
impairment types (Vision, Hearing, Mobility, Cognitive, Speech, Mental) do not map onto them one to
one; a card is granted by a registrar's case (docs/events.md says so).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

from jwcrypto.jwk import JWK
from pydantic import Field, StrictStr, field_validator

from himaya.adapters.crvs import search as crvs_search
from himaya.adapters.crvs.client import Sign, matched, verify_message
from himaya.adapters.crvs.messages import CrvsIdentifier, NotSubscribedError, _FromRegistry, civil, read
from himaya.adapters.crvs.ports import CrvsUnitOfWork
from himaya.adapters.dci.envelope import DciModel
from himaya.core.errors import ConflictError, InvalidInputError
from himaya.events.matching import NAME_COLUMNS, strongly
from himaya.events.model import EventKind, LifeEvent
from himaya.registry.actions import search_terms
from himaya.registry.model import Search

REG_TYPE = "ns:org:RegistryType:DR"
RECORD_TYPE = "spdci-extensions-dr:PWD_Person"
TAKE = "DisabilityExpired"  # --take: an Expired status as the disability_card_expired event
STATUSES = {"approved": "Approved", "pending": "Pending", "expired": "Expired",
            "status:0": "Approved", "status:1": "Pending", "status:2": "Expired"}  # fmt: skip
Found = crvs_search.Found


class DrName(DciModel):
    given_name: StrictStr | None = None
    first_name: StrictStr | None = None
    surname: StrictStr | None = None
    last_name: StrictStr | None = None


class DrPersonal(DciModel):
    """`Member`: the person, directly (the spec's example) or under `demographic_info`."""

    identifier: Annotated[StrictStr, Field(max_length=99)] | CrvsIdentifier | list[CrvsIdentifier] | None = None
    name: DrName | None = None
    birth_date: StrictStr | None = None
    date_of_birth: StrictStr | None = None
    sex: StrictStr | None = None
    gender: StrictStr | None = None
    demographic_info: DrPersonal | None = None

    @property
    def person(self) -> DrPersonal:
        return self.demographic_info or self

    @property
    def civil_number(self) -> str | None:
        given = self.person.identifier
        if isinstance(given, str):
            return given
        found = [given] if isinstance(given, CrvsIdentifier) else given or []
        return next((i.identifier_value for i in found if civil(i)), None)


class DrImpairment(DciModel):
    impairment_type: StrictStr | None = None
    impairment_level: StrictStr | None = None


class PwdPerson(DciModel):
    personal_details: DrPersonal
    disability_status: StrictStr | None = None
    disability_status_level: StrictStr | None = None
    disability_level: StrictStr | None = None
    disability_details: Annotated[list[DrImpairment], Field(max_length=20)] | None = None
    registration_date: StrictStr | None = None
    last_updated: StrictStr | None = None

    @property
    def status(self) -> str | None:
        """Approved, Pending or Expired (the enum's label or code); another text as it came."""
        return STATUSES.get((self.disability_status or "").strip().lower(), self.disability_status)


class DrData(DciModel):
    version: StrictStr = "1.0.0"
    reg_type: StrictStr | None = None
    reg_record_type: StrictStr | None = None
    reg_records: Annotated[list[PwdPerson], Field(max_length=1000)]

    @field_validator("reg_records", mode="before")
    @classmethod
    def _listed(cls, given: Any) -> Any:
        return [given] if isinstance(given, dict) else given  # the spec's one record (`type: object`)

    @property
    def records(self) -> list[PwdPerson]:
        return self.reg_records


class DrResult(DciModel):
    reference_id: Annotated[StrictStr, Field(min_length=1, max_length=99)]
    timestamp: Annotated[StrictStr, Field(max_length=64)]
    status: StrictStr
    status_reason_code: StrictStr | None = None
    status_reason_message: Annotated[StrictStr, Field(max_length=999)] | None = None
    data: DrData | None = None


class DrAnswer(DciModel):
    transaction_id: Annotated[StrictStr, Field(min_length=1, max_length=99)]
    correlation_id: Annotated[StrictStr, Field(min_length=1, max_length=99)]
    search_response: Annotated[list[DrResult], Field(min_length=1, max_length=100)]


class DrOnSearch(_FromRegistry):
    ACTION = "on-search"
    message: DrAnswer


def summary(record: PwdPerson) -> dict[str, Any]:
    """A record as Himaya prints and keeps it."""
    who = record.personal_details.person
    name = who.name or DrName()
    return {
        "civil_number": record.personal_details.civil_number,
        "given_name": name.given_name or name.first_name,
        "surname": name.surname or name.last_name,
        "sex": who.sex or who.gender,
        "birth_date": who.birth_date or who.date_of_birth,
        "disability_status": record.status,
        "disability_level": record.disability_status_level or record.disability_level,
        "impairments": [d.impairment_type for d in record.disability_details or [] if d.impairment_type],
    }


def search(
    uow: CrvsUnitOfWork,
    civil_number: str,
    *,
    url: str,
    registry_id: str,
    client: str,
    take: bool,
    callback: str | None,
    sign: Sign,
    sender_id: str,
    token: str | None,
    today: date,
    actor: str,
    decrypting: Sequence[JWK] = (),
) -> Found:
    """Ask the disability registry about one civil number, as `search.search` asks a civil registry."""
    query = crvs_search.Query(civil_number=civil_number)
    crvs_search.check_asking(uow, query, registry_id=registry_id, client=client, callback=callback)
    transaction = secrets.token_hex(12)
    page = {"page_size": crvs_search.PAGE, "page_number": 1}
    item = {"reference_id": secrets.token_hex(12), "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "search_criteria": {"version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": RECORD_TYPE,
                                **query.criteria(), "pagination": page}}  # fmt: skip
    criteria = json.dumps(item["search_criteria"], ensure_ascii=False)
    asked = {"registry_url": url, "registry_id": registry_id, "client": client, "transaction_id": transaction,
             "query": criteria, "take": TAKE if take else ""}  # fmt: skip

    def answered(clear: Any, received: Any) -> Found:
        return on_search(uow, clear, client=client, today=today, actor=actor, sent=asked, received=received)

    sending = crvs_search.Sending(url, registry_id, client, sender_id, token, callback, sign, tuple(decrypting))
    return crvs_search.send(uow, item, asked, sending, audit_action="dr.search", answered=answered, actor=actor)


def is_disability_search(asked: dict[str, Any] | None) -> bool:
    """Whether a kept search asked a disability registry (its answer read here, not as a CRVS one)."""
    return asked is not None and json.loads(asked["query"]).get("reg_type") == REG_TYPE


def _dated(record: PwdPerson, today: date, where: str) -> date:
    """The day of the record's last change (else its registration, else the answer's day)."""
    for name in ("last_updated", "registration_date"):
        text = getattr(record, name)
        if not text:
            continue
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise InvalidInputError(f"{where}.{name} {text[:40]!r}: not a date like 2026-01-31") from None
    return today


def _taken(answer: DrOnSearch, *, today: date) -> list[LifeEvent]:
    """The Expired statuses of the answer, as disability_card_expired events (one id per person and day)."""
    made = []
    for i, result in enumerate(answer.message.search_response):
        for j, record in enumerate(result.data.records if result.data and result.status == "succ" else []):
            number = record.personal_details.civil_number
            if record.status != "Expired" or number is None:
                continue
            when = _dated(record, today, f"message.search_response.{i}.data.reg_records.{j}")
            source = f"dci-dr:{answer.header.sender_id}"[:64]
            kind = EventKind.DISABILITY_CARD_EXPIRED.value
            made.append(LifeEvent(source, f"search:{kind}:{number}:{when}", kind, when, {"person_id": number}))
    return made


def _refuse_others(answer: DrOnSearch, wanted: str) -> None:
    for i, result in enumerate(answer.message.search_response):
        for j, record in enumerate(result.data.records if result.data else []):
            got = record.personal_details.civil_number
            if got != wanted:
                raise InvalidInputError(
                    f"message.search_response.{i}.data.reg_records.{j}: civil_number {got!s:.20}, not the "
                    f"{wanted!r} the search asked for: an answer holds only the person asked for"
                )


def _same_person(
    uow: CrvsUnitOfWork, answer: DrOnSearch, taken: tuple[list[LifeEvent], list[tuple[LifeEvent, str]]]
) -> tuple[list[LifeEvent], list[tuple[LifeEvent, str]]]:
    """A card's end taken only for the person the registry knows under that civil number: a record
    whose birth date is another than the registry's, or whose given name is not one of the
    person's names (Arabic and Latin spellings folded, as the name search folds them: a twin under a
    mistyped number has the birth date and the family name), goes to a registrar (a mistyped
    number at the disability registry must not end someone else's disability benefit)."""
    events, review = taken
    born, named = {}, {}
    for result in answer.message.search_response:
        for record in result.data.records if result.data else []:
            person, number = record.personal_details.person, record.personal_details.civil_number
            if number is None:
                continue
            if person.birth_date or person.date_of_birth:
                born[number] = str(person.birth_date or person.date_of_birth)
            given = (person.name.given_name or person.name.first_name) if person.name else None
            if given and given.strip():
                named[number] = given.strip()
    if not events or not (born or named):
        return taken
    with uow.reading():
        people = uow.events.people(sorted({str(e.facts["person_id"]) for e in events}))
    ours = {str(r["person_id"]): r for r in people.to_dicts()}
    kept, review = [], list(review)
    for event in events:
        number = str(event.facts["person_id"])
        why = _not_the_same(number, born.get(number), named.get(number), ours.get(number))
        if why:
            review.append((event, f"{why}: a registrar checks they are one person before the card's end is applied"))
        else:
            kept.append(event)
    return kept, review


def _not_the_same(number: str, born: str | None, given: str | None, ours: dict[str, Any] | None) -> str:
    """Why the disability registry's record of `number` may be another person than the registry's
    (`ours`, its row), or ""."""
    if ours is None:
        return ""  # not in the registry: the worker holds or refuses the event as any other
    known = ours.get("birth_date")
    if born is not None and known is not None and born[:10] != known.isoformat():
        return (
            f"the disability registry's record of {number} was born {born[:20]!r}; the registry's"
            f" person {number} was born {known.isoformat()}"
        )
    names = " ".join(str(ours[c]) for c in NAME_COLUMNS if ours.get(c))
    if given is None or not names:
        return ""
    try:
        words = search_terms(Search(name=given), "").names
    except InvalidInputError:
        words = ()  # a name of connectors only, or no letters: cannot be matched, so not taken
    if not words or not strongly([{"civil_number": number, **ours}], words, None):
        return (
            f"the disability registry's record of {number} is named {given[:60]!r}; the registry's"
            f" person {number} is {names!r}"
        )
    return ""


def on_search(
    uow: CrvsUnitOfWork,
    document: Any,
    *,
    client: str,
    today: date,
    actor: str,
    sent: dict[str, Any] | None = None,
    received: Any = None,
) -> Found:
    """The disability registry's answer, checked and kept as `search.on_search` keeps a civil registry's."""
    answer = read(DrOnSearch, document, "SearchResponse", spec="DR")
    sender, transaction = answer.header.sender_id, answer.message.transaction_id
    with uow.reading():
        verify_message(uow, answer.signature, received or document, client=client, sender=sender)
        asked = sent if sent is not None else uow.crvs.search_of(transaction)
    if asked is None or asked["client"] != client or asked["registry_id"] != sender:
        raise NotSubscribedError(f"transaction_id {transaction[:99]!r}: no search of ours to you")
    if sent is not None and transaction != sent["transaction_id"]:
        raise ConflictError(f"transaction_id {transaction[:99]!r}: not the transaction of our search")
    if asked.get("status", "pending") != "pending":
        raise ConflictError(f"transaction_id {transaction!r}: the search is {asked['status']} already (a replay?)")
    _refuse_others(answer, str(json.loads(asked["query"])["query"]["value"]))
    records = [summary(p) for r in answer.message.search_response if r.data for p in r.data.records]
    taken = matched(uow, _taken(answer, today=today) if asked["take"] else [], today=today, where="taken")
    taken = _same_person(uow, answer, taken)
    answered = crvs_search.Answered(transaction, sender, records, answer.message.search_response, sent, asked)
    return crvs_search.keep_answer(uow, answered, taken, audit_action="dr.on_search", today=today, actor=actor)


def on_any_search(
    uow: CrvsUnitOfWork, document: Any, *, client: str, today: date, actor: str, received: Any = None
) -> Found:
    """An asynchronous answer to `/events/dci/on-search`: read as the registry searched expects (a
    disability registry's records, or a civil registry's), by the search its transaction names."""
    message = document.get("message") if isinstance(document, dict) else None
    transaction = message.get("transaction_id") if isinstance(message, dict) else None
    with uow.reading():
        asked = uow.crvs.search_of(transaction) if isinstance(transaction, str) else None
    read_as = on_search if is_disability_search(asked) else crvs_search.on_search
    return read_as(uow, document, client=client, today=today, actor=actor, received=received)
