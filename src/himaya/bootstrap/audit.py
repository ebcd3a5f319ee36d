"""The audit trail, for the entry points: verify the chain (with the signed checkpoints that anchor
it), read its entries, append a checkpoint, and what a request's reads write on it. The store
behind them is `db/audit.py` and `db/audit_checkpoints.py`; entry points reach it here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from himaya.db import audit as chain
from himaya.db import audit_checkpoints
from himaya.db.audit import KEYED, REQUEST_ID, Verification, known_keys, pseudonym, record_read, utc_stamp
from himaya.db.audit_checkpoints import Checkpoint
from himaya.db.tables import audit_entry

__all__ = [
    "KEYED",
    "REQUEST_ID",
    "TrailCheck",
    "check_trail",
    "checkpoint",
    "entries",
    "pseudonym",
    "record_read",
    "utc_stamp",
    "verify",
]


@dataclass(frozen=True)
class TrailCheck:
    """The chain recomputed (`verification`), the checkpoints held, what does not fit them
    (`anchoring`: unreadable checkpoints, entries removed before one, the expected head gone) and
    the keys the chain is keyed with (newest first)."""

    verification: Verification
    checkpoints: int
    anchoring: list[str]
    keys: tuple[bytes, ...]


def check_trail(engine: Engine, checkpoints: Path | None, *, expect_head: str | None = None) -> TrailCheck:
    """Recompute the hash chain and check it against the checkpoints file (if any) and the head
    hash an earlier verify printed (if given), in one read."""
    with engine.connect() as connection:
        result = chain.verify(connection)
        points, anchoring = audit_checkpoints.load(checkpoints) if checkpoints else ([], [])
        anchoring += audit_checkpoints.check(connection, points)
        if (
            expect_head
            and connection.execute(select(audit_entry.c.id).where(audit_entry.c.hash == expect_head)).first() is None
        ):
            anchoring.append(f"the chain no longer contains the expected head {expect_head}: entries were removed")
        keys = known_keys(connection)
    return TrailCheck(result, len(points), anchoring, keys)


def verify(engine: Engine) -> Verification:
    """The hash chain recomputed."""
    with engine.connect() as connection:
        return chain.verify(connection)


def entries(
    engine: Engine, *, after_id: int, limit: int, actor: str | None = None, action: str | None = None
) -> tuple[list[dict[str, Any]], tuple[bytes, ...]]:
    """The entries after `after_id` in order (at most `limit`, of one actor and action if given),
    and the keys the chain is keyed with (newest first)."""
    query = select(audit_entry).where(audit_entry.c.id > after_id)
    if actor is not None:
        query = query.where(audit_entry.c.actor == actor)
    if action is not None:
        query = query.where(audit_entry.c.action == action)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(audit_entry.c.id).limit(limit)).mappings().all()
        return [dict(r) for r in rows], known_keys(connection)


def checkpoint(engine: Engine, path: Path, *, start: bool = False) -> Checkpoint:
    """Verify the chain and append a signed checkpoint of its head to `path` (`start`: a new file)."""
    with engine.begin() as connection:  # begin: the first use may make the audit key
        return audit_checkpoints.make(connection, path, start=start)
