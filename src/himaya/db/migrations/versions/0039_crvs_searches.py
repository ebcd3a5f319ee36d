"""crvs_search: Himaya's searches of a civil registry (DCI CRVS `/registry/search` and
`/registry/sync/search`): what was asked under which transaction, and the registry's answer once it
comes (an on-search for a transaction not here, or one answered already, is refused).

Revision ID: 0039
Revises: 0038
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crvs_search",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("registry_url", sa.Text(), nullable=False),
        sa.Column("registry_id", sa.String(99), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("transaction_id", sa.String(99), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("take", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'answered', 'failed')", name="ck_crvs_search_status"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crvs_search")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_crvs_search_transaction_id")),
    )


def downgrade() -> None:
    op.drop_table("crvs_search")
