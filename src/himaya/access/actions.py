"""The login use cases: log in, refresh, log out, unlock. Each takes a unit of work and does its
check, its write and its audit entry in one transaction (the login in two short ones, see `login`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from himaya.access.model import (
    Account,
    LoginRefusedError,
    RefreshOutcome,
    RefreshRefusedError,
    Session,
    ThrottledError,
    UserKind,
)
from himaya.access.ports import AccessUnitOfWork
from himaya.access.rules import Throttle, wait
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import NotFoundError

Verify = Callable[[str | None, str], bool]  # (stored hash or None, secret) -> matches; same time either way


class NoSuchUserError(NotFoundError):
    """No user of that name."""


def login(
    uow: AccessUnitOfWork,
    *,
    name: str,
    secret: str,
    kind: UserKind,
    address: str,
    verify: Verify,
    throttle: Throttle,
    refresh_lifetime: timedelta,
    refresh: bool = True,
) -> Session:
    """Check a user name and password (or a client's id and secret) from `address`; a person gets a
    refresh token unless `refresh` is false (the command line's login keeps none).

    The password hash is checked between two short transactions, not inside one: argon2 takes tens
    of milliseconds, and on SQLite a write transaction holds the whole database's write lock."""
    at = now()
    with uow:
        seconds = wait(uow.access.failures(name, address, since=at - throttle.window), at, throttle)
        account = uow.access.account(name)
    if seconds:
        raise ThrottledError(f"too many failed logins: try again in {seconds} seconds", seconds=seconds)
    good = verify(account.password_hash if account else None, secret)
    good = good and account is not None and account.active and account.kind == kind
    with uow:
        uow.access.record_attempt(name, address, succeeded=good)
        renewal = None
        if good:
            assert account is not None
            grant = "password" if kind is UserKind.PERSON else "client_credentials"
            uow.audit.record([Change("user.login", f"user:{name}", None, {"grant": grant})], actor=name)
            if kind is UserKind.PERSON and refresh:
                renewal = uow.access.issue_refresh(account.id, lifetime=refresh_lifetime)
        uow.commit()
    if not good:
        raise LoginRefusedError("wrong user name or password")
    assert account is not None
    return Session(account.username, account.token_version, renewal)


_REFUSED = {
    RefreshOutcome.UNKNOWN: "unknown refresh token",
    RefreshOutcome.REVOKED: "the refresh token was revoked",
    RefreshOutcome.EXPIRED: "the refresh token has expired",
    RefreshOutcome.USED: "the refresh token was used before: every token of that login is now revoked, "
    "and every access token of the user ends",
}


def refresh(uow: AccessUnitOfWork, token: str, *, lifetime: timedelta) -> Session:
    """Spend a refresh token once and give its successor. A token presented a second time is a
    replay (a stolen copy, or the owner's after a theft): the login's chain is revoked and every
    access token of the user ends, so neither the thief's nor any copy outlives the detection."""
    with uow:
        spend = uow.access.spend_refresh(token, at=now())
        if spend.outcome is RefreshOutcome.SPENT and spend.user_id is not None:
            account = uow.access.account_by_id(spend.user_id)
            if not account.active:
                raise RefreshRefusedError("the user is deactivated")
            renewed = uow.access.issue_refresh(account.id, lifetime=lifetime, family=spend.family)
            uow.commit()
            return Session(account.username, account.token_version, renewed)
        if spend.outcome is RefreshOutcome.USED and spend.user_id is not None and spend.family is not None:
            account = uow.access.account_by_id(spend.user_id)
            _end_everything(uow, account, family=spend.family)
            uow.commit()
    raise RefreshRefusedError(_REFUSED[spend.outcome])


def _end_everything(uow: AccessUnitOfWork, account: Account, *, family: str) -> None:
    # Once per login: concurrent replays queue on the same rows (a row lock on PostgreSQL, the
    # write lock on SQLite), and only the first finds live tokens to revoke.
    if not uow.access.revoke_family(family):
        return
    uow.access.outdate_access(account.id)
    uow.audit.record(
        [Change("user.refresh_replay", f"user:{account.username}", None, {"revoked": "login", "access": "ended"})],
        actor=account.username,
    )


def logout(uow: AccessUnitOfWork, *, actor: str) -> None:
    """End every session of the acting user: refresh tokens revoked, access tokens outdated."""
    with uow:
        account = _account(uow, actor)
        uow.access.revoke_user(account.id)
        uow.access.outdate_access(account.id)
        uow.audit.record([Change("user.logout", f"user:{actor}", None, None)], actor=actor)
        uow.commit()


def unlock(uow: AccessUnitOfWork, username: str, *, actor: str) -> int:
    """Forget a user's failed logins, so that no address has to wait; returns how many."""
    with uow:
        _account(uow, username)
        cleared = uow.access.clear_failures(username)
        uow.audit.record([Change("user.unlock", f"user:{username}", None, {"failures_cleared": cleared})], actor=actor)
        uow.commit()
    return cleared


def _account(uow: AccessUnitOfWork, username: str) -> Account:
    account = uow.access.account(username)
    if account is None:
        raise NoSuchUserError(f"no user {username!r}")
    return account
