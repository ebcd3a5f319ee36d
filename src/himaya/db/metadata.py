"""The store's metadata (its naming convention) and key type, shared by the modules that declare tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData

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
