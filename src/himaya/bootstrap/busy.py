"""A store too busy to take a write: SQLite lets one connection write at a time, and a second
writer waits (the engine's 30 s timeout) and then fails with "database is locked". That is no
fault of the command or the request: it is said in a line and a status, never as a traceback."""

from __future__ import annotations

import sys

SAID = (
    "the database is busy: another command or the service is writing to it, and SQLite lets one write "
    "at a time; nothing was changed: try again when it has finished"
)


def busy(error: BaseException) -> bool:
    """Whether `error` is the store refusing a write for another's, as opposed to any other failure.
    (A command that never opened the store never imported SQLAlchemy: then it is not; importing it
    here would cost every command a third of a second.)"""
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(error, errors.OperationalError):
        return False
    return "database is locked" in str(error.orig)
