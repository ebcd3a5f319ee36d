"""The store behind the login actions (`access/ports.py`): accounts, failed logins, refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from himaya.access.model import Account, Failures, RefreshOutcome, Spend
from himaya.core.clock import now
from himaya.db.tables import app_user, login_attempt, refresh_token


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SqlAccessStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def account(self, username: str) -> Account | None:
        row = self.connection.execute(select(app_user).where(app_user.c.username == username)).mappings().first()
        return None if row is None else _account(row)

    def account_by_id(self, user_id: int) -> Account:
        return _account(self.connection.execute(select(app_user).where(app_user.c.id == user_id)).mappings().one())

    def failures(self, username: str, address: str, *, since: datetime) -> Failures:
        pair = and_(login_attempt.c.username == username, login_attempt.c.address == address)
        success = (
            select(func.max(login_attempt.c.at))
            .where(pair, login_attempt.c.succeeded, login_attempt.c.at >= since)
            .scalar_subquery()
        )
        failed = and_(~login_attempt.c.succeeded, login_attempt.c.at >= since)
        by_pair, last = self.connection.execute(
            select(func.count(), func.max(login_attempt.c.at)).where(
                pair, failed, login_attempt.c.at > func.coalesce(success, since - timedelta(seconds=1))
            )
        ).one()
        by_address = self.connection.execute(
            select(func.count()).select_from(login_attempt).where(login_attempt.c.address == address, failed)
        ).scalar_one()
        return Failures(int(by_pair), _aware(last), int(by_address))

    def record_attempt(self, username: str, address: str, *, succeeded: bool) -> None:
        self.connection.execute(
            insert(login_attempt).values(username=username[:64], address=address[:64], at=now(), succeeded=succeeded)
        )

    def clear_failures(self, username: str) -> int:
        result = self.connection.execute(
            delete(login_attempt).where(login_attempt.c.username == username, ~login_attempt.c.succeeded)
        )
        return int(result.rowcount)

    def issue_refresh(self, user_id: int, *, lifetime: timedelta, family: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        self.connection.execute(
            insert(refresh_token).values(
                user_id=user_id,
                token_hash=digest(token),
                family=family or secrets.token_hex(8),
                expires_at=now() + lifetime,
            )
        )
        return token

    def spend_refresh(self, token: str, *, at: datetime) -> Spend:
        # One conditional UPDATE: on PostgreSQL a concurrent spend of the same row waits for this
        # transaction and then finds `used_at` set, so it changes no row; on SQLite the write lock
        # taken at BEGIN already queues them. Expiry is judged after (a refused spend rolls back).
        match = refresh_token.c.token_hash == digest(token)
        spent = self.connection.execute(
            update(refresh_token)
            .where(match, refresh_token.c.used_at.is_(None), refresh_token.c.revoked_at.is_(None))
            .values(used_at=at)
            .returning(refresh_token.c.user_id, refresh_token.c.family, refresh_token.c.expires_at)
        ).first()
        if spent is not None:
            expires = _aware(spent.expires_at)
            outcome = RefreshOutcome.EXPIRED if expires is None or expires <= at else RefreshOutcome.SPENT
            return Spend(outcome, int(spent.user_id), spent.family)
        row = self.connection.execute(select(refresh_token).where(match)).mappings().first()
        if row is None:
            return Spend(RefreshOutcome.UNKNOWN)
        # A replay is told even of a revoked token: its chain may hold a successor still alive.
        outcome = RefreshOutcome.USED if row["used_at"] is not None else RefreshOutcome.REVOKED
        return Spend(outcome, int(row["user_id"]), row["family"])

    def revoke_family(self, family: str) -> int:
        result = self.connection.execute(
            update(refresh_token)
            .where(refresh_token.c.family == family, refresh_token.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return int(result.rowcount)

    def revoke_user(self, user_id: int) -> None:
        self.connection.execute(
            update(refresh_token)
            .where(refresh_token.c.user_id == user_id, refresh_token.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )

    def outdate_access(self, user_id: int) -> None:
        self.connection.execute(
            update(app_user).where(app_user.c.id == user_id).values(token_version=app_user.c.token_version + 1)
        )


def _account(row: object) -> Account:
    r = dict(row)  # type: ignore[call-overload]
    return Account(r["id"], r["username"], r["kind"], r["password_hash"], r["active"], r["token_version"])


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands stored instants back without their zone (they were stored in UTC)."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=now().tzinfo)
