"""life events: the inbox (one row per source event, idempotent on source and event id), and the
civil registry role's permission to submit events (not the DCI partners')

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `events/model.py`'s InboxState today (written out: a migration does not move).
STATES = "state IN ('received', 'applied', 'held', 'failed', 'needs_review', 'duplicate')"
GRANT = ("civil_registry", "event.submit")


def upgrade() -> None:
    op.create_table(
        "event_inbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_event_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATES, name="ck_event_inbox_state"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_inbox")),
        sa.UniqueConstraint("source", "source_event_id", name=op.f("uq_event_inbox_source_source_event_id")),
    )
    op.create_index("ix_event_inbox_state_event_date_id", "event_inbox", ["state", "event_date", "id"])
    op.create_index("ix_event_inbox_subject", "event_inbox", ["subject"])
    # Stores made before 0011 lack the grant that migration 0004 now seeds from core/access.py.
    role, permission = GRANT
    op.execute(
        sa.text(
            "INSERT INTO role_permission (role, permission) SELECT :role, :permission WHERE NOT EXISTS "
            "(SELECT 1 FROM role_permission WHERE role = :role AND permission = :permission)"
        ).bindparams(role=role, permission=permission)
    )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM role_permission WHERE role = :role AND permission = :permission").bindparams(
            role=GRANT[0], permission=GRANT[1]
        )
    )
    op.drop_index("ix_event_inbox_subject", table_name="event_inbox")
    op.drop_index("ix_event_inbox_state_event_date_id", table_name="event_inbox")
    op.drop_table("event_inbox")
