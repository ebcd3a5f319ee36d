"""insurance declarations over the API: the `insurance.declare` permission, held by the employer role
(an employer's payroll system, scoped employer:CR_NUMBER) and the insurance officer role

Revision ID: 0041
Revises: 0040
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

# The grants of `core/access.DEFAULT_GRANTS` as of this revision (written out: a migration does not
# move). A store made before it gets them; a new one has them from 0004.
GRANTS = {"employer": ("insurance.declare",), "insurance_officer": ("insurance.declare", "parameters.read")}


def upgrade() -> None:
    grants = sa.table("role_permission", sa.column("role", sa.String), sa.column("permission", sa.String))
    held = {(r, p) for r, p in op.get_bind().execute(sa.select(grants.c.role, grants.c.permission))}
    missing = [
        {"role": role, "permission": permission}
        for role, permissions in GRANTS.items()
        for permission in permissions
        if (role, permission) not in held
    ]
    if missing:
        op.bulk_insert(grants, missing)


def downgrade() -> None:
    grants = sa.table("role_permission", sa.column("role", sa.String), sa.column("permission", sa.String))
    op.execute(grants.delete().where(grants.c.permission == "insurance.declare"))
    op.execute(grants.delete().where(grants.c.role == "insurance_officer"))
