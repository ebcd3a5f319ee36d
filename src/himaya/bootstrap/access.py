"""The users of the service, for the entry points: who may act (the token's user, read once a
while through a cache), the key tokens are signed with, and the accounts the terminal administers.
The store behind them is `db/access.py`; entry points reach it here, never directly."""

from __future__ import annotations

from sqlalchemy import Engine

from himaya.adapters import passwords
from himaya.db.access import (
    PrincipalCache,
    UserExistsError,
    UserRecord,
    acting_principal,
    create_user,
    grant,
    has_administrator,
    list_users,
    load_user,
    set_active,
    set_password,
    signing_key,
)

__all__ = [
    "PrincipalCache",
    "UserExistsError",
    "UserRecord",
    "acting_principal",
    "create_user",
    "grant",
    "has_administrator",
    "list_users",
    "set_active",
    "set_password",
    "signing_key",
    "user",
]


def user(engine: Engine, username: str) -> UserRecord | None:
    """The user with their roles, permissions and scopes; None if there is no such user."""
    with engine.connect() as connection:
        return load_user(connection, username)


def ready_passwords() -> None:
    """The password checks' fixed costs paid at the service's start, not by its first login."""
    passwords.ready()
