"""cases: a change request keeps the version (and the values) of the record it changes as they were
when it was opened, to refuse an approval on a record changed since; an appeal names the case it
appeals, and a reversed decision names the appeal that reversed it (once: never reversed twice)

Revision ID: 0023
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("record_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("record_values", sa.Text(), nullable=True))
        batch.add_column(sa.Column("appealed_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reversed_by", sa.String(length=24), nullable=True))
        batch.create_foreign_key("fk_case_file_appealed_id", "case_file", ["appealed_id"], ["id"])
        batch.create_index("ix_case_file_appealed_id", ["appealed_id"])


def downgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_appealed_id")
        batch.drop_constraint("fk_case_file_appealed_id", type_="foreignkey")
        for column in ("reversed_by", "appealed_id", "record_values", "record_version"):
            batch.drop_column(column)
