"""export record: what an export's files were written with (batch size, execution date, creation
time, payer) and each file's SHA-256, kept on the run, and each transfer's creditor name as written,
so that a lost folder can be written again byte for byte (`payroll export --again`); a transfer as
sent, kept when its line is re-issued

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("payroll_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("export", sa.Text(), nullable=True))
    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creditor", sa.Text(), nullable=True))
    op.create_table(
        "sent_transfer",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("bank_code", sa.String(length=8), nullable=True),
        sa.Column("creditor", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["payment_line.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sent_transfer_message_id"), "sent_transfer", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sent_transfer_message_id"), table_name="sent_transfer")
    op.drop_table("sent_transfer")
    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.drop_column("creditor")
    with op.batch_alter_table("payroll_run", schema=None) as batch_op:
        batch_op.drop_column("export")
