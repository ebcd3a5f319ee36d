"""The logins: the failed and good attempts the throttle counts, and the command line's logins
(`himaya login`, migration 0026)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table

from himaya.db.metadata import ID, metadata

cli_session = Table(  # `himaya login`: good while its row is (the file holds the secret, the store its hash)
    "cli_session",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, ForeignKey("app_user.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the secret in the file
    Column("token_version", Integer, nullable=False),  # the user's then: a logout, password or grant ends it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),  # `himaya logout`
)

login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index(None, "username", "at"),
    Index(None, "address", "at"),
)
