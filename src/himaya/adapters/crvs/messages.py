"""The DCI CRVS notify message (crvs_api v1.0.0 `NotifyEventRequest` under `MsgCallbackHeader_V1.0.0`)
and its record (`CRVSPerson`), as pydantic models; and what one event says, in the people table's words.

The registry's record names a person's parents `parent1_identifier` and `parent2_identifier` without
saying which is which: Himaya reads parent 1 as the mother and parent 2 as the father (a birth whose
"mother" the registry records as a man goes to a registrar's review, as any).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import Field, StrictStr, ValidationError, field_validator, model_validator

from himaya.adapters.dci.envelope import CallbackHeader, DciModel
from himaya.adapters.dci.envelope import _clean as plain_text
from himaya.core.errors import Category, HimayaError, InvalidInputError
from himaya.events.model import EventKind

Text99 = Annotated[StrictStr, Field(min_length=1, max_length=99)]
EVENT_CODES = {  # the spec's RegistryEventType / VitalEventTypeEnum, as Himaya's kinds
    "livebirth": EventKind.BIRTH,
    "live_birth": EventKind.BIRTH,
    "death": EventKind.DEATH,
    "marriage": EventKind.MARRIAGE,
    "divorce": EventKind.DIVORCE,
    "adoption": EventKind.ADOPTION,
    "fetaldeath": EventKind.FETAL_DEATH,
    "fetal_death": EventKind.FETAL_DEATH,
}
NAMES = {EventKind.BIRTH: "LiveBirth", EventKind.DEATH: "Death", EventKind.MARRIAGE: "Marriage",
         EventKind.DIVORCE: "Divorce", EventKind.ADOPTION: "Adoption", EventKind.FETAL_DEATH: "FetalDeath"}  # fmt: skip
# The record's date of the event: an adoption's `adoption_date` (else the registration's date), a fetal
# death's `death_date` (the record is the fetus's; its parent 1 is the mother).
DATES = {EventKind.BIRTH: "birth_date", EventKind.DEATH: "death_date", EventKind.MARRIAGE: "marriage_date",
         EventKind.DIVORCE: "divorce_date", EventKind.ADOPTION: "adoption_date",
         EventKind.FETAL_DEATH: "death_date"}  # fmt: skip
SEX = {"male": "M", "m": "M", "female": "F", "f": "F"}
CIVIL_TYPES = {"UIN", "NIN", "NID", "CIVIL_NUMBER"}  # identifier types that are a civil number
_ARABIC = re.compile(r"[\u0600-\u06FF]")


class NotifyRefusedError(InvalidInputError):
    """A notify message that is not the spec's, or an event in it that cannot be read: refused whole."""


class NotSubscribedError(HimayaError):
    """A registry's message under no subscription of ours that takes it (none, pending, ended, another client's)."""

    category = Category.FORBIDDEN
    code = "not_subscribed"


def kind_of(code: str) -> EventKind:
    """`spdci-common:RegistryEventType:LiveBirth`, `LiveBirth` or `event:live_birth`: a birth."""
    found = EVENT_CODES.get(code.rsplit(":", 1)[-1].strip().lower())
    if found is None:
        raise NotifyRefusedError(
            f"reg_event_type {code[:99]!r}: LiveBirth, Death, Marriage, Divorce, Adoption or FetalDeath"
        )
    return found


class CrvsIdentifier(DciModel):
    identifier_type: StrictStr | None = None
    identifier_value: Text99


class CrvsName(DciModel):
    given_name: StrictStr | None = None
    second_name: StrictStr | None = None
    surname: StrictStr | None = None


class CrvsPerson(DciModel):
    """`CRVSPerson`: the fields Himaya reads; the others (places, addresses, contacts) are kept aside.
    A record without an identifier names the person by name and birth date (matched on the registry)."""

    identifier: CrvsIdentifier | Annotated[list[CrvsIdentifier], Field(min_length=1, max_length=10)] | None = None
    name: CrvsName | None = None
    sex: StrictStr | None = None
    birth_date: StrictStr | None = None
    death_date: StrictStr | None = None
    marriage_date: StrictStr | None = None
    divorce_date: StrictStr | None = None
    marital_status: StrictStr | None = None
    parent1_identifier: CrvsIdentifier | None = None
    parent2_identifier: CrvsIdentifier | None = None
    adoption_date: StrictStr | None = None
    registration_date: StrictStr | None = None  # core Person: the registration's date
    last_updated: StrictStr | None = None  # core Person: when the registration's details were updated
    # Registry-specific name/value pairs (`{"name": ..., "value": ...}` or `{name: value}`): an update's
    # `registration_update` (correction or cancellation) and `updates` (the registration's reference_id).
    additional_attributes: Annotated[list[dict[str, Any]], Field(max_length=50)] | None = None

    @model_validator(mode="after")
    def _named(self) -> CrvsPerson:
        fetal = self.identifier is None and self.parent1_identifier is not None and self.death_date is not None
        if self.identifier is None and (self.name is None or not self.birth_date) and not fetal:
            raise ValueError("identifier: Field required (a record without one gives the name and birth_date)")
        return self

    @property
    def civil_number(self) -> str | None:
        """The first identifier that is a civil number (type UIN, NIN, NID or CIVIL_NUMBER, or no
        type); a registration's own number (BRN, DRN, ...) is not one."""
        found = [self.identifier] if isinstance(self.identifier, CrvsIdentifier) else self.identifier or []
        return next((i.identifier_value for i in found if civil(i)), None)


def civil(identifier: CrvsIdentifier) -> bool:
    return (identifier.identifier_type or "UIN").strip().upper() in CIVIL_TYPES


class NotifyData(DciModel):
    version: StrictStr = "1.0.0"
    reg_type: StrictStr | None = None
    reg_event_type: Text99
    reg_record_type: Text99
    reg_records: CrvsPerson


class NotifyEvent(DciModel):
    reference_id: Text99  # the event's id at the registry: the same on every delivery of the event
    timestamp: Annotated[StrictStr, Field(max_length=64)]
    data: NotifyData
    locale: Annotated[StrictStr, Field(max_length=16)] | None = None


class NotifyMessage(DciModel):
    transaction_id: Text99
    notify_event: Annotated[list[NotifyEvent], Field(min_length=1, max_length=1000)]

    @field_validator("notify_event")
    @classmethod
    def _one_record_a_reference(cls, events: list[NotifyEvent]) -> list[NotifyEvent]:
        """Two records under one reference_id in one message: the second would be taken for a copy of
        the first and dropped; the message is refused whole instead, naming both places."""
        first: dict[str, int] = {}
        for position, event in enumerate(events):
            seen = first.setdefault(event.reference_id, position)
            if seen != position:
                raise ValueError(
                    f"{position}.reference_id {event.reference_id!r} is the reference_id of notify_event.{seen}"
                    " too: one record a reference_id in a message"
                )
        return events


class _FromRegistry(DciModel):
    """A message the civil registry POSTs to Himaya: plain text, its header's action the one
    `ACTION` names, in clear (an encrypted one is opened before it is read: `encryption.open_envelope`)."""

    ACTION: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        plain_text(data)  # no lone surrogates, not nested past the DCI limit, as the DCI server refuses
        return data

    signature: Annotated[StrictStr, Field(max_length=10_000)] | None = None
    header: CallbackHeader

    @field_validator("header")
    @classmethod
    def _action(cls, header: CallbackHeader) -> CallbackHeader:
        if header.action != cls.ACTION:
            raise ValueError(f"header.action must be {cls.ACTION}, not {header.action[:40]!r}")
        if header.is_msg_encrypted:
            raise ValueError("encrypted messages are not accepted here: send the message in clear")
        return header


M = TypeVar("M", bound=_FromRegistry)


class CrvsNotify(_FromRegistry):
    ACTION = "notify"
    message: NotifyMessage


def read_notify(document: Any) -> CrvsNotify:
    """The message checked against the spec; refused naming the first field at fault."""
    return read(CrvsNotify, document, "NotifyEventRequest")


def read(model: type[M], document: Any, name: str, *, spec: str = "CRVS") -> M:
    """A registry's message checked against the spec's `name`; refused naming the first field at fault."""
    if not isinstance(document, dict):
        raise NotifyRefusedError(f"the {model.ACTION} message is not a JSON object {{signature, header, message}}")
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the message"
        raise NotifyRefusedError(f"{where}: {first['msg']} (DCI {spec} {name})") from None


def _date(text: str | None, where: str) -> date:
    if not text:
        raise NotifyRefusedError(f"{where}: missing (the event's date)")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise NotifyRefusedError(f"{where}: {text[:40]!r} is not an ISO 8601 date") from None


def facts_of(position: int, event: NotifyEvent) -> tuple[EventKind, date, dict[str, Any]]:
    """The event's kind, date and facts (people table's words), or refused naming the event and field."""
    _, kind, when, facts = notified(position, event)
    return kind, when, facts


UPDATES = {"correction": EventKind.CORRECTION, "cancellation": EventKind.CANCELLATION}


def attributes(person: CrvsPerson) -> dict[str, Any]:
    """The record's `additional_attributes` as one mapping (either form of name/value pair)."""
    said: dict[str, Any] = {}
    for pair in person.additional_attributes or []:
        if set(pair) == {"name", "value"}:
            said[str(pair["name"])] = pair["value"]
        else:
            said |= pair
    return said


def notified(position: int, event: NotifyEvent) -> tuple[EventKind, EventKind, date, dict[str, Any]]:
    """(the registration's type, the event's kind, date, facts). An update of a registration notified
    before (`additional_attributes` `registration_update`: correction or cancellation, and `updates`:
    that registration's `reference_id`) is a correction or a cancellation dated its `last_updated`;
    a correction's values are the record's (the registration's date, sex, names)."""
    registration = kind_of(event.data.reg_event_type)
    where = f"message.notify_event.{position}.data.reg_records"
    person = event.data.reg_records
    said = attributes(person)
    update = said.get("registration_update")
    if update is None:
        return registration, registration, *person_facts(registration, person, where)
    kind = UPDATES.get(str(update).lower())
    if kind is None:
        raise NotifyRefusedError(f"{where}.additional_attributes.registration_update: {str(update)[:40]!r} is not"
                                 " correction or cancellation")  # fmt: skip
    updates = said.get("updates")
    if not isinstance(updates, str) or not 0 < len(updates) < 100:
        verb = "corrects" if kind == EventKind.CORRECTION else "cancels"
        raise NotifyRefusedError(f"{where}.additional_attributes.updates: the reference_id of the registration"
                                 f" it {verb}")  # fmt: skip
    if person.civil_number is None:
        raise NotifyRefusedError(f"{where}.identifier: an update names its person by civil number")
    when = _date(person.last_updated, f"{where}.last_updated")
    facts: dict[str, Any] = {"person_id": person.civil_number, "corrects": updates}
    if kind == EventKind.CORRECTION:
        day, given = person_facts(registration, person, where)
        facts |= {k: v for k, v in given.items() if k == "sex" or k.endswith(("_ar", "_en"))}
        if registration in (EventKind.BIRTH, EventKind.DEATH):
            facts[DATES[registration]] = day.isoformat()
    return registration, kind, when, facts


def person_facts(kind: EventKind, person: CrvsPerson, where: str) -> tuple[date, dict[str, Any]]:
    """A record's event of this kind: its date and facts. Without a civil number, the person's birth
    date and names are the facts the registry is matched on (`events/matching.py`)."""
    said = getattr(person, DATES[kind]) or (person.registration_date if kind == EventKind.ADOPTION else None)
    when = _date(said, f"{where}.{DATES[kind]}")
    if kind == EventKind.FETAL_DEATH:  # nobody is registered: the event is the mother's (parent 1)
        mother = person.parent1_identifier
        if mother is None or not civil(mother):
            raise NotifyRefusedError(f"{where}.parent1_identifier: a fetal death names the mother's civil number")
        return when, {"person_id": mother.identifier_value}
    facts: dict[str, Any] = {}
    if person.civil_number is not None:
        facts["person_id"] = person.civil_number
    elif kind != EventKind.BIRTH:
        facts["birth_date"] = _date(person.birth_date, f"{where}.birth_date").isoformat()
    if person.sex is not None:
        if person.sex.lower() not in SEX:
            raise NotifyRefusedError(f"{where}.sex: {person.sex[:20]!r} is not male or female")
        facts["sex"] = SEX[person.sex.lower()]
    for column, parent in (("mother_id", person.parent1_identifier), ("father_id", person.parent2_identifier)):
        if parent is not None and civil(parent):
            facts[column] = parent.identifier_value
    if person.name is not None:
        for column, value in (("given_name", person.name.given_name), ("family_name", person.name.surname)):
            if value:
                facts[f"{column}_{'ar' if _ARABIC.search(value) else 'en'}"] = value
    return when, facts


# --- the registry's answer to our subscribe (crvs_api `SubscribeResponse`) -----------------------------


class Subscription(DciModel):
    code: Text99
    status: StrictStr  # subscribe or unsubscribe
    timestamp: StrictStr
    reg_event_type: StrictStr | None = None


class SubscribeResult(DciModel):
    reference_id: Text99
    timestamp: StrictStr
    status: StrictStr  # succ or rjct
    status_reason_code: StrictStr | None = None
    status_reason_message: Annotated[StrictStr, Field(max_length=999)] | None = None
    subscriptions: list[Subscription] | None = None


class SubscribeAnswer(DciModel):
    transaction_id: Text99
    correlation_id: Text99
    subscribe_response: Annotated[list[SubscribeResult], Field(min_length=1, max_length=100)]


class OnSubscribe(_FromRegistry):
    ACTION = "on-subscribe"
    message: SubscribeAnswer


def read_answer(document: Any) -> OnSubscribe:
    """The registry's on-subscribe checked against the spec; refused naming the first field at fault."""
    return read(OnSubscribe, document, "SubscribeResponse")


# --- the registry's answer to our search (crvs_api `SearchResponse`) -----------------------------------


class FoundData(DciModel):
    version: StrictStr = "1.0.0"
    reg_type: StrictStr | None = None
    reg_record_type: StrictStr | None = None
    reg_records: Annotated[list[CrvsPerson], Field(max_length=1000)]


class FoundResult(DciModel):
    reference_id: Text99
    timestamp: Annotated[StrictStr, Field(max_length=64)]
    status: StrictStr  # succ or rjct
    status_reason_code: StrictStr | None = None
    status_reason_message: Annotated[StrictStr, Field(max_length=999)] | None = None
    data: FoundData | None = None


class SearchAnswer(DciModel):
    transaction_id: Text99
    correlation_id: Text99
    search_response: Annotated[list[FoundResult], Field(min_length=1, max_length=100)]


class CrvsOnSearch(_FromRegistry):
    ACTION = "on-search"
    message: SearchAnswer
