"""The staff inbox: a message to `role:ROLE@WILAYAT` (a case past its deadline, escalated) is for the
users who hold ROLE at that branch (by wilayat, by its governorate, or every branch), each reading
and marking their own copy. It is in their inbox from the moment it is written; the sender marks it
`sent` once some active user receives it, and one nobody receives stays waiting (never lost: the
first user given the role there reads it) and `himaya notify status` names it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from himaya.cases.ports import NoticesUnitOfWork
from himaya.core.access import Principal
from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import InvalidInputError, NotFoundError

PAGE = 50  # messages shown at once
MAX_IDS = 500  # messages marked read at once


def inbox(
    uow: NoticesUnitOfWork, *, principal: Principal, unread: bool = False, limit: int = PAGE
) -> list[dict[str, Any]]:
    """The user's staff messages, newest first (only the unread ones with `unread`)."""
    with uow:
        return uow.staff.inbox(principal, unread=unread, limit=limit)


def mark_read(
    uow: NoticesUnitOfWork, ids: Sequence[int], *, principal: Principal, clock: Callable[[], datetime] = now
) -> int:
    """Record that the user read these messages of theirs (audited, `notify.read`); a message not
    addressed to them is answered as a missing one, and nothing is marked."""
    wanted = sorted(set(ids))
    if not wanted or len(wanted) > MAX_IDS:
        raise InvalidInputError(f"ids: give 1 to {MAX_IDS} message numbers")
    with uow:
        missing = uow.staff.mark_read(principal, wanted, at=clock())
        if missing:
            raise NotFoundError(f"no message {', '.join(map(str, missing))} in your inbox")
        uow.audit.record([Change("notify.read", "staff_inbox", None, {"ids": wanted})], actor=principal.username)
        uow.commit()
    return len(wanted)


def deliver(uow: NoticesUnitOfWork, *, actor: str, clock: Callable[[], datetime] = now) -> int:
    """Mark `sent` the waiting staff messages some active user receives (audited, `notify.staff`)."""
    actor = canonical_actor(actor)
    with uow:
        ids = uow.staff.deliver(at=clock())
        if ids:
            uow.audit.record([Change("notify.staff", "outbox", None, {"ids": ids})], actor=actor)
        uow.commit()
    return len(ids)


def waiting(uow: NoticesUnitOfWork) -> tuple[dict[str, int], dict[str, int]]:
    """What only people deliver: letters waiting to be printed by branch, and staff messages no active
    user receives, by recipient (`himaya notify status`)."""
    with uow:
        return uow.letters.waiting(), uow.staff.unaddressed()
