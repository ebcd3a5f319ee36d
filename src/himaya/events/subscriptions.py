"""Himaya's subscriptions to a civil registry's events (DCI CRVS `/registry/subscribe`): what was
asked, and what the registry answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class SubscriptionState(StrEnum):
    PENDING = "pending"  # asked; the registry's answer (on-subscribe) has not come
    ACTIVE = "active"  # the registry gave its subscription code: its notify messages are taken
    REJECTED = "rejected"  # the registry refused it (the reason says why)
    ENDED = "ended"  # unsubscribed: notify messages under it are refused


@dataclass(frozen=True)
class CrvsSubscription:
    id: int | None
    registry_url: str
    registry_id: str  # the registry's sender_id in its messages
    client: str  # the registry's client user: its notify messages come with its token
    event_type: str  # birth, death, marriage, divorce (EventKind)
    event_code: str  # as sent: spdci-common:RegistryEventType:LiveBirth
    transaction_id: str
    reference_id: str
    code: str | None
    status: SubscriptionState
    reason: str | None
    created_at: datetime
    criteria: dict[str, Any] | None = None  # what was asked beside the type: filter_type, filter, frequency
