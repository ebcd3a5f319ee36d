"""`event_inbox.replan_family`: the family whose enrollments an applied life event asks to plan
again, written in the worker's batch transaction and cleared once they are planned.

Before, the families of a run's applied events were kept in the worker's memory and planned again
once its batches were committed: a worker killed in between (kill -9, the machine lost) left the
events applied and their benefits never started or ended. Now the next run finds them here and
plans them again before anything else (issue 15, an outside attack). Existing rows need nothing:
their families were planned by the runs that applied them.

Revision ID: 0052
Revises: 0051
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event_inbox", sa.Column("replan_family", sa.String(64), nullable=True))  # no rewrite of the table
    op.create_index("ix_event_inbox_replan_family", "event_inbox", ["replan_family"])


def downgrade() -> None:
    op.drop_index("ix_event_inbox_replan_family", table_name="event_inbox")
    with op.batch_alter_table("event_inbox") as batch:
        batch.drop_column("replan_family")
