"""access: users, roles, branch scopes, permissions as data, refresh tokens, login throttling, DCI transactions

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from himaya.core.access import DEFAULT_GRANTS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.Text()),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_role_user_id_app_user")),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    op.create_table(
        "user_scope",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_scope_user_id_app_user")),
        sa.PrimaryKeyConstraint("user_id", "kind", "value", name=op.f("pk_user_scope")),
    )
    grants = op.create_table(
        "role_permission",
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("permission", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("role", "permission", name=op.f("pk_role_permission")),
    )
    op.bulk_insert(
        grants,
        [
            {"role": role.value, "permission": permission.value}
            for role, permissions in DEFAULT_GRANTS.items()
            for permission in sorted(permissions)
        ],
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_refresh_token_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_username_at"), "login_attempt", ["username", "at"])
    op.create_index(op.f("ix_login_attempt_address_at"), "login_attempt", ["address", "at"])
    op.create_table(
        "service_setting",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_setting")),
    )
    op.create_table(
        "dci_transaction",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("transaction_id", sa.String(99)),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("callback_uri", sa.Text()),
        sa.Column("response", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_transaction")),
        sa.UniqueConstraint("correlation_id", name=op.f("uq_dci_transaction_correlation_id")),
    )
    # Reads by family and branch: the scope filter joins heads to their place.
    op.create_index(op.f("ix_person_wilayat"), "person", ["wilayat"])
    op.create_index(op.f("ix_person_governorate"), "person", ["governorate"])


def downgrade() -> None:
    op.drop_index(op.f("ix_person_governorate"), table_name="person")
    op.drop_index(op.f("ix_person_wilayat"), table_name="person")
    for table in (
        "dci_transaction",
        "service_setting",
        "login_attempt",
        "refresh_token",
        "role_permission",
        "user_scope",
        "user_role",
        "app_user",
    ):
        op.drop_table(table)
