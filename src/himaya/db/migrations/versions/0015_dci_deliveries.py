"""dci deliveries: each POST of an async answer to a partner (attempt, address, outcome), and the
reference ids of each kept transaction's requests (txn status by reference_id_list), and the
envelope an async answer is POSTed as (redelivered by `himaya partners redeliver`)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `registry/partners.py`'s Delivery today, less `pending` (an attempt has an outcome).
OUTCOMES = "outcome IN ('delivered', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("dci_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("envelope", sa.Text(), nullable=True))
    op.create_table(
        "dci_delivery",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(OUTCOMES, name="ck_dci_delivery_outcome"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_delivery")),
    )
    op.create_index("ix_dci_delivery_correlation_id", "dci_delivery", ["correlation_id"])
    op.create_table(
        "dci_reference",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("reference_id", sa.String(length=99), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_reference")),
    )
    op.create_index("ix_dci_reference_client_reference_id", "dci_reference", ["client", "reference_id"])
    op.create_index("ix_dci_reference_correlation_id", "dci_reference", ["correlation_id"])


def downgrade() -> None:
    op.drop_index("ix_dci_reference_correlation_id", table_name="dci_reference")
    op.drop_index("ix_dci_reference_client_reference_id", table_name="dci_reference")
    op.drop_table("dci_reference")
    op.drop_index("ix_dci_delivery_correlation_id", table_name="dci_delivery")
    op.drop_table("dci_delivery")
    with op.batch_alter_table("dci_transaction", schema=None) as batch_op:
        batch_op.drop_column("envelope")
