"""notification delivery: the outbox's address, claim, claim time and retry time; the states of sending
and of a message whose delivery is uncertain

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
# As `cases/model.py`'s OutboxState today (written out: a migration does not move).
STATES = "state IN ('pending', 'sending', 'sent', 'failed', 'uncertain')"
BEFORE = "state IN ('pending', 'sent', 'failed')"
NAME = "ck_notification_outbox_state"


def upgrade() -> None:
    # Batch mode: SQLite changes a column and a constraint by copying the table.
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("next_at", WHEN, nullable=True))
        batch_op.alter_column("state", existing_type=sa.String(length=8), type_=sa.String(length=16))
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, STATES)


def downgrade() -> None:
    # A message in a state the old CHECK does not know is put back where the old sender would see it.
    outbox = sa.table("notification_outbox", sa.column("state", sa.String))
    op.execute(outbox.update().where(outbox.c.state == "sending").values(state="pending"))
    op.execute(outbox.update().where(outbox.c.state == "uncertain").values(state="failed"))
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, BEFORE)
        batch_op.alter_column("state", existing_type=sa.String(length=16), type_=sa.String(length=8))
        batch_op.drop_column("next_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claim")
        batch_op.drop_column("address")
