"""The DCI exchange's delivery record (migration 0012): every POST of an async answer to a partner,
one row per attempt, and the reference ids of each kept transaction's requests (txn status by
`reference_id_list`). Both are removed with their transaction when its retention ends."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from himaya.db.metadata import ID, metadata
from himaya.payroll.model import check_in
from himaya.registry.partners import Outcome, RecordEvent, SubscriptionStatus

dci_delivery = Table(
    "dci_delivery",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False),  # the transaction whose answer was POSTed
    Column("attempt", Integer, nullable=False),  # 1, 2, ...
    Column("uri", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("http_status", Integer),  # the partner's answer, when it gave one
    Column("error", Text),  # why not: a refused connection, a timeout, a non-2xx
    CheckConstraint(check_in("outcome", Outcome), name="ck_dci_delivery_outcome"),
    Index(None, "correlation_id"),
)

dci_reference = Table(
    "dci_reference",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("reference_id", String(99), nullable=False),
    Index(None, "client", "reference_id"),
    Index(None, "correlation_id"),
)

# The public keys a partner signs its messages with (migration 0029): a JWK each, by key id.
dci_partner_key = Table(
    "dci_partner_key",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("key_id", String(99), nullable=False),
    Column("algorithm", String(16), nullable=False),  # ed25519 or rsa-sha256
    Column("jwk", Text, nullable=False),  # the public key, as a JSON Web Key
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("client", "key_id"),
)

# A partner's subscriptions to changes of registry records (migration 0033): what it subscribed with
# (its filter as received, the event as it named it and as we understand it), where its
# notifications go, whether it is still on, and its validity (the spec's frequency start and end).
dci_subscription = Table(
    "dci_subscription",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("code", String(99), nullable=False, unique=True),  # the spec's subscription code
    Column("client", String(64), nullable=False),  # only this partner sees it, or cancels it
    Column("correlation_id", String(64), nullable=False),  # the subscribe message it came in
    Column("reference_id", String(99), nullable=False),
    Column("event", String(16), nullable=False),
    Column("event_code", String(99), nullable=False),
    Column("filter_type", String(16), nullable=False),
    Column("filter", Text, nullable=False),  # canonical JSON, as received
    Column("selects", Text, nullable=False),  # the filter in the registry's terms (`registry/query.py` dumps)
    Column("record_type", String(99), nullable=False),
    Column("callback_uri", Text, nullable=False),  # its notifications' address (registered for the partner)
    Column("locale", String(3)),
    Column("frequency", String(99)),
    Column("status", String(16), nullable=False),
    Column("valid_from", DateTime(timezone=True)),
    Column("valid_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    CheckConstraint(check_in("event", RecordEvent), name="ck_dci_subscription_event"),
    CheckConstraint(check_in("status", SubscriptionStatus), name="ck_dci_subscription_status"),
    Index(None, "client", "status"),
)

# The notify outbox (migration 0033): one row per event per subscription, written in the transaction
# of the change; its delivery is a `dci_transaction` of kind notify with the same correlation id.
dci_notification = Table(
    "dci_notification",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False, unique=True),
    Column("subscription_id", ID, nullable=False),
    Column("person_id", ID, nullable=False),
    Column("event", String(16), nullable=False),
    Column("batch", String(32), nullable=False),  # the change (an import, an update) it came from
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_id", "batch", "person_id"),  # once per event per subscription
)
