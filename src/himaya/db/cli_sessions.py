"""The command line's logins (`himaya login`): a row per login, found by the SHA-256 of the secret
its credential file holds. The file alone proves nothing without its row, and the row's hash alone
gives no secret: a credential cannot be made by whoever merely sets a key or reads the table."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from himaya.db.session_tables import cli_session
from himaya.db.tables import app_user


@dataclass(frozen=True)
class CliSession:
    username: str
    expires_at: datetime
    current: bool  # not ended, not expired, its user active at the token version it was made for


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(engine: Engine, username: str, secret: str, *, at: datetime, expires_at: datetime) -> None:
    with engine.begin() as connection:
        user = connection.execute(
            select(app_user.c.id, app_user.c.token_version).where(app_user.c.username == username)
        ).one()
        connection.execute(
            insert(cli_session).values(
                user_id=user.id,
                token_hash=digest(secret),
                token_version=user.token_version,
                created_at=at,
                expires_at=expires_at,
            )
        )


def find_session(engine: Engine, secret: str, *, at: datetime) -> CliSession | None:
    """The login of `secret`; None when the store has no such login (another store's, or made up)."""
    query = (
        select(
            app_user.c.username,
            cli_session.c.expires_at,
            cli_session.c.ended_at,
            cli_session.c.token_version == app_user.c.token_version,
            app_user.c.active,
        )
        .join(app_user, app_user.c.id == cli_session.c.user_id)
        .where(cli_session.c.token_hash == digest(secret))
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    username, expires_at, ended_at, same_version, active = row
    if expires_at.tzinfo is None:  # SQLite gives back naive UTC
        expires_at = expires_at.replace(tzinfo=at.tzinfo)
    return CliSession(username, expires_at, ended_at is None and bool(same_version) and active and expires_at > at)


def end_session(engine: Engine, secret: str, *, at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(cli_session)
            .where(cli_session.c.token_hash == digest(secret), cli_session.c.ended_at.is_(None))
            .values(ended_at=at)
        )
