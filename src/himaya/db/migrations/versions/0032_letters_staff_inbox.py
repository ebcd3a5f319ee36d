"""letters printed at the branch and the staff inbox: the batches of letters printed (where, by whom,
when) and each letter's batch; the state `printed`; which user read which staff message

Revision ID: 0032
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)
# As `cases/model.py`'s OutboxState today (written out: a migration does not move).
STATES = "state IN ('pending', 'sending', 'sent', 'failed', 'uncertain', 'printed')"
BEFORE = "state IN ('pending', 'sending', 'sent', 'failed', 'uncertain')"
NAME = "ck_notification_outbox_state"


def upgrade() -> None:
    op.create_table(
        "letter_batch",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wilayat", sa.Text(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("printed_by", sa.String(64), nullable=False),
        sa.Column("printed_at", WHEN, nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_letter_batch"),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key("fk_notification_outbox_batch_id", "letter_batch", ["batch_id"], ["id"])
        batch_op.create_index("ix_notification_outbox_batch_id", ["batch_id"])
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, STATES)
    op.create_table(
        "staff_read",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("read_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["notification_outbox.id"], name="fk_staff_read_message_id_notification_outbox"
        ),
        sa.PrimaryKeyConstraint("message_id", "username", name="pk_staff_read"),
    )


def downgrade() -> None:
    # A printed letter goes back to waiting: the old store knew no other place for it.
    outbox = sa.table("notification_outbox", sa.column("state", sa.String))
    op.execute(outbox.update().where(outbox.c.state == "printed").values(state="pending"))
    op.drop_table("staff_read")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, BEFORE)
        batch_op.drop_index("ix_notification_outbox_batch_id")
        batch_op.drop_constraint("fk_notification_outbox_batch_id", type_="foreignkey")
        batch_op.drop_column("batch_id")
    op.drop_table("letter_batch")
