"""referrals: a row per referral case (service, provider, month and rule of a proposal, the person's
consent, when it was sent), unique per person, service and month; the provider role's permission

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)
# The provider role's grant of `core/access.DEFAULT_GRANTS` as of this revision (written out: a
# migration does not move). A store made before it gets it; a new one has it from 0004.
GRANTS = {"provider": ("referral.respond",)}
CONSENT = "sent_at IS NULL OR (consent_at IS NOT NULL AND provider IS NOT NULL)"


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=48), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("consent_given_by", sa.Text(), nullable=True),
        sa.Column("consent_channel", sa.String(length=16), nullable=True),
        sa.Column("consent_at", WHEN, nullable=True),
        sa.Column("consent_recorded_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.CheckConstraint(CONSENT, name="ck_referral_consent"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_referral_case_id_case_file")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("case_id", name=op.f("uq_referral_case_id")),
        sa.UniqueConstraint("person_id", "service", "period", name=op.f("uq_referral_person_id_service_period")),
    )
    op.create_index(op.f("ix_referral_provider_sent_at"), "referral", ["provider", "sent_at"])
    _grant()


def _grant() -> None:
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
    op.execute(grants.delete().where(grants.c.permission == "referral.respond"))
    op.drop_index(op.f("ix_referral_provider_sent_at"), table_name="referral")
    op.drop_table("referral")
