"""Himaya's subscriptions to civil registries' DCI CRVS events and its searches of them
(`adapters/crvs/ports.py`). No decisions: `adapters/crvs/client.py` and `search.py` make them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from himaya.db.crvs_tables import crvs_search as q
from himaya.db.crvs_tables import crvs_subscription as t
from himaya.events.subscriptions import CrvsSubscription, SubscriptionState


def _row(row: Any) -> CrvsSubscription:
    at = row["created_at"]
    return CrvsSubscription(
        id=row["id"],
        registry_url=row["registry_url"],
        registry_id=row["registry_id"],
        client=row["client"],
        event_type=row["event_type"],
        event_code=row["event_code"],
        transaction_id=row["transaction_id"],
        reference_id=row["reference_id"],
        code=row["code"],
        status=SubscriptionState(row["status"]),
        reason=row["reason"],
        created_at=at.replace(tzinfo=UTC) if at.tzinfo is None else at,
        criteria=json.loads(row["criteria"]) if row["criteria"] else None,
    )


class SqlCrvsStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, subscription: CrvsSubscription) -> int:
        values = {k: v for k, v in subscription.__dict__.items() if k != "id"}
        values["status"] = subscription.status.value
        values["criteria"] = json.dumps(subscription.criteria, sort_keys=True) if subscription.criteria else None
        done = self.connection.execute(insert(t).values(**values, updated_at=subscription.created_at))
        return int(done.inserted_primary_key[0])  # type: ignore[index]

    def _select(self, *where: Any) -> list[CrvsSubscription]:
        rows = self.connection.execute(select(t).where(*where).order_by(t.c.id)).mappings()
        return [_row(r) for r in rows]

    def by_reference(self, reference_ids: list[str]) -> list[CrvsSubscription]:
        return self._select(t.c.reference_id.in_(reference_ids))

    def by_code(self, code: str) -> CrvsSubscription | None:
        found = self._select(t.c.code == code)
        return found[0] if found else None

    def settle(
        self, id_: int, *, status: SubscriptionState, code: str | None, reason: str | None, at: datetime
    ) -> None:
        self.connection.execute(
            update(t).where(t.c.id == id_).values(status=status.value, code=code, reason=reason, updated_at=at)
        )

    def active(self, client: str, registry_id: str, event_type: str) -> list[CrvsSubscription]:
        return self._select(
            t.c.client == client,
            t.c.registry_id == registry_id,
            t.c.event_type == event_type,
            t.c.status == SubscriptionState.ACTIVE.value,
        )

    def listed(self) -> list[CrvsSubscription]:
        return self._select()

    # --- searches ---------------------------------------------------------------------------------

    def add_search(self, values: dict[str, Any], *, at: datetime) -> int:
        done = self.connection.execute(insert(q).values(**values, status="pending", created_at=at, updated_at=at))
        return int(done.inserted_primary_key[0])  # type: ignore[index]

    def search_of(self, transaction_id: str) -> dict[str, Any] | None:
        row = self.connection.execute(select(q).where(q.c.transaction_id == transaction_id)).mappings().first()
        return None if row is None else dict(row)

    def settle_search(self, id_: int, *, status: str, answer: str | None, reason: str | None, at: datetime) -> bool:
        """Only a pending search is settled (False: another answer settled it first)."""
        done = self.connection.execute(
            update(q)
            .where(q.c.id == id_, q.c.status == "pending")
            .values(status=status, answer=answer, reason=reason, updated_at=at)
        )
        return done.rowcount == 1
