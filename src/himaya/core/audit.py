"""The audit trail as the capabilities see it: a change to record, and the log that records it.

`db/audit.py` keeps the trail (hash-chained, in the changing transaction); an action only says
what it changed, through its unit of work's `audit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from himaya.core.errors import InvalidInputError


@dataclass(frozen=True)
class Change:
    """What an action did to one subject, for the audit trail."""

    action: str  # e.g. registry.import, person.update, payroll.approve
    subject: str  # e.g. person:12345678, run:2026-01
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditLog(Protocol):
    def record(self, changes: Sequence[Change], *, actor: str) -> None:
        """Append the changes to the trail, in the unit of work's transaction."""


def canonical_actor(actor: str) -> str:
    """How an actor is written down and compared: without surrounding blanks, case folded, so that
    `" Finance:Salim "` and `finance:salim` are one user (the user store's names are lower case)."""
    name = actor.strip().casefold()
    if not name:
        raise InvalidInputError("the actor is blank: say who acts (--actor or HIMAYA_ACTOR)")
    return name
