"""Who acts at the command line: the user `himaya login` authenticated against the user store.

The payroll's steps (calculate, submit, approve, export, reconcile, close) are done by a logged-in
user holding the permission the API asks for the same step; the maker-checker rule then compares
users of the store, not names typed on a command line. Other commands record the logged-in user
when there is one, and otherwise what `--actor`, `HIMAYA_ACTOR` or the operating system says."""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from himaya.access import actions
from himaya.access.model import UserKind
from himaya.access.rules import Throttle
from himaya.adapters import credentials, passwords
from himaya.core.access import Permission, Principal
from himaya.core.audit import canonical_actor, check_actor
from himaya.core.clock import now
from himaya.core.errors import ForbiddenError, UsageError
from himaya.core.settings import Settings
from himaya.db import access, cli_sessions
from himaya.db.uow import SqlUnitOfWork


class NotLoggedInError(ForbiddenError):
    """A step that a user of the store must do, with nobody logged in (or a login that has ended)."""


@dataclass(frozen=True)
class Credential:
    username: str
    expires: datetime


def terminal_user() -> str:
    """The operating-system account running this process, by its real uid (not `LOGNAME`/`USER`,
    which the caller sets): the "address" the login throttle counts failures from."""
    uid = os.geteuid()
    try:
        return f"cli:{pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"cli:uid-{uid}"


@dataclass(frozen=True)
class CommandLineLogin:
    """The login of this command line, on the store `engine` opens (opened only when a credential
    is there to check)."""

    engine: Callable[[], Engine]
    settings: Settings

    @property
    def path(self) -> Path:
        return self.settings.credentials or credentials.default_path()

    def login(self, username: str, password: str) -> Credential:
        """Check the password as the API's login does (the same throttle of failed attempts, the
        same audit entry) and keep a login in the store, its secret in the file."""
        credentials.check_place(self.path)  # before anything is written
        engine = self.engine()
        session = actions.login(
            SqlUnitOfWork(engine),
            name=username,
            secret=password,
            kind=UserKind.PERSON,
            address=terminal_user(),
            verify=passwords.verify_password,
            throttle=Throttle(),
            refresh_lifetime=timedelta(0),
            refresh=False,
        )
        secret, at = credentials.new_secret(), now()
        expires = at + credentials.LIFETIME
        cli_sessions.open_session(engine, session.username, secret, at=at, expires_at=expires)
        credentials.write(self.path, secret)
        return Credential(session.username, expires)

    def current(self) -> tuple[Credential, Principal] | None:
        """The logged-in user, checked against the store now; None when nobody logged in."""
        secret = credentials.read(self.path)
        if secret is None:
            return None
        engine = self.engine()
        found = cli_sessions.find_session(engine, secret, at=now())
        if found is None:
            raise NotLoggedInError("this login is not one of this database's: run `himaya login USER`")
        if not found.current:
            raise NotLoggedInError(
                f"the login of {found.username!r} has ended (logged out, expired, new password, changed roles or"
                " deactivated): run `himaya login USER` again"
            )
        with engine.connect() as connection:
            user = access.load_user(connection, found.username)
        assert user is not None
        return Credential(found.username, found.expires_at), user.principal

    def logout(self) -> str | None:
        """End every session of the logged-in user (the API's too) and forget the credential."""
        try:
            found = self.current()
            secret = credentials.read(self.path)
        except (UsageError, ForbiddenError):  # expired, or ended already: nothing left to end but the file
            found = secret = None
        credentials.remove(self.path)
        if found is None or secret is None:
            return None
        cli_sessions.end_session(self.engine(), secret, at=now())
        actions.logout(SqlUnitOfWork(self.engine()), actor=found[0].username)
        return found[0].username

    def acting_user(self, permission: Permission, given: str | None = None) -> str:
        """The logged-in user, who must hold `permission`; `given` (an `--actor`), if any, must be them."""
        found = self.current()
        if found is None:
            raise NotLoggedInError(
                f"this step is done by a user of the store with {permission.value}: run `himaya login USER` first"
            )
        credential, principal = found
        _same(given, credential.username)
        if not principal.can(permission):
            raise ForbiddenError(f"{credential.username} may not do this: it needs {permission.value}")
        return credential.username

    def principal(self, given: str | None) -> Principal:
        """The logged-in user with their roles and branches (`given`, an `--as`, if any, must be them);
        what they may do is then the action's to check, as for a request of the API."""
        found = self.current()
        if found is None:
            raise NotLoggedInError("this step is done by a user of the store: run `himaya login USER` first")
        _same(given, found[0].username)
        return found[1]

    def actor(self, given: str | None, otherwise: str) -> str:
        """Who a command records: the logged-in user (`given` must name them), else `given`, else
        `otherwise`. A blank or unprintable name given is refused, never replaced by another."""
        found = self.current()
        if found is not None:
            _same(given, found[0].username)
            return found[0].username
        return otherwise if given is None else check_actor(given)


def _same(given: str | None, username: str) -> None:
    if given is not None and canonical_actor(check_actor(given)) != canonical_actor(username):
        raise UsageError(f"you are logged in as {username!r}, not {given!r}: `himaya login` as them to act as them")
