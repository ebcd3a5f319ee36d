"""dci_partner_key: the public keys a partner system signs its DCI messages with (a JWK each,
named by its key id), as an admin registers them (`himaya partners set NAME --key FILE`); and the
partner's token endpoint and our client credentials there, for the bearer token our callbacks carry

Revision ID: 0029
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0026"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dci_partner_key",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(99), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("jwk", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_partner_key")),
        sa.UniqueConstraint("client", "key_id", name=op.f("uq_dci_partner_key_client_key_id")),
    )
    with op.batch_alter_table("dci_partner") as batch:
        batch.add_column(sa.Column("token_url", sa.Text()))
        batch.add_column(sa.Column("token_client_id", sa.String(99)))
        batch.add_column(sa.Column("token_secret", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("dci_partner") as batch:
        for column in ("token_secret", "token_client_id", "token_url"):
            batch.drop_column(column)
    op.drop_table("dci_partner_key")
