"""crvs_subscription: adoption and fetal death events too (the DCI CRVS VitalEventTypeEnum), and what a
subscription asked beside the event type (`criteria`: the spec's filter_type, filter and frequency, JSON).

Revision ID: 0045
Revises: 0043
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0043"
branch_labels = None
depends_on = None

NAME = "ck_crvs_subscription_event"
KINDS = "event_type IN ('birth', 'death', 'marriage', 'divorce', 'adoption', 'fetal_death')"
BEFORE = "event_type IN ('birth', 'death', 'marriage', 'divorce')"


def upgrade() -> None:
    with op.batch_alter_table("crvs_subscription", schema=None) as batch_op:  # SQLite: the table copied
        batch_op.add_column(sa.Column("criteria", sa.Text(), nullable=True))
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, KINDS)


def downgrade() -> None:
    subscription = sa.table("crvs_subscription", sa.column("event_type", sa.String))
    op.execute(subscription.delete().where(subscription.c.event_type.in_(("adoption", "fetal_death"))))
    with op.batch_alter_table("crvs_subscription", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, BEFORE)
        batch_op.drop_column("criteria")
