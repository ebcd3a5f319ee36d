"""dci partners: transactions kept for txn/status (message id, retention, delivery), partners' sender
ids, callback addresses and limits

Revision ID: 0009
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("dci_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=99), nullable=True))
        batch_op.add_column(sa.Column("sender_id", sa.String(length=99), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("requests", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_dci_transaction_client_message_id", ["client", "message_id"], unique=True)
        batch_op.create_index("ix_dci_transaction_client_created_at", ["client", "created_at"], unique=False)
        batch_op.create_index("ix_dci_transaction_expires_at", ["expires_at"], unique=False)
    op.create_table(
        "dci_partner",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=99), nullable=True),
        sa.Column("max_records", sa.Integer(), nullable=True),
        sa.Column("per_minute", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_dci_partner")),
    )
    op.create_table(
        "dci_callback",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_callback")),
        sa.UniqueConstraint("client", "uri", name=op.f("uq_dci_callback_client_uri")),
    )


def downgrade() -> None:
    op.drop_table("dci_callback")
    op.drop_table("dci_partner")
    with op.batch_alter_table("dci_transaction", schema=None) as batch_op:
        batch_op.drop_index("ix_dci_transaction_expires_at")
        batch_op.drop_index("ix_dci_transaction_client_created_at")
        batch_op.drop_index("ix_dci_transaction_client_message_id")
        for name in ("expires_at", "error", "attempts", "delivery", "requests", "kind", "sender_id", "message_id"):
            batch_op.drop_column(name)
