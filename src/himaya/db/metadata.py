"""The store's metadata (its naming convention) and key type, shared by the modules that declare tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKeyConstraint, Integer, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT keys, except on SQLite, where only INTEGER PRIMARY KEY is the auto-incrementing rowid.
ID = BigInteger().with_variant(Integer(), "sqlite")


# A foreign key that PostgreSQL checks once per statement, by triggers (`payment_line`'s, migration
# 0051), rather than per row by a constraint: the migrations' test expects no such constraint there.
PER_STATEMENT = {"postgresql": "checked per statement by triggers"}


def per_statement_keys(**keys: str) -> list[ForeignKeyConstraint]:
    """Foreign keys (column="table.column"): constraints on SQLite, triggers on PostgreSQL."""
    return [ForeignKeyConstraint([column], [target], info=dict(PER_STATEMENT)) for column, target in keys.items()]
