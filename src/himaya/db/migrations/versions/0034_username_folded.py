"""app_user: one user per case-folded name, kept by a unique index on lower(username). The check in
`create_user` reads before it writes; two creations at once ("Salim" and "salim") both passed it.

A store that already holds two names differing only in case cannot take the index: the upgrade
stops, naming them, and changes nothing.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT lower(username) AS folded, COUNT(*) AS n FROM app_user"
                " GROUP BY lower(username) HAVING COUNT(*) > 1 ORDER BY 1"
            )
        )
        .all()
    )
    if clashes:
        names = ", ".join(row.folded for row in clashes)
        raise RuntimeError(
            f"users whose names differ only in case: {names}; rename all but one of each"
            " (UPDATE app_user SET username = ... WHERE id = ...), then upgrade again; nothing was changed"
        )
    op.create_index("uq_app_user_username_folded", "app_user", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_app_user_username_folded", table_name="app_user")
