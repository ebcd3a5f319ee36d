"""the name index without its foreign key to `person`: the tokens are derived from the people's
names and kept in step by the code that writes the names (`db/name_index.py`), as the pairs are
(migration 0050, which never had one); a search joins every person it proposes with `person`.
Checked per token, the key cost a lookup per row on every write of names and, at a country's first
import (32 million tokens at 5.2 million people), the longest step of the bulk load: 30 s of a join
made again after the rows were in (issue 18)

Revision ID: 0053
Revises: 0052
"""

from __future__ import annotations

from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None

KEY = "fk_name_token_person_id_person"


def upgrade() -> None:
    with op.batch_alter_table("name_token", schema=None) as batch_op:
        batch_op.drop_constraint(KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("name_token", schema=None) as batch_op:
        batch_op.create_foreign_key(KEY, "person", ["person_id"], ["id"])
