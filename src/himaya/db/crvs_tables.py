"""Himaya's own subscriptions to a civil registry's DCI CRVS events (migration 0037): what it asked
the registry for (`/registry/subscribe`), the code the registry answered with (`on-subscribe`), and
whether the subscription is on. A notify is accepted only under an active subscription."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Index, String, Table, Text

from himaya.db.metadata import ID, metadata

crvs_subscription = Table(
    "crvs_subscription",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("registry_url", Text, nullable=False),  # where subscribe and unsubscribe are POSTed
    Column("registry_id", String(99), nullable=False),  # the registry's sender_id in its messages
    Column("client", String(64), nullable=False),  # the registry's client user, who posts its notify
    Column("event_type", String(16), nullable=False),
    Column("event_code", String(99), nullable=False),  # as sent: spdci-common:RegistryEventType:LiveBirth
    Column("transaction_id", String(99), nullable=False),
    Column("reference_id", String(99), nullable=False, unique=True),
    Column("code", String(99), unique=True),  # the registry's subscription code, once it answers
    Column("status", String(16), nullable=False),
    Column("reason", Text),  # why rejected
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("criteria", Text),  # JSON: the filter_type, filter and frequency asked (migration 0045)
    CheckConstraint(
        "event_type IN ('birth', 'death', 'marriage', 'divorce', 'adoption', 'fetal_death')",
        name="ck_crvs_subscription_event",
    ),
    CheckConstraint("status IN ('pending', 'active', 'rejected', 'ended')", name="ck_crvs_subscription_status"),
    Index(None, "registry_id", "event_type", "status"),
)

# Himaya's searches of a civil registry (migration 0039): the on-search of a transaction not here,
# or of one answered already, is refused.
crvs_search = Table(
    "crvs_search",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("registry_url", Text, nullable=False),
    Column("registry_id", String(99), nullable=False),  # the registry's sender_id in its answer
    Column("client", String(64), nullable=False),  # the registry's client user, who posts its on-search
    Column("transaction_id", String(99), nullable=False, unique=True),
    Column("query", Text, nullable=False),  # JSON: what was asked
    Column("take", String(64), nullable=False),  # the event types whose found events go to the inbox ("" none)
    Column("status", String(16), nullable=False),
    Column("answer", Text),  # JSON: the records found
    Column("reason", Text),  # why it failed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('pending', 'answered', 'failed')", name="ck_crvs_search_status"),
)
