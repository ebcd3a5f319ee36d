"""A partner's DCI transaction_id once per kind of message: the unique index that refuses a message
repeating one (`rjct.transaction_id.duplicate`), deciding between two sent at once

Before it, a repeated transaction_id was kept beside the first and txn/status by transaction found
the last; the earlier rows of a repetition kept lose their transaction_id (NULL: found by their
correlation id, as before), so that the index can be made and txn/status finds what it found.

Revision ID: 0043
Revises: 0042
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

INDEX = "ix_dci_transaction_client_kind_transaction_id"


def upgrade() -> None:
    t = sa.table(
        "dci_transaction",
        sa.column("id", sa.BigInteger),
        sa.column("client", sa.String),
        sa.column("kind", sa.String),
        sa.column("transaction_id", sa.String),
    )
    later = t.alias("later")
    repeated = sa.exists().where(
        later.c.client == t.c.client,
        later.c.kind == t.c.kind,
        later.c.transaction_id == t.c.transaction_id,
        later.c.id > t.c.id,
    )
    op.execute(sa.update(t).where(t.c.transaction_id.is_not(None), repeated).values(transaction_id=None))
    op.create_index(INDEX, "dci_transaction", ["client", "kind", "transaction_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="dci_transaction")
