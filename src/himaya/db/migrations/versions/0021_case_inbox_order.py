"""case inbox order: indexes in the branch inbox's order (branch, due date, number), so that a page
is read in index order instead of sorting every case of the branch

Revision ID: 0021
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_case_file_wilayat_due_on_number": ["wilayat", "due_on", "number"],
    "ix_case_file_wilayat_type_due_on_number": ["wilayat", "type", "due_on", "number"],
    "ix_case_file_governorate_due_on_number": ["governorate", "due_on", "number"],
    "ix_case_file_due_on_number": ["due_on", "number"],
}


def upgrade() -> None:
    op.drop_index("ix_case_file_due_on", table_name="case_file")
    for name, columns in INDEXES.items():
        op.create_index(name, "case_file", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="case_file")
    op.create_index("ix_case_file_due_on", "case_file", ["due_on"])
