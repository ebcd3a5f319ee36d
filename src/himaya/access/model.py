"""What the login actions work on: an account, a session's tokens, and why a login is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from himaya.core.errors import ForbiddenError


class UserKind(StrEnum):
    PERSON = "person"  # logs in with a password, gets refresh tokens
    CLIENT = "client"  # a partner system: client credentials, access tokens only


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    kind: str
    password_hash: str
    active: bool
    token_version: int


@dataclass(frozen=True)
class Session:
    """What a login or a refresh gives: the user and token version an access token is made for, and
    the next refresh token (none for partner systems)."""

    username: str
    token_version: int
    refresh_token: str | None


@dataclass(frozen=True)
class Failures:
    """Failed logins in the throttle's window: for one (name, address) pair since its last success,
    the newest of them, and from the address for any name."""

    by_pair: int
    last: datetime | None
    by_address: int


class RefreshOutcome(StrEnum):
    SPENT = "spent"  # this request spent it: the one and only use
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    USED = "used"  # spent before: a replay
    EXPIRED = "expired"


@dataclass(frozen=True)
class Spend:
    outcome: RefreshOutcome
    user_id: int | None = None
    family: str | None = None


# The service answers these 401 or 429 (not a category of the error hierarchy's statuses: the
# route that calls the action maps them); on the command line they never arise.
class LoginRefusedError(ForbiddenError):
    """Wrong user name, password or kind of user: one answer for all, so that none is revealed."""

    code = "invalid_credentials"


class RefreshRefusedError(ForbiddenError):
    """The refresh token is unknown, expired, revoked, or was used before (a replay)."""

    code = "invalid_grant"


class ThrottledError(ForbiddenError):
    """Too many failed logins from this address (for this name, or for any): wait `seconds`."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds
