"""What the DCI exchange needs of the store (`db/stores/dci.py` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from himaya.core.access import Principal
from himaya.core.audit import AuditLog
from himaya.core.events import Event
from himaya.registry.partners import (
    Attempt,
    CallbackLogin,
    Delivery,
    PartnerKey,
    PartnerTerms,
    RecordEvent,
    Subscription,
    SubscriptionStatus,
    Transaction,
    TxnStatus,
)
from himaya.registry.query import Page, PeopleFilter


class DciStore(Protocol):
    def partner(self, client: str) -> PartnerTerms: ...

    def callback_login(self, client: str) -> CallbackLogin | None:
        """The partner's token endpoint and our credentials there, if registered."""

    def keys(self, client: str) -> list[PartnerKey]:
        """The public keys registered for the client (its messages' signatures are checked with them)."""

    def search(self, principal: Principal, found: PeopleFilter, page: Page) -> tuple[list[dict[str, Any]], int]:
        """A page of the people in the principal's scope that `found` selects, and how many in all."""

    def requests_since(self, client: str, since: datetime) -> int:
        """Search requests the client sent since then (the messages' counts summed)."""

    def open(self, transaction: Transaction) -> str | None:
        """Keep a new transaction; None, or the id the client sent already in a message of this kind
        ("message_id", or "transaction_id"), nothing kept."""

    def finish(self, correlation_id: str, status: TxnStatus, response: str | None, error: str | None) -> None: ...

    def delivered(self, correlation_id: str, delivery: Delivery, attempts: int) -> None: ...

    def refer(self, correlation_id: str, client: str, references: Sequence[str]) -> None:
        """Keep the reference ids of a transaction's requests (txn status by reference_id_list)."""

    def attempted(self, correlation_id: str, attempt: Attempt) -> None:
        """Record one delivery attempt of a transaction's answer."""

    def address(self, correlation_id: str, envelope: str) -> None:
        """Keep the envelope an async answer is POSTed as (for a later redelivery)."""

    def undelivered(self, at: datetime, before: datetime) -> list[Transaction]:
        """Answers still kept at `at` whose delivery failed, or is pending since before `before`."""

    def attempts(self, correlation_id: str) -> list[Attempt]:
        """A transaction's delivery attempts, first first."""

    def find(self, client: str, attribute: str, values: Sequence[str], at: datetime) -> list[Transaction]:
        """The client's search transactions still kept at `at`, by transaction_id, correlation_id or
        reference_id_list (any of its requests' reference ids)."""

    def transaction(self, correlation_id: str) -> Transaction:
        """A kept transaction, by its correlation id."""

    def forget(self, before: datetime) -> int:
        """Remove the transactions whose retention ended before then."""


class PartnerStore(Protocol):
    def is_client(self, name: str) -> bool: ...

    def clients(self) -> list[str]: ...

    def set_terms(self, client: str, changes: dict[str, Any]) -> dict[str, Any] | None: ...

    def add_callback(self, client: str, uri: str) -> bool: ...

    def remove_callback(self, client: str, uri: str) -> bool: ...

    def add_key(self, client: str, key: PartnerKey) -> bool:
        """False if a key of that id is registered for the client already."""

    def remove_key(self, client: str, key_id: str) -> bool: ...

    def retire_key(self, client: str, key_id: str, at: datetime) -> bool:
        """The key valid until `at` (its JWK's `exp`); False if the client has no key of that id."""


class SubscriptionStore(Protocol):
    def add(self, kept: Subscription, correlation_id: str) -> None: ...

    def subscribed(self, client: str, event: RecordEvent, filter_json: str) -> str | None:
        """The code of the client's subscription still on to that event with that filter, if any."""

    def statuses(self, client: str, codes: Sequence[str]) -> dict[str, SubscriptionStatus]:
        """The client's own subscriptions among `codes` (another partner's are not found)."""

    def end(self, client: str, codes: Sequence[str], at: datetime) -> int: ...

    def of_client(self, client: str) -> list[Subscription]: ...


class NotifyStore(Protocol):
    def unsent(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Notifications whose delivery has not begun, first first (`db/stores/dci_notify.py`)."""

    def record(self, principal: Principal, person_id: int) -> dict[str, Any] | None:
        """The person as the partner may read them now."""

    def partner(self, client: str) -> Principal | None: ...


class DciUnitOfWork(Protocol):
    """The core unit of work (`core/uow.py`) with the exchange's stores; its audit log read-only
    here, so that a unit of work's own log type fits."""

    @property
    def audit(self) -> AuditLog: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def emit(self, event: Event) -> None: ...

    @property
    def dci(self) -> DciStore: ...

    @property
    def partners(self) -> PartnerStore: ...

    @property
    def subscriptions(self) -> SubscriptionStore: ...

    @property
    def notifications(self) -> NotifyStore: ...
