"""Who acts at the command line: the user `himaya login` authenticated against the user store.

The payroll's steps (calculate, submit, approve, export, reconcile, close) are done by a logged-in
user holding the permission the API asks for the same step; the maker-checker rule then compares
users of the store, not names typed on a command line. Other commands record the logged-in user
when there is one, and otherwise what `--actor`, `HIMAYA_ACTOR` or the operating system says."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from himaya.access import actions
from himaya.access.model import UserKind
from himaya.access.rules import Throttle
from himaya.adapters import credentials, passwords
from himaya.adapters.credentials import Credential
from himaya.core.access import Permission, Principal
from himaya.core.audit import canonical_actor, check_actor
from himaya.core.clock import now
from himaya.core.errors import ForbiddenError, UsageError
from himaya.core.settings import Settings
from himaya.db import access
from himaya.db.uow import SqlUnitOfWork


class NotLoggedInError(ForbiddenError):
    """A step that a user of the store must do, with nobody logged in."""


@dataclass(frozen=True)
class CommandLineLogin:
    """The login of this command line, on the store `engine` opens (opened only when a credential
    is there to check)."""

    engine: Callable[[], Engine]
    settings: Settings

    @property
    def path(self) -> Path:
        return self.settings.credentials or credentials.default_path()

    def _key(self, engine: Engine) -> str:
        return self.settings.signing_key or access.signing_key(engine)

    def login(self, username: str, password: str) -> Credential:
        """Check the password as the API's login does (the same throttle of failed attempts, the
        same audit entry) and keep a credential for the commands that follow."""
        engine = self.engine()
        actions.login(
            SqlUnitOfWork(engine),
            name=username,
            secret=password,
            kind=UserKind.PERSON,
            address=f"cli:{getpass.getuser()}",
            verify=passwords.verify_password,
            throttle=Throttle(),
            refresh_lifetime=timedelta(0),
            refresh=False,
        )
        with engine.connect() as connection:
            user = access.load_user(connection, username)
        assert user is not None  # the login succeeded
        credential = Credential(user.username, user.token_version, _store(engine), now() + credentials.LIFETIME)
        credentials.write(self.path, credentials.issue(self._key(engine), credential))
        return credential

    def current(self) -> tuple[Credential, Principal] | None:
        """The logged-in user, checked against the store now; None when nobody logged in."""
        token = credentials.read(self.path)
        if token is None:
            return None
        engine = self.engine()
        credential = credentials.verify(self._key(engine), token, store=_store(engine))
        with engine.connect() as connection:
            user = access.load_user(connection, credential.username)
        if user is None or not user.active or user.token_version != credential.token_version:
            raise UsageError(
                f"the login of {credential.username!r} has ended (logged out, new password, changed roles or"
                " deactivated): run `himaya login USER` again"
            )
        return credential, user.principal

    def logout(self) -> str | None:
        """End every session of the logged-in user (the API's too) and forget the credential."""
        try:
            found = self.current()
        except UsageError:  # expired, or ended already: nothing left to end but the file
            found = None
        credentials.remove(self.path)
        if found is None:
            return None
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

    def actor(self, given: str | None, otherwise: str) -> str:
        """Who a command records: the logged-in user (`given` must name them), else `given`, else
        `otherwise`. A blank or unprintable name given is refused, never replaced by another."""
        found = self.current()
        if found is not None:
            _same(given, found[0].username)
            return found[0].username
        return otherwise if given is None else check_actor(given)


def _store(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _same(given: str | None, username: str) -> None:
    if given is not None and canonical_actor(check_actor(given)) != canonical_actor(username):
        raise UsageError(f"you are logged in as {username!r}, not {given!r}: `himaya login` as them to act as them")
