"""What the login actions need from the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from himaya.access.model import Account, Failures, Spend
from himaya.core.uow import UnitOfWork


class AccessStore(Protocol):
    def account(self, username: str) -> Account | None: ...

    def account_by_id(self, user_id: int) -> Account: ...

    def failures(self, username: str, address: str, *, since: datetime) -> Failures: ...

    def record_attempt(self, username: str, address: str, *, succeeded: bool) -> None: ...

    def clear_failures(self, username: str) -> int:
        """Forget the user's failed logins; returns how many."""

    def issue_refresh(self, user_id: int, *, lifetime: timedelta, family: str | None = None) -> str:
        """A new refresh token (only its hash is stored), in a new login's family unless given."""

    def spend_refresh(self, token: str, *, at: datetime) -> Spend:
        """Mark the token used if, and only if, it was unused and unrevoked: one conditional write,
        so that of concurrent spends of one token exactly one succeeds."""

    def revoke_family(self, family: str) -> int:
        """Revoke the login's refresh tokens still alive; returns how many (0: revoked before)."""

    def revoke_user(self, user_id: int) -> None:
        """Revoke every refresh token of the user."""

    def outdate_access(self, user_id: int) -> None:
        """Bump the user's token version: every access token issued before stops working."""


class AccessUnitOfWork(UnitOfWork, Protocol):
    @property
    def access(self) -> AccessStore: ...
