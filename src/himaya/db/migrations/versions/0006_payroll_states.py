"""payroll states: CHECK constraints from the enums of runs, lines, debts and enrollments; a run's seal

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, constraint name, condition): as `db/tables.py` builds them from the enums of
# `payroll/model.py` and `enrollment/model.py` today (written out: a migration does not move).
CHECKS = (
    (
        "payroll_run",
        "ck_payroll_run_state",
        "state IN ('calculated', 'submitted', 'approved', 'exported', 'reconciled', 'closed')",
    ),
    (
        "payment_line",
        "ck_payment_line_status",
        "status IN ('pending', 'exception', 'exported', 'paid', 'rejected', 'returned')",
    ),
    ("payment_line", "ck_payment_line_kind", "kind IN ('regular', 'arrears')"),
    ("debt", "ck_debt_status", "status IN ('open', 'settled', 'unrecoverable')"),
    ("enrollment", "ck_enrollment_status", "status IN ('active', 'ended')"),
)


def upgrade() -> None:
    with op.batch_alter_table("payroll_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("figures", sa.Text(), nullable=True))
    # Batch mode: SQLite adds a constraint by copying the table.
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
    with op.batch_alter_table("payroll_run", schema=None) as batch_op:
        batch_op.drop_column("figures")
        batch_op.drop_column("seal")
