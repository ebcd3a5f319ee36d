"""The unit of work: one transaction that an action's check, write and audit entry share.

    with uow:
        run = uow.payroll.run_for(period)     # the check ...
        uow.payroll.move(run, ...)            # ... and the write, in one transaction
        uow.audit.record([...], actor=actor)  # with its audit entry
        uow.emit(PayrollApproved(...))
        uow.commit()                          # events are handled after this

Leaving the block without `commit()` (an error, a refusal) rolls everything back. A capability
declares, in its `ports.py`, the unit of work it needs: this protocol plus the stores it reads and
writes. `db/uow.py` implements all of them on one database connection.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self

from himaya.core.audit import AuditLog
from himaya.core.events import Event


class UnitOfWork(Protocol):
    audit: AuditLog

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...

    def reading(self) -> Self:
        """For the next `with` block, which only reads: it may then run beside the writers (on SQLite
        it takes no write lock), and its `audit` writes nothing (a read's entry goes in a block after)."""

    def commit(self) -> None:
        """Commit the transaction, then hand the events emitted in it to their handlers."""

    def emit(self, event: Event) -> None:
        """Tell `event` once the transaction has committed (never if it rolls back)."""


def record_read(uow: UnitOfWork, subject: str, what: dict[str, Any], *, actor: str) -> None:
    """A read's entry on the audit chain, in a block of its own once the read is done (in
    `uow.reading()`: on SQLite without the write lock, so reads run side by side) and before anything
    is shown: only this short block holds the chain's lock. If it fails, the read is not answered."""
    with uow:
        uow.audit.record_read(subject, what, actor=actor)
        uow.commit()
