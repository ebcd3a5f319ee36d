"""Sharing the registry with partner systems (DCI today): a transaction's status and its answer's delivery, a
partner's onboarding (sender id, callback addresses, limits), the service's limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class TxnStatus(StrEnum):
    """DCI's request status: received, pending (being answered), answered, rejected or failed."""

    RCVD = "rcvd"
    PDNG = "pdng"
    SUCC = "succ"
    RJCT = "rjct"


class Delivery(StrEnum):
    """Where an async answer is: being POSTed (with retries), taken by the partner, given up, or
    refused (its address is no longer one its partner has registered: never POSTed there again)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUSED = "refused"


class Outcome(StrEnum):
    """One POST of an answer to a partner's address: taken (a 2xx) or not."""

    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of an async answer, as recorded (`dci_delivery`)."""

    attempt: int
    uri: str
    at: datetime
    outcome: Outcome
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Limits:
    """The service's limits (settings); a partner's own terms may lower or raise the volume ones."""

    max_requests: int = 20  # search requests in one message
    max_records: int = 500  # records one message may return (the sum of its page sizes)
    per_minute: int = 120  # search requests a partner may make in a minute
    retention: timedelta = timedelta(days=7)  # how long an answer stays fetchable by txn/status
    attempts: int = 4  # deliveries of an async answer before giving up
    backoff: float = 2.0  # seconds before the second delivery, doubled each time


@dataclass(frozen=True)
class PartnerKey:
    """A public key registered for a partner system: its id, algorithm and JWK (RFC 7517). A signing
    key (ed25519 or rsa-sha256; JWK `use` sig or none) checks its DCI messages' signatures; an
    encryption key (RSA-OAEP-256 or ECDH-ES+A256KW; `use` enc) is what our messages to it are
    encrypted to. The JWK's `exp` (Unix time), once the partner retires the key, ends its validity."""

    key_id: str
    algorithm: str
    jwk: Mapping[str, Any]

    @property
    def use(self) -> str:
        return "enc" if self.jwk.get("use") == "enc" else "sig"

    @property
    def retires(self) -> datetime | None:
        exp = self.jwk.get("exp")
        return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else None

    def valid(self, now: datetime) -> bool:
        return self.retires is None or now < self.retires


@dataclass(frozen=True)
class PartnerTerms:
    """What an admin registered for a partner system (`himaya partners set`)."""

    client: str
    sender_id: str | None = None  # the header.sender_id it must send (default: its client name)
    callbacks: tuple[str, ...] = ()  # the only addresses its async answers go to
    max_records: int | None = None
    per_minute: int | None = None
    keys: tuple[str, ...] = ()  # the ids of the public keys its messages are signed with
    token_url: str | None = None  # its token endpoint: our callbacks carry a bearer token from it
    token_client_id: str | None = None  # our client id there (the secret is never part of the terms)
    key_notes: tuple[str, ...] = ()  # each key as "sig:{id}" or "enc:{id}", with " until {time}" once retired


@dataclass(frozen=True)
class CallbackLogin:
    """How our callbacks get the partner's bearer token: client credentials at its token endpoint."""

    url: str
    client_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Transaction:
    """A DCI message received, as kept for its status and its answer."""

    correlation_id: str
    client: str
    message_id: str
    transaction_id: str
    sender_id: str
    kind: str  # search, or txn-status (an async status request, kept for its delivery)
    status: TxnStatus
    requests: int
    callback_uri: str | None
    created_at: datetime
    expires_at: datetime
    response: str | None = None  # the answer message as sent (JSON)
    delivery: Delivery | None = None
    attempts: int = 0
    error: str | None = None
    envelope: str | None = None  # an async answer as POSTed (JSON), kept for redelivery


class RecordEvent(StrEnum):
    """What happened to a registry record, as a partner subscribes to it (DCI subscribe/notify)."""

    REGISTER = "register"  # a person registered (a new record)
    UPDATE = "update"  # a person's record changed (names, place, family, facts)
    DEATH = "death"  # a person's death recorded
    LIVE_BIRTH = "live_birth"  # a child registered within NEWBORN of their birth (DCI's LiveBirth)
    MARRIAGE = "marriage"  # a person's marital status became married (DCI's Marriage)
    DIVORCE = "divorce"  # a person's marital status became divorced (DCI's Divorce)
    ENROLLMENT = "enrollment"  # a person's enrollment in a programme began, ended or was restored


# A registration this soon after the birth is the registration of a birth (a LiveBirth event);
# later, it is a person registered (an adult, an older child moving in from abroad).
NEWBORN = timedelta(days=365)
# The events a subscription to an event is told of: a registration of a birth is a registration,
# and a death, a marriage or a divorce is an update of the record too.
TOLD = {
    RecordEvent.REGISTER: (RecordEvent.REGISTER, RecordEvent.LIVE_BIRTH),
    RecordEvent.UPDATE: (RecordEvent.UPDATE, RecordEvent.DEATH, RecordEvent.MARRIAGE, RecordEvent.DIVORCE),
    RecordEvent.DEATH: (RecordEvent.DEATH,),
    RecordEvent.LIVE_BIRTH: (RecordEvent.LIVE_BIRTH,),
    RecordEvent.MARRIAGE: (RecordEvent.MARRIAGE,),
    RecordEvent.DIVORCE: (RecordEvent.DIVORCE,),
    RecordEvent.ENROLLMENT: (RecordEvent.ENROLLMENT,),  # not a change of the registry's record
}


def event_of_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> RecordEvent:
    """What a change of a known person's record was, from the fields it changed (before, after):
    a death date given where there was none is a death, a marital status become married or
    divorced a marriage or a divorce (the people table's codes), anything else an update.

    >>> event_of_change({"death_date": None}, {"death_date": "2026-01-02"}).value
    'death'
    >>> event_of_change({"marital_status": "single"}, {"marital_status": "married"}).value
    'marriage'
    >>> event_of_change({"marital_status": "married"}, {"marital_status": "widowed"}).value
    'update'
    """
    if after.get("death_date") is not None and before.get("death_date") is None:
        return RecordEvent.DEATH
    status, was = after.get("marital_status"), before.get("marital_status")
    if status != was and status in ("married", "divorced"):
        return RecordEvent.MARRIAGE if status == "married" else RecordEvent.DIVORCE
    return RecordEvent.UPDATE


class SubscriptionStatus(StrEnum):
    """The DCI spec's subscription status."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True)
class Subscription:
    """A partner's subscription to changes of the records a filter selects (`dci_subscription`)."""

    code: str
    client: str
    reference_id: str
    event: RecordEvent
    event_code: str  # the reg_event_type as the partner sent it (its notifications carry it back)
    filter_type: str
    filter: str  # the filter as received (JSON)
    selects: str  # the filter in the registry's terms (`registry/query.py` dumps): what a change is matched with
    record_type: str
    callback_uri: str
    status: SubscriptionStatus
    created_at: datetime
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ended_at: datetime | None = None
    locale: str | None = None
    frequency: str | None = None
