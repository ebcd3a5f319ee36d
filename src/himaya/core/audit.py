"""The audit trail as the capabilities see it: a change to record, and the log that records it.

`db/audit.py` keeps the trail (hash-chained, in the changing transaction); an action only says
what it changed, through its unit of work's `audit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from himaya.core.errors import InvalidInputError, quoted


@dataclass(frozen=True)
class Change:
    """What an action did to one subject, for the audit trail."""

    action: str  # e.g. registry.import, person.update, payroll.approve
    subject: str  # e.g. person:12345678, run:2026-01
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditLog(Protocol):
    def record(self, changes: Sequence[Change], *, actor: str) -> list[str]:
        """Append the changes to the trail, in the unit of work's transaction: their entries' hashes,
        in order (each entry's key on the trail)."""

    def record_read(self, subject: str, what: dict[str, Any], *, actor: str) -> None:
        """Append a read's entry (action `read`), in a transaction that writes nothing else: on
        PostgreSQL its commit need not wait for the disk (`db.audit.record_read`)."""


MAX_ACTOR = 128  # characters of an actor's name (a user name has at most 64; `cli:` and an OS user less)


def check_actor(actor: str) -> str:
    """The actor's name, if the audit trail can hold it as one reads it: not blank, at most
    `MAX_ACTOR` characters, and no control, bidi, format or separator character but the space (a
    name that reads backwards, hides a part, breaks a line or drives the terminal of whoever reads
    the trail).

    >>> check_actor("cli:huda al-balushi")
    'cli:huda al-balushi'
    >>> check_actor("admin\u202egnp.exe")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    himaya.core.errors.InvalidInputError: the actor ...: a control, bidi or format character (U+202E at character 6) ...
    """
    if not actor.strip():
        raise InvalidInputError("the actor is blank: say who acts (--actor or HIMAYA_ACTOR)")
    if len(actor) > MAX_ACTOR:
        raise InvalidInputError(f"the actor {quoted(actor)}: at most {MAX_ACTOR} characters, not {len(actor)}")
    if not actor.isprintable():  # Unicode's "other" and "separator" classes, the ASCII space apart
        at, bad = next((n, c) for n, c in enumerate(actor, 1) if not c.isprintable())
        raise InvalidInputError(
            f"the actor {quoted(actor)}: a control, bidi or format character (U+{ord(bad):04X} at character {at})"
            " is not allowed in a name"
        )
    return actor


def canonical_actor(actor: str) -> str:
    """How an actor is written down and compared: without surrounding blanks, case folded, so that
    `" Finance:Salim "` and `finance:salim` are one user (the user store's names are lower case);
    refused if the trail could not hold it as one reads it (`check_actor`)."""
    return check_actor(actor).strip().casefold()
