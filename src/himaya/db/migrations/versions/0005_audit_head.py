"""audit head: the chain's last hash in a row of its own, appends in one statement, hash scheme 2

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheme", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_previous_hash"), ["previous_hash"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    last = op.get_bind().execute(sa.text("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1")).scalar()
    op.bulk_insert(head, [{"id": 1, "hash": last or GENESIS}])


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_previous_hash"), type_="unique")
        batch_op.drop_column("scheme")
