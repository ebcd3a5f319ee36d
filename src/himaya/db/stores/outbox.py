"""The notification outbox's sender side, behind `cases.ports.OutboxStore`: claims, takes, results,
counts, a person's decision.

A claim is made in the caller's transaction and committed before anything is sent. On PostgreSQL the
rows claimed are locked with SKIP LOCKED, so a second sender takes the next rows instead of waiting
for (and then re-claiming) these; on SQLite the transaction holds the database's write lock from its
start (`db/engine.py`), so claims are one after the other; on both, the claiming UPDATE repeats the
condition, so a row claimed by another since it was read is not claimed again. A message is then
taken, one conditional UPDATE (still `sending` under this claim) whose returned row says it is ours:
its lease starts there, not when its batch was claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select, update

from himaya.cases.model import OutboxState, Outcome, Outgoing, Result
from himaya.db.case_tables import notification_outbox as outbox
from himaya.db.tables import person

COUNTED = {"preserve_rowcount": True}
MAX_ERROR = 1000  # characters of an error kept
STALE = "the sender stopped while handing it over: it may have been delivered (check the mail server's log)"
# The address a message is taken for: the one it has (queued with, for an e-mail; fixed when first
# taken, so that a retry under the same idempotency key goes to the same number), else the person's
# mobile now (a first attempt, or a resend whose address was cleared).
ADDRESS = func.coalesce(
    outbox.c.address,
    select(person.c.mobile).where(person.c.id == outbox.c.person_id).scalar_subquery(),
)


# What a message is handed over with (`Outgoing`).
RETURNED = [outbox.c[c] for c in ("id", "channel", "address", "language", "subject", "body", "attempts")]


class SqlOutboxStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def claim(
        self,
        channels: Sequence[str],
        *,
        resend_safe: Sequence[str],
        token: str,
        at: datetime,
        due_by: datetime,
        lease: int,
        limit: int,
    ) -> list[Outgoing]:
        stale = and_(outbox.c.state == OutboxState.SENDING.value, outbox.c.claimed_at < at - timedelta(seconds=lease))
        unsafe = [c for c in channels if c not in resend_safe]
        if unsafe:
            self.connection.execute(
                update(outbox)
                .where(stale, outbox.c.channel.in_(unsafe))
                .values(state=OutboxState.UNCERTAIN.value, error=STALE, claim=None)
            )
        due = and_(
            outbox.c.state == OutboxState.PENDING.value, or_(outbox.c.next_at.is_(None), outbox.c.next_at <= due_by)
        )
        claimable = and_(outbox.c.channel.in_(channels), or_(due, and_(stale, outbox.c.channel.in_(resend_safe))))
        query = select(outbox.c.id).where(claimable).order_by(outbox.c.id).limit(limit)
        if self.connection.dialect.name == "postgresql":  # another sender takes the next rows, not these
            query = query.with_for_update(skip_locked=True)
        ids = list(self.connection.execute(query).scalars())
        if not ids:
            return []
        # The condition again: a row another sender claimed since it was read is not taken from it.
        claimed = (
            update(outbox)
            .where(outbox.c.id.in_(ids), claimable)
            .values(state=OutboxState.SENDING.value, claim=token, claimed_at=at)
        )
        self.connection.execute(claimed)
        rows = self.connection.execute(
            select(outbox).where(outbox.c.id.in_(ids), outbox.c.claim == token).order_by(outbox.c.id)
        ).mappings()
        return [_outgoing(r) for r in rows]

    def take(self, message_id: int, token: str, *, at: datetime) -> Outgoing | None:
        taken = self.connection.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.claim == token, outbox.c.state == OutboxState.SENDING.value)
            .values(claimed_at=at, attempts=outbox.c.attempts + 1, address=ADDRESS)
            .returning(*RETURNED)
        ).mappings()
        row = taken.first()
        return None if row is None else _outgoing(row)

    def settle(self, message: Outgoing, token: str, result: Result, *, at: datetime, retry_at: datetime | None) -> bool:
        error = result.error[:MAX_ERROR] if result.error else None
        if result.outcome is Outcome.SENT:  # delivered is the truth, whoever holds the claim now
            mine = outbox.c.state != OutboxState.SENT.value
            values: dict[str, Any] = {"state": OutboxState.SENT.value, "sent_at": at, "error": None}
        else:
            mine = and_(outbox.c.claim == token, outbox.c.state == OutboxState.SENDING.value)
            state = OutboxState.PENDING if result.outcome is Outcome.RETRY else OutboxState(result.outcome.value)
            values = {"state": state.value, "error": error, "next_at": retry_at}
        done = self.connection.execute(
            update(outbox).where(outbox.c.id == message.id, mine).values(claim=None, **values),
            execution_options=COUNTED,
        )
        return done.rowcount == 1

    def counts(self) -> dict[tuple[str, str], int]:
        query = select(outbox.c.channel, outbox.c.state, func.count()).group_by(outbox.c.channel, outbox.c.state)
        return {(channel, state): count for channel, state, count in self.connection.execute(query)}

    def troubled(self, limit: int) -> list[dict[str, Any]]:
        query = (
            select(outbox.c.id, outbox.c.channel, outbox.c.recipient, outbox.c.address, outbox.c.state)
            .add_columns(outbox.c.attempts, outbox.c.error, outbox.c.claimed_at, outbox.c.case_id)
            .where(outbox.c.state.in_([OutboxState.FAILED.value, OutboxState.UNCERTAIN.value]))
            .order_by(outbox.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.connection.execute(query).mappings()]

    def message(self, message_id: int) -> dict[str, Any] | None:
        query = select(
            outbox.c.id,
            outbox.c.state,
            outbox.c.channel,
            outbox.c.person_id,
            outbox.c.address,
            select(person.c.mobile).where(person.c.id == outbox.c.person_id).scalar_subquery().label("registered"),
        ).where(outbox.c.id == message_id)
        row = self.connection.execute(query).mappings().first()
        return None if row is None else dict(row)

    def reopen(self, message_id: int, state: str, *, expected: str, readdress: bool) -> bool:
        values: dict[str, Any] = {"state": state, "next_at": None, "claim": None}
        if state == OutboxState.PENDING.value:
            values["attempts"] = 0
        if readdress:
            values["address"] = None
        done = self.connection.execute(
            update(outbox).where(outbox.c.id == message_id, outbox.c.state == expected).values(**values),
            execution_options=COUNTED,
        )
        return done.rowcount == 1


def _outgoing(row: RowMapping) -> Outgoing:
    return Outgoing(
        row["id"], row["channel"], row["address"], row["language"], row["subject"], row["body"], row["attempts"]
    )
