"""Users, their roles and branch scopes, in the store (the login's store: `db/stores/access.py`).

Every change to a user is audited on the hash chain in the same transaction. Passwords arrive
here already hashed (argon2, `adapters.passwords`): the store never sees one in clear.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from himaya.core.access import SCOPE_KINDS, Principal, Role, Scope, permissions_of
from himaya.core.clock import now
from himaya.core.errors import ConflictError, HimayaError, NotFoundError
from himaya.db import audit
from himaya.db.engine import reading
from himaya.db.tables import (
    app_user,
    refresh_token,
    role_permission,
    service_setting,
    user_role,
    user_scope,
)

USER_KINDS = ("person", "client")


class AccessError(HimayaError):
    """A user cannot be created or changed as asked (a bad name, role or scope)."""


class UserExistsError(ConflictError):
    """A user of that name exists already."""


class LastAdministratorError(ConflictError):
    """The change would leave the store without an administrator."""


class UnknownUserError(NotFoundError):
    """No user of that name."""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    kind: str
    password_hash: str
    active: bool
    token_version: int
    principal: Principal


def create_user(
    engine: Engine,
    username: str,
    password_hash: str,
    *,
    kind: str = "person",
    display_name: str | None = None,
    actor: str,
    roles: list[str] | None = None,
    scopes: list[Scope] | None = None,
) -> int:
    """Create a user, with `roles` and `scopes` granted in the same transaction: all or nothing."""
    if kind not in USER_KINDS:
        raise AccessError(f"a user is one of {', '.join(USER_KINDS)}, not {kind!r}")
    check_username(username)
    _check_grant(roles or [], scopes or [])
    with engine.begin() as connection:
        same = connection.execute(
            select(app_user.c.username).where(func.lower(app_user.c.username) == username.lower())
        ).scalar()
        if same is not None:  # names are compared case-folded (maker-checker, the audit trail): one user each
            raise UserExistsError(f"user {same!r} exists already" + ("" if same == username else f" ({username!r})"))
        user_id = _insert_user(connection, username, display_name, kind, password_hash)
        audit.record(
            connection,
            [audit.Change("user.create", f"user:{username}", None, {"kind": kind, "display_name": display_name})],
            actor=actor,
        )
        if roles or scopes:
            _grant(connection, username, roles or [], scopes or [], actor=actor, replace=False)
    return int(user_id)


def _insert_user(connection: Connection, username: str, display_name: str | None, kind: str, hashed: str) -> int:
    values = {"display_name": display_name, "kind": kind, "password_hash": hashed, "active": True}
    try:  # the transaction is lost with the error: the caller's `begin` rolls it back
        inserted = connection.execute(
            insert(app_user).values(username=username, token_version=1, created_at=now(), **values)
        )
    except IntegrityError as clash:  # created at the same moment, under this name or another case of it
        raise UserExistsError(f"user {username!r} exists already") from clash
    return int(inserted.inserted_primary_key[0])  # type: ignore[index]


def check_username(username: str) -> None:
    """Latin letters, digits, '.', '-', '_' only: two names that look alike are the same name (no
    Cyrillic 'ѕ' beside a Latin 's'); display names hold the rest."""
    bare = username.replace(".", "").replace("-", "").replace("_", "")
    if not username or len(username) > 64 or not (bare.isascii() and bare.isalnum()):
        raise AccessError(
            f"{username!r} is not a user name: up to 64 Latin letters, digits, '.', '-' or '_' (the person's"
            " name in any script goes in --name)"
        )


def grant(
    engine: Engine,
    username: str,
    *,
    roles: list[str],
    scopes: list[Scope],
    actor: str,
    replace: bool = False,
) -> Principal:
    """Give `username` these roles and branch scopes (with `replace`, instead of what they had:
    the roles if roles are given, the branches if branches are, both if neither is).
    Tokens issued before stop working, so a narrowed grant takes effect at once."""
    _check_grant(roles, scopes)
    with engine.begin() as connection:
        before = _administrators_locked(connection)
        principal = _grant(connection, username, roles, scopes, actor=actor, replace=replace)
        _keep_an_administrator(connection, username, before)
        return principal


def _check_grant(roles: list[str], scopes: list[Scope]) -> None:
    unknown = sorted(set(roles) - {r.value for r in Role})
    if unknown:
        raise AccessError(f"no such role: {', '.join(unknown)}; roles: {', '.join(r.value for r in Role)}")
    for scope in scopes:
        if scope.kind not in SCOPE_KINDS:
            raise AccessError(f"no such scope kind {scope.kind!r}")


def _grant(
    connection: Connection, username: str, roles: list[str], scopes: list[Scope], *, actor: str, replace: bool
) -> Principal:
    user = _user_row(connection, username)
    before = _grants(connection, user["id"])
    # A replacement replaces what it names: new roles leave the branches as they were, and new
    # branches the roles; naming neither takes both away.
    replace_roles = replace and (bool(roles) or not scopes)
    replace_scopes = replace and (bool(scopes) or not roles)
    if replace_roles:
        connection.execute(delete(user_role).where(user_role.c.user_id == user["id"]))
    if replace_scopes:
        connection.execute(delete(user_scope).where(user_scope.c.user_id == user["id"]))
    have_roles = set() if replace_roles else set(before["roles"])
    have_scopes = set() if replace_scopes else set(before["scopes"])
    new_roles = [{"user_id": user["id"], "role": r} for r in sorted(set(roles) - have_roles)]
    new_scopes = [
        {"user_id": user["id"], "kind": s.kind, "value": s.value or ""} for s in scopes if str(s) not in have_scopes
    ]
    if new_roles:
        connection.execute(insert(user_role), new_roles)
    if new_scopes:
        connection.execute(insert(user_scope), new_scopes)
    connection.execute(
        update(app_user).where(app_user.c.id == user["id"]).values(token_version=app_user.c.token_version + 1)
    )
    _revoke_refresh(connection, user["id"])  # a changed grant ends every session, refresh tokens too
    after = _grants(connection, user["id"])
    audit.record(connection, [audit.Change("user.grant", f"user:{username}", before, after)], actor=actor)
    record = load_user(connection, username)
    assert record is not None
    return record.principal


def set_password(engine: Engine, username: str, password_hash: str, *, actor: str) -> None:
    with engine.begin() as connection:
        user = _user_row(connection, username)
        connection.execute(
            update(app_user)
            .where(app_user.c.id == user["id"])
            .values(password_hash=password_hash, token_version=app_user.c.token_version + 1)
        )
        _revoke_refresh(connection, user["id"])
        audit.record(connection, [audit.Change("user.password", f"user:{username}", None, None)], actor=actor)


def set_active(engine: Engine, username: str, active: bool, *, actor: str) -> None:
    with engine.begin() as connection:
        before = _administrators_locked(connection)
        user = _user_row(connection, username)
        connection.execute(
            update(app_user)
            .where(app_user.c.id == user["id"])
            .values(active=active, token_version=app_user.c.token_version + 1)
        )
        _keep_an_administrator(connection, username, before)
        _revoke_refresh(connection, user["id"])
        audit.record(
            connection,
            [audit.Change("user.activate" if active else "user.deactivate", f"user:{username}", None, None)],
            actor=actor,
        )


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        users = connection.execute(select(app_user).order_by(app_user.c.username)).mappings().all()
        return [
            {"username": u["username"], "kind": u["kind"], "active": u["active"], **_grants(connection, u["id"])}
            for u in users
        ]


def load_user(connection: Connection, username: str) -> UserRecord | None:
    """The user with their roles, the permissions the roles hold now, and their scopes."""
    row = connection.execute(select(app_user).where(app_user.c.username == username)).mappings().first()
    if row is None:
        return None
    roles = frozenset(connection.execute(select(user_role.c.role).where(user_role.c.user_id == row["id"])).scalars())
    granted: dict[str, set[str]] = {}
    for role, permission in connection.execute(
        select(role_permission.c.role, role_permission.c.permission).where(role_permission.c.role.in_(roles))
    ):
        granted.setdefault(role, set()).add(permission)
    scopes = tuple(
        Scope(kind, value or None)
        for kind, value in connection.execute(
            select(user_scope.c.kind, user_scope.c.value)
            .where(user_scope.c.user_id == row["id"])
            .order_by(user_scope.c.kind, user_scope.c.value)
        )
    )
    principal = Principal(row["username"], roles, permissions_of(roles, granted), scopes, row["kind"])
    return UserRecord(
        row["id"], row["username"], row["kind"], row["password_hash"], row["active"], row["token_version"], principal
    )


def _administrators(connection: Connection) -> list[str]:
    query = (
        select(app_user.c.username)
        .join(user_role, user_role.c.user_id == app_user.c.id)
        .join(role_permission, role_permission.c.role == user_role.c.role)
        .where(app_user.c.active, app_user.c.kind == "person", role_permission.c.permission == "users.manage")
        .distinct()
    )
    return list(connection.execute(query).scalars())


def _administrators_locked(connection: Connection) -> list[str]:
    """The administrators, their rows locked until the change's transaction ends: two administrators
    removing each other at once on PostgreSQL would otherwise both see the other still there (read
    committed) and leave none. The second waits, then `_keep_an_administrator` reads what the first
    committed. (SQLite has one writer: the second's write fails instead of passing unseen.)"""
    names = _administrators(connection)
    if names:
        connection.execute(
            select(app_user.c.id).where(app_user.c.username.in_(names)).order_by(app_user.c.id).with_for_update()
        ).all()
    return names


def has_administrator(engine: Engine) -> bool:
    """Whether an active person (who can log in) holds `users.manage`: a new store has none until
    its first is made, and the last is never removed (`_keep_an_administrator`)."""
    with engine.connect() as connection:
        return bool(_administrators(connection))


def _keep_an_administrator(connection: Connection, username: str, before: list[str]) -> None:
    """In the change's transaction: a store that had an administrator keeps one, or user management
    would be open to anyone at the terminal again (or to nobody)."""
    if before and not _administrators(connection):
        raise LastAdministratorError(
            f"{username} is the last administrator: make another administrator first; nothing was changed"
        )


def user_by_id(connection: Connection, user_id: int) -> dict[str, Any]:
    return dict(connection.execute(select(app_user).where(app_user.c.id == user_id)).mappings().one())


def _user_row(connection: Connection, username: str) -> dict[str, Any]:
    row = connection.execute(select(app_user).where(app_user.c.username == username)).mappings().first()
    if row is None:
        raise UnknownUserError(f"no user {username!r}")
    return dict(row)


def _grants(connection: Connection, user_id: int) -> dict[str, Any]:
    roles = sorted(connection.execute(select(user_role.c.role).where(user_role.c.user_id == user_id)).scalars())
    scopes = sorted(
        str(Scope(k, v or None))
        for k, v in connection.execute(
            select(user_scope.c.kind, user_scope.c.value).where(user_scope.c.user_id == user_id)
        )
    )
    return {"roles": roles, "scopes": scopes}


# --- refresh tokens (logging in, refreshing and out: `access/actions.py`) ----------------------


def _revoke_refresh(connection: Connection, user_id: int) -> None:
    connection.execute(
        update(refresh_token)
        .where(refresh_token.c.user_id == user_id, refresh_token.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )


# --- the service's signing key ----------------------------------------------------------------


def signing_key(engine: Engine) -> str:
    """The key that signs access tokens: made once, kept in the store so every worker shares it."""
    with engine.begin() as connection:
        key = connection.execute(
            select(service_setting.c.value).where(service_setting.c.name == "jwt_signing_key")
        ).scalar()
    if key is not None:
        return str(key)
    try:
        with engine.begin() as connection:
            key = secrets.token_urlsafe(48)
            connection.execute(insert(service_setting).values(name="jwt_signing_key", value=key))
    except IntegrityError:  # another worker made it first: use theirs
        return signing_key(engine)
    return str(key)


class PrincipalCache:
    """Roles, permissions and scopes per (user, token version), for a short while: a grant bumps
    the version, so a changed grant is never served from here."""

    def __init__(self, seconds: float = 30.0) -> None:
        self.seconds = seconds
        self._entries: dict[tuple[str, int], tuple[float, Principal]] = {}

    def get(self, engine: Engine, username: str, version: int) -> Principal | None:
        """The user's principal at that token version; None when the version is no longer theirs."""
        key = (username, version)
        hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        with reading(engine) as connection:
            record = load_user(connection, username)
        if record is None or record.token_version != version:
            return None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), record.principal)
        return record.principal


def acting_principal(engine: Engine, cache: PrincipalCache, username: str, version: int) -> Principal | None:
    """Who acts with a credential (a bearer token, a web session) naming `username` at `version`:
    checked against the store at every request, so a logout, a new password, a changed grant or a
    deactivated user ends every credential issued before. None when it is no longer good. A read
    that does not wait for the writers (`engine.reading`): every request makes it."""
    with reading(engine) as connection:
        row = connection.execute(
            select(app_user.c.token_version, app_user.c.active).where(app_user.c.username == username)
        ).first()
    if row is None or not row.active or row.token_version != version:
        return None
    return cache.get(engine, username, version)
