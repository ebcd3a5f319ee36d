"""benefit_exception: a supervisor's override that holds, per person and programme, from a month until
a review month, with the monthly amount it pays; payment_line.exception_case names the case of a line
paid by one.

Revision ID: 0040
Revises: 0039
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "benefit_exception",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(32), nullable=False),
        sa.Column("from_month", sa.Date(), nullable=False),
        sa.Column("until_month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("case_number", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(64)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_benefit_exception_amount"),
        sa.CheckConstraint("until_month >= from_month", name="ck_benefit_exception_months"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_benefit_exception_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_exception")),
    )
    op.create_index("ix_benefit_exception_person_id_programme", "benefit_exception", ["person_id", "programme"])
    op.create_index("ix_benefit_exception_until_month", "benefit_exception", ["until_month"])
    with op.batch_alter_table("payment_line") as batch:
        batch.add_column(sa.Column("exception_case", sa.String(24)))


def downgrade() -> None:
    with op.batch_alter_table("payment_line") as batch:
        batch.drop_column("exception_case")
    op.drop_index("ix_benefit_exception_until_month", table_name="benefit_exception")
    op.drop_index("ix_benefit_exception_person_id_programme", table_name="benefit_exception")
    op.drop_table("benefit_exception")
