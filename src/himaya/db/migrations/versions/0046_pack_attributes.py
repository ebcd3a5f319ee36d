"""A registry of another pack's people: `person_attribute` keeps, time-bound, the columns of a pack's
contract that have no table of their own (Iraq's exclusion flags, school attendance, measured
welfare...); `registry_setting` records which pack the registry holds (set by its first import);
the situation's and the disability assessment's Oman-only columns may be empty (a pack without them).

Revision ID: 0046
Revises: 0045
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OMAN_ONLY = ("has_children", "father_deceased", "mother_deceased")


def upgrade() -> None:
    op.create_table(
        "person_attribute",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_attribute_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_attribute")),
    )
    op.create_index(
        "ix_person_attribute_person_id_name_valid_to", "person_attribute", ["person_id", "name", "valid_to"]
    )
    op.create_table(
        "registry_setting",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_registry_setting")),
    )
    with op.batch_alter_table("person_situation") as batch:
        for column in OMAN_ONLY:
            batch.alter_column(column, existing_type=sa.Boolean(), nullable=True)
    with op.batch_alter_table("disability_assessment") as batch:
        batch.alter_column("card", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("disability_assessment") as batch:
        batch.alter_column("card", existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("person_situation") as batch:
        for column in OMAN_ONLY:
            batch.alter_column(column, existing_type=sa.Boolean(), nullable=False)
    op.drop_table("registry_setting")
    op.drop_index("ix_person_attribute_person_id_name_valid_to", table_name="person_attribute")
    op.drop_table("person_attribute")
