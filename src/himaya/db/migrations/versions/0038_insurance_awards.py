"""insurance_award, insurance_award_share: benefits awarded (prepared, approved, ended) with their
amounts, dates and parameters, and a survivor pension's shares per survivor.

Revision ID: 0038
Revises: 0037
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `insurance/award_model.py`'s Benefit, AwardState and Group today.
BENEFITS = "benefit IN ('old_age', 'disability', 'survivor', 'job_security', 'maternity')"
STATES = "state IN ('prepared', 'approved', 'ended')"
GROUPS = "survivor_group IN ('widows', 'children', 'parents')"


def upgrade() -> None:
    op.create_table(
        "insurance_award",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("benefit", sa.String(16), nullable=False),
        sa.Column("claim", sa.Integer()),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("prepared_by", sa.Text(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.Text()),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.Text()),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.Text()),
        sa.CheckConstraint(BENEFITS, name="ck_insurance_award_benefit"),
        sa.CheckConstraint(STATES, name="ck_insurance_award_state"),
        sa.CheckConstraint("amount >= 0", name="ck_insurance_award_amount"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_insurance_award_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_award")),
    )
    op.create_index("ix_insurance_award_person_id_benefit", "insurance_award", ["person_id", "benefit"])
    op.create_index("ix_insurance_award_state", "insurance_award", ["state"])
    op.create_table(
        "insurance_award_share",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("survivor_group", sa.String(16), nullable=False),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(GROUPS, name="ck_insurance_award_share_group"),
        sa.ForeignKeyConstraint(
            ["award_id"], ["insurance_award.id"], name=op.f("fk_insurance_award_share_award_id_insurance_award")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_insurance_award_share_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_award_share")),
        sa.UniqueConstraint("award_id", "person_id", name=op.f("uq_insurance_award_share_award_id_person_id")),
    )
    op.create_index("ix_insurance_award_share_person_id", "insurance_award_share", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_insurance_award_share_person_id", table_name="insurance_award_share")
    op.drop_table("insurance_award_share")
    op.drop_index("ix_insurance_award_state", table_name="insurance_award")
    op.drop_index("ix_insurance_award_person_id_benefit", table_name="insurance_award")
    op.drop_table("insurance_award")
