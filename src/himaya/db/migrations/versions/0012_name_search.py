"""name search: the name index (a person's normalised name tokens), filled for the people already
registered, and an index on the mobile number (search by phone)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from himaya.db.name_index import rebuild

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TOKEN = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "name_token",
        sa.Column("token", TOKEN, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_name_token_person_id_person")),
        sa.PrimaryKeyConstraint("token", "person_id", name=op.f("pk_name_token")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_name_token_person_id", "name_token", ["person_id"])
    op.create_index("ix_person_mobile", "person", ["mobile"])
    # The tokens of the people registered before this revision. The normalisation is code that moves
    # (`registry/name_search.py`); `himaya registry reindex` rebuilds the index after it does.
    rebuild(op.get_bind(), pairs=False)  # the pairs come with 0050, which fills them from these tokens


def downgrade() -> None:
    op.drop_index("ix_person_mobile", table_name="person")
    op.drop_index("ix_name_token_person_id", table_name="name_token")
    op.drop_table("name_token")
