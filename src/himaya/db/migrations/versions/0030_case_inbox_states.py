"""case inbox states: the branch inbox filtered by state (and by type and state) read in index order
too: (branch, state, due date, number), instead of walking the branch's cases by due date and
skipping those of other states (73 ms for page 5 of a state of a wilayat of 213,000 cases,
bench/cases_profile.py). The three indexes of 0016 without the number give way to them.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

REPLACED = {
    "ix_case_file_wilayat_state_due_on": ["wilayat", "state", "due_on"],
    "ix_case_file_governorate_state_due_on": ["governorate", "state", "due_on"],
    "ix_case_file_type_state_due_on": ["type", "state", "due_on"],
}
INDEXES = {
    "ix_case_file_wilayat_state_due_on_number": ["wilayat", "state", "due_on", "number"],
    "ix_case_file_wilayat_type_state_due_on_number": ["wilayat", "type", "state", "due_on", "number"],
    "ix_case_file_governorate_state_due_on_number": ["governorate", "state", "due_on", "number"],
    "ix_case_file_type_state_due_on_number": ["type", "state", "due_on", "number"],
}


def upgrade() -> None:
    for name in REPLACED:
        op.drop_index(name, table_name="case_file")
    for name, columns in INDEXES.items():
        op.create_index(name, "case_file", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="case_file")
    for name, columns in REPLACED.items():
        op.create_index(name, "case_file", columns)
