"""dci_subscription and dci_notification: partners' subscriptions to changes of registry records
(DCI subscribe/unsubscribe), and the notify outbox written in the transaction of each change (one
row per event per subscription; its delivery is a dci_transaction of kind notify)

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `registry/partners.py`'s RecordEvent and SubscriptionStatus today.
EVENTS = "event IN ('register', 'update', 'death')"
STATUSES = "status IN ('subscribe', 'unsubscribe')"


def upgrade() -> None:
    op.create_table(
        "dci_subscription",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(99), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("reference_id", sa.String(99), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("event_code", sa.String(99), nullable=False),
        sa.Column("filter_type", sa.String(16), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("selects", sa.Text(), nullable=False),
        sa.Column("record_type", sa.String(99), nullable=False),
        sa.Column("callback_uri", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(3)),
        sa.Column("frequency", sa.String(99)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(EVENTS, name="ck_dci_subscription_event"),
        sa.CheckConstraint(STATUSES, name="ck_dci_subscription_status"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_subscription")),
        sa.UniqueConstraint("code", name=op.f("uq_dci_subscription_code")),
    )
    op.create_index("ix_dci_subscription_client_status", "dci_subscription", ["client", "status"])
    op.create_table(
        "dci_notification",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_notification")),
        sa.UniqueConstraint("correlation_id", name=op.f("uq_dci_notification_correlation_id")),
        sa.UniqueConstraint(
            "subscription_id", "batch", "person_id", name=op.f("uq_dci_notification_subscription_id_batch_person_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("dci_notification")
    op.drop_index("ix_dci_subscription_client_status", table_name="dci_subscription")
    op.drop_table("dci_subscription")
