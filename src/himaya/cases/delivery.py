"""Delivering the outbox: claim a batch in one transaction, then for each message take it (its own
claim renewed), hand it to its channel and record the result (with the next message's take) in its
own transaction. What a message never does is go out twice:

- a claim is a state (`sending`), a token and a time, committed before anything is sent, and two
  senders never claim the same message (row locks skipped on PostgreSQL, the single writer on SQLite,
  and the claiming UPDATE's condition on both);
- the lease runs per message, not per batch: just before a message is handed over its sender takes it,
  a conditional UPDATE (still its claim, still `sending`) that starts the message's lease, counts the
  attempt and fixes the address; a message whose claim another sender took over once the batch's
  lease ran out fails that UPDATE and is left to that sender, never handed over by both;
- a message found still `sending` after the lease (its sender died between handing it over and
  recording it) is sent again only on a channel whose far end de-duplicates by the message's id
  (the SMS gateway's idempotency key); on any other (SMTP) it becomes `uncertain` for a person to
  check (`himaya notify resend|confirm`): at most once, never twice;
- a failure known not to have delivered (no connection, a temporary refusal) is retried with an
  exponential backoff; a refusal for good (a bad address) or the last attempt's failure is `failed`.

docs/notifications.md states the guarantee of each channel.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from himaya.cases.model import Delivery, OutboxState, Outcome, Outgoing, Result
from himaya.cases.ports import Channel, OutboxUnitOfWork
from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.faults import checkpoint


@dataclass(frozen=True)
class Policy:
    """How the sender paces itself (`core/settings.py`: the HIMAYA_NOTIFY_* variables)."""

    batch: int = 100  # messages claimed in one transaction
    lease: int = 300  # seconds after which a claim is taken to be a sender that stopped
    backoff: int = 60  # seconds before the first retry; doubled at each further one
    max_backoff: int = 6 * 3600
    attempts: int = 6  # attempts before a message that keeps failing is given up


@dataclass
class Sent:
    """What one run of the sender did: messages by outcome of their attempt."""

    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    lost_claims: int = 0  # results not recorded: another sender took the message over after the lease
    staff: int = 0  # staff messages marked delivered to their recipients' inboxes (`cases/staff.py`)


def retry_at(policy: Policy, attempts: int, at: datetime) -> datetime:
    """When a message that failed its `attempts`-th attempt is tried again."""
    delay = min(policy.backoff * 2 ** max(attempts - 1, 0), policy.max_backoff)
    return at + timedelta(seconds=delay)


def settled(policy: Policy, message: Outgoing, result: Result) -> Result:
    """The result as recorded: a retry past the last attempt is a failure."""
    if result.outcome is Outcome.RETRY and message.attempts >= policy.attempts:
        return Result(Outcome.FAILED, f"gave up after {message.attempts} attempts: {result.error}")
    return result


def send_due(
    uow: OutboxUnitOfWork,
    channels: Mapping[str, Channel],
    *,
    actor: str,
    policy: Policy = Policy(),
    clock: Callable[[], datetime] = now,
) -> Sent:
    """Deliver every message due on the configured channels, a batch at a time, until none is left.
    A channel that cannot de-duplicate has its messages claimed one at a time: a sender that dies
    leaves at most one of them uncertain, not a whole batch it never began.

    Each message is taken just before it is handed over, in the transaction that claimed its batch
    (the first) or that recorded the message before it (the others): one commit a message, and its
    lease starts when it is taken, not when its batch was claimed."""
    actor = canonical_actor(actor)
    done = Sent()
    safe = [name for name, channel in channels.items() if channel.resend_safe]
    started = clock()  # a retry falling due during the run waits for the next run: no tight loop
    for group, limit in ((safe, policy.batch), ([n for n in channels if n not in safe], 1)):
        while group:
            token = secrets.token_hex(16)
            with uow:
                batch = uow.outbox.claim(
                    group, resend_safe=safe, token=token, at=clock(), due_by=started, lease=policy.lease, limit=limit
                )
                queue = _Queue(iter(batch), token)
                message = queue.take(uow, clock(), done)
                if batch:  # the audit chain's lock last, as every writer takes it: no deadlock with rows
                    what = {"ids": [m.id for m in batch], "claim": token}
                    uow.audit.record([Change("notify.claim", "outbox", None, what)], actor=actor)
                uow.commit()
            if not batch:
                break
            while message is not None:
                result = settled(policy, message, channels[message.channel].send(message))
                checkpoint("notify.send:handed")  # delivered, not yet recorded: a kill here is the hard case
                message = _record(uow, message, result, queue, policy, clock, actor=actor, done=done)
    return done


@dataclass(frozen=True)
class _Queue:
    """A claimed batch's messages not taken yet, and the claim's token."""

    claimed: Iterator[Outgoing]
    token: str

    def take(self, uow: OutboxUnitOfWork, at: datetime, done: Sent) -> Outgoing | None:
        """The next message still ours, taken (its lease from `at`), in the caller's transaction,
        which commits before it is handed over; the ones another sender took over after the
        batch's lease are left to it. None when the batch is done."""
        for claimed in self.claimed:
            message = uow.outbox.take(claimed.id, self.token, at=at)
            if message is not None:
                return message
            done.lost_claims += 1
        return None


def _record(
    uow: OutboxUnitOfWork,
    message: Outgoing,
    result: Result,
    queue: _Queue,
    policy: Policy,
    clock: Callable[[], datetime],
    *,
    actor: str,
    done: Sent,
) -> Outgoing | None:
    """Record the message's result and take the next one, in one transaction; the time is read
    once it has begun (on SQLite: holds the write lock), so that a wait for the lock does not
    shorten the next message's lease."""
    with uow:
        at = clock()
        later = retry_at(policy, message.attempts, at) if result.outcome is Outcome.RETRY else None
        recorded = uow.outbox.settle(message, queue.token, result, at=at, retry_at=later)
        following = queue.take(uow, at, done)
        if recorded:  # the audit chain's lock last (see send_due)
            after = {
                "outcome": result.outcome.value,
                "attempts": message.attempts,
                "address": message.address,  # the one it was handed over to
                "error": result.error,
            }
            change = Change(f"notify.{result.outcome.value}", f"outbox:{message.id}", None, after)
            uow.audit.record([change], actor=actor)
        uow.commit()
    if recorded:
        done.counts[result.outcome.value] += 1
    else:  # another sender took it over after its lease (this sender was taken for dead)
        done.lost_claims += 1
    return following


@dataclass(frozen=True)
class Status:
    counts: dict[tuple[str, str], int]  # (channel, state) -> messages
    troubled: list[dict[str, object]]  # failed and uncertain messages, newest first, with their error


def status(uow: OutboxUnitOfWork, *, limit: int = 20) -> Status:
    with uow:
        return Status(uow.outbox.counts(), uow.outbox.troubled(limit))


REOPEN = {"resend": OutboxState.PENDING, "confirm": OutboxState.SENT}
# The states a person's decision applies to: a failed message was refused or given up (never
# delivered: it is resent, not confirmed); an uncertain one may have arrived (either).
REOPENABLE = {
    "resend": (OutboxState.FAILED.value, OutboxState.UNCERTAIN.value),
    "confirm": (OutboxState.UNCERTAIN.value,),
}
WHY_NOT = {
    "resend": "only a failed or uncertain message can be resent",
    "confirm": "only an uncertain message can be confirmed delivered (a failed one was refused or given up: resend it)",
}
REREAD = frozenset({Delivery.SMS.value})  # channels whose address is the registry's (a person's mobile)


def reopen(uow: OutboxUnitOfWork, message_id: int, how: str, *, actor: str) -> dict[str, object]:
    """A person's decision on a failed or uncertain message: `resend` it (after checking that it did not
    arrive: the mail server's log has its Message-ID), or `confirm` that an uncertain one was delivered.

    A resent SMS goes to the person's mobile on record when it is sent, not the number it went to
    before (the reason to resend is often that number's correction): its address is cleared, and
    the next sender reads it again. Returns the message as it was, with `registered` (its person's
    mobile on record now) and `readdressed` (whether the address will be read again)."""
    if how not in REOPEN:
        raise InvalidInputError(f"{how!r}: a message is either resent (resend) or confirmed delivered (confirm)")
    actor = canonical_actor(actor)
    with uow:
        row = uow.outbox.message(message_id)
        if row is None:
            raise NotFoundError(f"no message {message_id} in the outbox")
        if row["state"] not in REOPENABLE[how]:
            raise ConflictError(f"message {message_id} is {row['state']}: {WHY_NOT[how]}")
        readdress = how == "resend" and row["channel"] in REREAD and row["person_id"] is not None
        if readdress and not row["registered"]:
            raise InvalidInputError(
                f"message {message_id}: the person has no mobile on record now; record one first, then resend"
            )
        if not uow.outbox.reopen(message_id, REOPEN[how].value, expected=row["state"], readdress=readdress):
            raise StaleRecordError(f"message {message_id} changed meanwhile (a sender took it?): look again")
        before = {"state": row["state"], "address": row["address"]}
        after = {"state": REOPEN[how].value, "address": row["registered"] if readdress else row["address"]}
        uow.audit.record([Change(f"notify.{how}", f"outbox:{message_id}", before, after)], actor=actor)
        uow.commit()
    return row | {"readdressed": readdress}
