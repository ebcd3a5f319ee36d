"""insurance: the employer register, monthly contribution declarations (one per employer and month,
each correction a new revision whose lines and dues by branch are kept beside the earlier ones),
and the payments received from employers

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As `insurance/model.py`'s Sector and Branch today.
SECTORS = "sector IN ('private', 'government', 'semi_government', 'household')"
BRANCHES = "branch IN ('old_age', 'work_injury', 'job_security', 'maternity', 'sick_leave', 'savings')"


def upgrade() -> None:
    op.create_table(
        "insurance_employer",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("cr_number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(length=24), nullable=False),
        sa.Column("wilayat", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(SECTORS, name="ck_insurance_employer_sector"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_employer")),
        sa.UniqueConstraint("cr_number", name=op.f("uq_insurance_employer_cr_number")),
    )
    op.create_table(
        "insurance_declaration",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("insured", sa.Integer(), nullable=False),
        sa.Column("wages", sa.BigInteger(), nullable=False),
        sa.Column("due", sa.BigInteger(), nullable=False),
        sa.Column("declared_by", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["insurance_employer.id"],
            name=op.f("fk_insurance_declaration_employer_id_insurance_employer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_declaration")),
        sa.UniqueConstraint("employer_id", "month", name=op.f("uq_insurance_declaration_employer_id_month")),
    )
    op.create_index("ix_insurance_declaration_month", "insurance_declaration", ["month"])
    op.create_table(
        "insurance_line",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("declaration_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("wage", sa.BigInteger(), nullable=False),
        sa.Column("basic_wage", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["insurance_declaration.id"],
            name=op.f("fk_insurance_line_declaration_id_insurance_declaration"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_insurance_line_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_line")),
        sa.UniqueConstraint(
            "person_id", "declaration_id", "revision", name=op.f("uq_insurance_line_person_id_declaration_id_revision")
        ),
    )  # fmt: skip
    op.create_table(
        "insurance_due",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("declaration_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=16), nullable=False),
        sa.Column("insured", sa.Integer(), nullable=False),
        sa.Column("employee", sa.BigInteger(), nullable=False),
        sa.Column("employer", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(BRANCHES, name="ck_insurance_due_branch"),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["insurance_declaration.id"],
            name=op.f("fk_insurance_due_declaration_id_insurance_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_due")),
        sa.UniqueConstraint(
            "declaration_id", "revision", "branch", name=op.f("uq_insurance_due_declaration_id_revision_branch")
        ),
    )  # fmt: skip
    op.create_table(
        "insurance_payment",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_insurance_payment_amount"),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["insurance_employer.id"], name=op.f("fk_insurance_payment_employer_id_insurance_employer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_payment")),
        sa.UniqueConstraint("employer_id", "reference", name=op.f("uq_insurance_payment_employer_id_reference")),
    )


def downgrade() -> None:
    op.drop_table("insurance_payment")
    op.drop_table("insurance_due")
    op.drop_table("insurance_line")
    op.drop_index("ix_insurance_declaration_month", table_name="insurance_declaration")
    op.drop_table("insurance_declaration")
    op.drop_table("insurance_employer")
