"""What the DCI CRVS client needs from the store: its subscriptions and searches, the keys registered for the
registry's client, and the life-events inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from himaya.events.ports import EventsUnitOfWork
from himaya.events.subscriptions import CrvsSubscription, SubscriptionState
from himaya.registry.partners import PartnerKey


class CrvsSubscriptionStore(Protocol):
    def add(self, subscription: CrvsSubscription) -> int:
        """Keep a new subscription (its id is given by the store)."""

    def by_reference(self, reference_ids: list[str]) -> list[CrvsSubscription]: ...

    def by_code(self, code: str) -> CrvsSubscription | None: ...

    def settle(
        self, id_: int, *, status: SubscriptionState, code: str | None, reason: str | None, at: datetime
    ) -> None: ...

    def active(self, client: str, registry_id: str, event_type: str) -> list[CrvsSubscription]:
        """The active subscriptions that let this client notify this kind of event as this registry."""

    def listed(self) -> list[CrvsSubscription]: ...

    def add_search(self, values: dict[str, Any], *, at: datetime) -> int:
        """Keep a search sent (registry_url, registry_id, client, transaction_id, query, take) as pending."""

    def search_of(self, transaction_id: str) -> dict[str, Any] | None: ...

    def settle_search(self, id_: int, *, status: str, answer: str | None, reason: str | None, at: datetime) -> bool:
        """Answered or failed, only if still pending: False if another answer settled it first."""


class KeyStore(Protocol):
    def keys(self, client: str) -> list[PartnerKey]: ...


class CrvsUnitOfWork(EventsUnitOfWork, Protocol):
    @property
    def crvs(self) -> CrvsSubscriptionStore: ...

    @property
    def dci(self) -> KeyStore: ...
