"""dci_subscription: partners may subscribe to the civil events DCI names beside REGISTER, UPDATE
and Death: LiveBirth (a child registered within a year of birth), Marriage and Divorce (a marital
status become married or divorced), and to enrollment changes (a programme begun, ended or
restored). The event's CHECK constraint takes the four new values.

Revision ID: 0036
Revises: 0034
"""

from __future__ import annotations

from alembic import op

revision = "0036"
down_revision = "0034"
branch_labels = None
depends_on = None

BEFORE = "event IN ('register', 'update', 'death')"
AFTER = "event IN ('register', 'update', 'death', 'live_birth', 'marriage', 'divorce', 'enrollment')"


def _event_check(condition: str) -> None:
    # Batch mode: SQLite changes a constraint by copying the table.
    with op.batch_alter_table("dci_subscription", schema=None) as batch_op:
        batch_op.drop_constraint("ck_dci_subscription_event", type_="check")
        batch_op.create_check_constraint("ck_dci_subscription_event", condition)


def upgrade() -> None:
    _event_check(AFTER)


def downgrade() -> None:
    # The older schema cannot hold these subscriptions: they go, with their notifications.
    new = "SELECT id FROM dci_subscription WHERE event IN ('live_birth', 'marriage', 'divorce', 'enrollment')"
    op.execute(f"DELETE FROM dci_notification WHERE subscription_id IN ({new})")
    op.execute(f"DELETE FROM dci_subscription WHERE id IN ({new})")
    _event_check(BEFORE)
