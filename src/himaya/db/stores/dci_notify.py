"""The DCI notify outbox: in the transaction of a change of registry records, one set-based
statement queues a notification for each subscription still on whose filter selects a changed
record the partner may search (its branch scope, as for its searches), and one more opens their
deliveries (`dci_transaction`, kind notify, pending) for the existing delivery and retry
machinery. After commit, `adapters/dci/notifying.py` renders and POSTs them.

A notification is one row per event per subscription (`dci_notification`, unique on the
subscription, the change's batch and the person): its correlation id is its event id, made once,
so a redelivery never makes a second one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Connection,
    FromClause,
    Integer,
    String,
    and_,
    cast,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)

from himaya.core import audit
from himaya.core.access import Permission, Principal
from himaya.db import staging
from himaya.db.access import load_user
from himaya.db.dci_tables import dci_notification, dci_subscription
from himaya.db.scoped import people_records, person_visible
from himaya.db.stores.dci import condition
from himaya.db.tables import dci_transaction, family, membership, person
from himaya.registry.partners import (
    NEWBORN,
    TOLD,
    Delivery,
    RecordEvent,
    SubscriptionStatus,
    TxnStatus,
    event_of_change,
)
from himaya.registry.query import loads

RETENTION = timedelta(days=7)  # a notification's delivery record is kept as long as an answer


def live(connection: Connection, at: datetime) -> list[tuple[int, RecordEvent, str, Principal]]:
    """The subscriptions on at `at` (id, event, filter in the registry's terms), each with its
    partner as a principal; none of a partner no longer active or no longer allowed to search."""
    rows = connection.execute(
        select(dci_subscription.c.id, dci_subscription.c.client, dci_subscription.c.event, dci_subscription.c.selects)
        .where(
            dci_subscription.c.status == SubscriptionStatus.SUBSCRIBE,
            or_(dci_subscription.c.valid_from.is_(None), dci_subscription.c.valid_from <= at),
            or_(dci_subscription.c.valid_until.is_(None), dci_subscription.c.valid_until > at),
        )
        .order_by(dci_subscription.c.id)
    ).all()
    partners: dict[str, Principal | None] = {}
    found = []
    for number, client, event, selects in rows:
        if client not in partners:
            user = load_user(connection, client)
            can = user is not None and user.active and user.principal.can(Permission.DCI_SEARCH)
            partners[client] = user.principal if user is not None and can else None
        principal = partners[client]
        if principal is not None:
            found.append((int(number), RecordEvent(event), str(selects), principal))
    return found


def queue(
    connection: Connection, changed: FromClause, *, batch: str, at: datetime, retention: timedelta = RETENTION
) -> int:
    """Queue the notifications of a change: `changed` has a row per changed person (`person_id`,
    `event`). One INSERT ... SELECT for every subscription's matches (a UNION ALL), one for their
    deliveries; nothing at all when no subscription is on. How many were queued."""
    subscriptions = live(connection, at)
    if not subscriptions:
        return 0
    joined = (
        changed.join(person, person.c.id == changed.c.person_id)
        .outerjoin(membership, and_(membership.c.person_id == person.c.id, membership.c.valid_to.is_(None)))
        .outerjoin(family, family.c.id == membership.c.family_id)
    )
    matches = [
        select(
            literal(number, BigInteger).label("subscription_id"),
            changed.c.person_id.label("person_id"),
            changed.c.event.label("event"),
        )
        .select_from(joined)
        .where(
            changed.c.event.in_([e.value for e in TOLD[event]]),
            person.c.merged_into.is_(None),
            person_visible(principal),
            condition(loads(selects)),
        )
        for number, event, selects, principal in subscriptions
    ]
    found = union_all(*matches).subquery("matched")
    correlation = (
        literal(f"ntf-{batch}-", String)
        + cast(found.c.subscription_id, String)
        + literal("-", String)
        + cast(found.c.person_id, String)
    )
    columns = ["correlation_id", "subscription_id", "person_id", "event", "batch", "created_at"]
    queued = connection.execute(
        insert(dci_notification).from_select(
            columns,
            select(
                correlation,
                found.c.subscription_id,
                found.c.person_id,
                found.c.event,
                literal(batch, String),
                literal(at),
            ),
        )
    ).rowcount
    _open_deliveries(connection, batch, at, retention)
    return int(queued or 0)


def _open_deliveries(connection: Connection, batch: str, at: datetime, retention: timedelta) -> None:
    """A pending delivery (`dci_transaction`, kind notify) for each notification of the batch."""
    n, s = dci_notification, dci_subscription
    chosen = (
        select(
            n.c.correlation_id,
            s.c.client,
            n.c.correlation_id,
            n.c.correlation_id,
            null(),
            literal("notify", String),
            literal(TxnStatus.SUCC.value, String),
            literal(0, Integer),
            s.c.callback_uri,
            literal(Delivery.PENDING.value, String),
            literal(0, Integer),
            literal(at),
            literal(at + retention),
        )
        .join_from(n, s, s.c.id == n.c.subscription_id)
        .where(n.c.batch == batch)
    )
    columns = [
        "correlation_id",
        "client",
        "message_id",
        "transaction_id",
        "sender_id",
        "kind",
        "status",
        "requests",
        "callback_uri",
        "delivery",
        "attempts",
        "created_at",
        "expires_at",
    ]
    connection.execute(insert(dci_transaction).from_select(columns, chosen))


class SqlNotifyStore:
    """The notifications to render and send, after the change committed."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def unsent(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Notifications whose delivery has not begun (no envelope made yet), claimed for the
        transaction (another sender skips them), first first: the
        delivery's correlation id, the person, the event, and the subscription's code, client,
        event code and locale."""
        t, n, s = dci_transaction, dci_notification, dci_subscription
        query = (
            select(
                t.c.correlation_id,
                n.c.person_id,
                n.c.event,
                n.c.created_at,
                s.c.code,
                s.c.reference_id,
                s.c.client,
                s.c.event_code,
                s.c.locale,
            )
            .join_from(t, n, n.c.correlation_id == t.c.correlation_id)
            .join(s, s.c.id == n.c.subscription_id)
            .where(t.c.kind == "notify", t.c.delivery == Delivery.PENDING, t.c.envelope.is_(None))
            .order_by(n.c.id)
            .limit(limit)
        )
        if self.connection.dialect.name == "postgresql":  # claimed until the envelopes are kept: sent once
            query = query.with_for_update(of=t, skip_locked=True)  # (SQLite's write lock serialises senders)
        return [dict(r) for r in self.connection.execute(query).mappings()]

    def record(self, principal: Principal, person_id: int) -> dict[str, Any] | None:
        """The person as the partner may read them now (its scope), with family and situation."""
        rows, _ = people_records(self.connection, principal, person.c.id == person_id, limit=1, offset=0)
        return rows[0] if rows else None

    def partner(self, client: str) -> Principal | None:
        user = load_user(self.connection, client)
        return user.principal if user is not None and user.active else None


def changed_known(changes: Sequence[audit.Change]) -> pl.DataFrame:
    """The known people an import changed, each with its event (`registry.partners.event_of_change`:
    a death, a marriage, a divorce or an update; `civil_number`, `event`)."""
    rows = []
    for change in changes:
        if change.action != "person.update" or not change.subject.startswith("person:"):
            continue
        event = event_of_change(change.before or {}, change.after or {})
        rows.append((change.subject.removeprefix("person:"), event.value))
    return pl.DataFrame(rows, schema={"civil_number": pl.String, "event": pl.String}, orient="row")


def queue_import(connection: Connection, keys: pl.DataFrame, changes: Sequence[audit.Change], *, at: datetime) -> int:
    """The notifications of an import (its staged rows `keys`: civil number, person key, whether
    new, birth date): the new people registered, the known ones changed. Nothing is staged when no
    subscription is on."""
    if not live(connection, at):
        return 0
    born_since = (at - NEWBORN).date()  # registered this soon after the birth: a birth's registration
    registered = keys.filter(pl.col("is_new")).select(
        pl.col("person_key").alias("person_id"),
        pl.when((pl.col("birth_date") >= born_since).fill_null(False))
        .then(pl.lit(RecordEvent.LIVE_BIRTH.value))
        .otherwise(pl.lit(RecordEvent.REGISTER.value))
        .alias("event"),
    )
    known = (
        changed_known(changes).join(keys, on="civil_number").select(pl.col("person_key").alias("person_id"), "event")
    )
    table = staging.load(connection, "notify_staging", pl.concat([registered, known], how="vertical_relaxed"))
    return queue(
        connection, select(table.c.person_id, table.c.event).subquery("changed"), batch=secrets.token_hex(8), at=at
    )


def queue_one(connection: Connection, person_id: int, event: RecordEvent, *, at: datetime) -> int:
    """The notifications of a change to one person's record."""
    changed = select(
        literal(person_id, BigInteger).label("person_id"), literal(event.value, String).label("event")
    ).subquery("changed")
    return queue(connection, changed, batch=secrets.token_hex(8), at=at)


def queue_enrollments(connection: Connection, staged: FromClause, *, at: datetime) -> int:
    """The notifications of enrollments begun, ended or restored: `staged` has the civil number of
    each person whose enrollment changed (`person_id`; a person in two programmes is one event)."""
    if not live(connection, at):
        return 0
    changed = (
        select(person.c.id.label("person_id"), literal(RecordEvent.ENROLLMENT.value, String).label("event"))
        .join_from(staged, person, person.c.civil_number == staged.c.person_id)
        .distinct()
        .subquery("changed")
    )
    return queue(connection, changed, batch=secrets.token_hex(8), at=at)
