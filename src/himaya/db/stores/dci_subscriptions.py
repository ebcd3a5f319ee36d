"""Partners' subscriptions to changes of registry records (DCI subscribe/unsubscribe): kept per
partner, read and ended only by their partner. No decisions: `adapters/dci/subscribing.py` makes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from himaya.db.dci_tables import dci_subscription
from himaya.registry.partners import RecordEvent, Subscription, SubscriptionStatus


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone (they were stored in UTC)."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def subscription(row: Any) -> Subscription:
    return Subscription(
        code=row["code"],
        client=row["client"],
        reference_id=row["reference_id"],
        event=RecordEvent(row["event"]),
        event_code=row["event_code"],
        filter_type=row["filter_type"],
        filter=row["filter"],
        selects=row["selects"],
        record_type=row["record_type"],
        callback_uri=row["callback_uri"],
        status=SubscriptionStatus(row["status"]),
        created_at=_aware(row["created_at"]) or datetime.now(UTC),
        valid_from=_aware(row["valid_from"]),
        valid_until=_aware(row["valid_until"]),
        ended_at=_aware(row["ended_at"]),
        locale=row["locale"],
        frequency=row["frequency"],
    )


class SqlSubscriptionStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, kept: Subscription, correlation_id: str) -> None:
        values = {
            name: getattr(kept, name)
            for name in (
                "code",
                "client",
                "reference_id",
                "event",
                "event_code",
                "filter_type",
                "filter",
                "selects",
                "record_type",
                "callback_uri",
                "status",
                "created_at",
                "valid_from",
                "valid_until",
                "locale",
                "frequency",
            )
        }
        self.connection.execute(insert(dci_subscription).values(values | {"correlation_id": correlation_id}))

    def subscribed(self, client: str, event: RecordEvent, filter_json: str) -> str | None:
        """The code of the client's subscription still on to that event with that filter, if any."""
        return self.connection.execute(
            select(dci_subscription.c.code).where(
                dci_subscription.c.client == client,
                dci_subscription.c.event == event,
                dci_subscription.c.filter == filter_json,
                dci_subscription.c.status == SubscriptionStatus.SUBSCRIBE,
            )
        ).scalar()

    def statuses(self, client: str, codes: Sequence[str]) -> dict[str, SubscriptionStatus]:
        """The client's own subscriptions among `codes` (another partner's are not found), locked
        until the transaction ends."""
        query = select(dci_subscription.c.code, dci_subscription.c.status).where(
            dci_subscription.c.client == client, dci_subscription.c.code.in_(codes)
        )
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        return {code: SubscriptionStatus(status) for code, status in self.connection.execute(query)}

    def end(self, client: str, codes: Sequence[str], at: datetime) -> int:
        done = self.connection.execute(
            update(dci_subscription)
            .where(
                dci_subscription.c.client == client,
                dci_subscription.c.code.in_(codes),
                dci_subscription.c.status == SubscriptionStatus.SUBSCRIBE,
            )
            .values(status=SubscriptionStatus.UNSUBSCRIBE, ended_at=at)
        )
        return int(done.rowcount or 0)

    def of_client(self, client: str) -> list[Subscription]:
        rows = self.connection.execute(
            select(dci_subscription).where(dci_subscription.c.client == client).order_by(dci_subscription.c.id)
        ).mappings()
        return [subscription(r) for r in rows]
