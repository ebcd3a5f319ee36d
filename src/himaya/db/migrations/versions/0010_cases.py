"""cases: case files, their history, the notification outbox, the yearly case counter; the case permissions

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)

# The case permissions of `core/access.DEFAULT_GRANTS` as of this revision (written out: a
# migration does not move). A store made before it gets them; a new one has them from 0004.
GRANTS = {
    "registrar": ("case.read", "case.open", "case.work"),
    "case_worker": ("case.read", "case.open", "case.work"),
    "supervisor": ("case.read", "case.open", "case.work", "case.decide", "case.sensitive"),
}


def upgrade() -> None:
    _case_file()
    op.create_table(
        "case_event",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32)),
        sa.Column("text", sa.Text()),
        sa.Column("data", sa.Text()),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_case_event_case_id_case_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index(op.f("ix_case_event_case_id_id"), "case_event", ["case_id", "id"])
    _outbox()
    op.create_table(
        "case_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_counter")),
    )
    _grant()


def _case_file() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("wilayat", sa.Text(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("person_id", sa.BigInteger()),
        sa.Column("civil_number", sa.String(16)),
        sa.Column("category", sa.String(32)),
        sa.Column("subject", sa.Text()),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("assigned_to", sa.String(64)),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("prepared_by", sa.String(64)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decision", sa.String(32)),
        sa.Column("reason", sa.Text()),
        sa.Column("due_on", sa.Date()),
        sa.Column("state_since", WHEN, nullable=False),
        sa.Column("escalated_at", WHEN),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("closed_at", WHEN),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_case_file_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("number", name=op.f("uq_case_file_number")),
    )
    for columns in (("wilayat", "state", "due_on"), ("governorate", "state", "due_on"), ("type", "state", "due_on")):
        op.create_index(op.f(f"ix_case_file_{'_'.join(columns)}"), "case_file", list(columns))
    op.create_index(op.f("ix_case_file_due_on"), "case_file", ["due_on"])
    op.create_index(op.f("ix_case_file_person_id"), "case_file", ["person_id"])


def _outbox() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger()),
        sa.Column("person_id", sa.BigInteger()),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_notification_outbox_state"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_notification_outbox_case_id_case_file")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_notification_outbox_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    op.create_index(op.f("ix_notification_outbox_state_id"), "notification_outbox", ["state", "id"])
    op.create_index(op.f("ix_notification_outbox_case_id"), "notification_outbox", ["case_id"])


def _grant() -> None:
    """The case permissions for the roles of a store made before them (those it holds already are kept)."""
    grants = sa.table("role_permission", sa.column("role", sa.String), sa.column("permission", sa.String))
    connection = op.get_bind()
    held = {(r, p) for r, p in connection.execute(sa.select(grants.c.role, grants.c.permission))}
    missing = [
        {"role": role, "permission": permission}
        for role, permissions in GRANTS.items()
        for permission in permissions
        if (role, permission) not in held
    ]
    if missing:
        op.bulk_insert(grants, missing)


def downgrade() -> None:
    grants = sa.table("role_permission", sa.column("permission", sa.String))
    op.execute(grants.delete().where(grants.c.permission.like("case.%")))
    op.drop_table("case_counter")
    op.drop_table("notification_outbox")
    op.drop_table("case_event")
    op.drop_table("case_file")
