"""insurance awards: their own permissions (`insurance.read`, `insurance.award` held by the insurance
officer; `insurance.award.approve` and `insurance.read` by the supervisor, the award's checker), and a
survivor's share dated (`valid_from`, `valid_to`): a share ends when its survivor leaves and the
others' shares start again from the next month, the old rows kept.

Revision ID: 0042
Revises: 0041
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

# The grants of `core/access.DEFAULT_GRANTS` as of this revision (written out: a migration does not
# move). A store made before it gets them; a new one has them from 0004.
GRANTS = {
    "insurance_officer": ("insurance.read", "insurance.award", "person.identify"),
    "supervisor": ("insurance.read", "insurance.award.approve"),
}
NEW = ("insurance.read", "insurance.award", "insurance.award.approve")


def _grants() -> sa.TableClause:
    return sa.table("role_permission", sa.column("role", sa.String), sa.column("permission", sa.String))


def upgrade() -> None:
    grants = _grants()
    held = {(r, p) for r, p in op.get_bind().execute(sa.select(grants.c.role, grants.c.permission))}
    missing = [
        {"role": role, "permission": permission}
        for role, permissions in GRANTS.items()
        for permission in permissions
        if (role, permission) not in held
    ]
    if missing:
        op.bulk_insert(grants, missing)
    op.add_column("insurance_award_share", sa.Column("valid_from", sa.Date()))
    op.add_column("insurance_award_share", sa.Column("valid_to", sa.Date()))
    op.execute(
        "UPDATE insurance_award_share SET valid_from = "
        "(SELECT start_date FROM insurance_award WHERE insurance_award.id = insurance_award_share.award_id)"
    )
    with op.batch_alter_table("insurance_award_share") as batch:
        batch.alter_column("valid_from", existing_type=sa.Date(), nullable=False)
        batch.drop_constraint("uq_insurance_award_share_award_id_person_id", type_="unique")
    op.create_index(  # one share not ended a survivor and award; the rows ended are its history
        "uq_insurance_award_share_open",
        "insurance_award_share",
        ["award_id", "person_id"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM insurance_award_share WHERE valid_to IS NOT NULL")  # the history of re-split shares
    op.drop_index("uq_insurance_award_share_open", table_name="insurance_award_share")
    with op.batch_alter_table("insurance_award_share") as batch:
        batch.create_unique_constraint("uq_insurance_award_share_award_id_person_id", ["award_id", "person_id"])
        batch.drop_column("valid_to")
        batch.drop_column("valid_from")
    grants = _grants()
    op.execute(grants.delete().where(grants.c.permission.in_(NEW)))
    op.execute(grants.delete().where(grants.c.role == "insurance_officer", grants.c.permission == "person.identify"))
