"""name pairs: one row per person and pair of their name tokens of one script, keyed by the two
tokens' hashes (`registry/name_pairs.py`), so that a search of two common words starts from the few
people who have both; filled from the name index for the people already registered

Revision ID: 0050
Revises: 0049
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from himaya.db.name_index import rebuild_pairs

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "name_pair",
        sa.Column("pair", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "person_id", name=op.f("pk_name_pair")),
        sqlite_with_rowid=False,
    )
    # From the tokens the index holds (not from the names): the pairs are those of the tokens a
    # search reads, whatever normalisation made them.
    rebuild_pairs(op.get_bind())


def downgrade() -> None:
    op.drop_table("name_pair")
