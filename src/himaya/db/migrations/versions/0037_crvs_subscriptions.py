"""crvs_subscription: Himaya's own subscriptions to a civil registry's DCI CRVS events (LiveBirth,
Death, Marriage, Divorce), with the registry's subscription code once it answers.

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crvs_subscription",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("registry_url", sa.Text(), nullable=False),
        sa.Column("registry_id", sa.String(99), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(16), nullable=False),
        sa.Column("event_code", sa.String(99), nullable=False),
        sa.Column("transaction_id", sa.String(99), nullable=False),
        sa.Column("reference_id", sa.String(99), nullable=False),
        sa.Column("code", sa.String(99)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "event_type IN ('birth', 'death', 'marriage', 'divorce')", name="ck_crvs_subscription_event"
        ),
        sa.CheckConstraint("status IN ('pending', 'active', 'rejected', 'ended')", name="ck_crvs_subscription_status"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crvs_subscription")),
        sa.UniqueConstraint("reference_id", name=op.f("uq_crvs_subscription_reference_id")),
        sa.UniqueConstraint("code", name=op.f("uq_crvs_subscription_code")),
    )
    op.create_index(
        "ix_crvs_subscription_registry_id_event_type_status",
        "crvs_subscription",
        ["registry_id", "event_type", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_crvs_subscription_registry_id_event_type_status", table_name="crvs_subscription")
    op.drop_table("crvs_subscription")
