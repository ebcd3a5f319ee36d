"""The unit of work on the store: one connection, one transaction, the stores built on it.

See `core/uow.py` for how an action uses it. Stores are made on first use, all on the same
connection, so that whatever an action reads and writes through any of them is one transaction.
On SQLite the transaction takes the write lock when it begins (`engine.py`), so two actions
queue rather than interleave; on PostgreSQL a check that must hold until the write uses a row
lock or a versioned update whose row count is checked. A block entered with `reading()` only
reads: on SQLite it does not take the write lock, and it has no audit trail to write to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, RootTransaction

from himaya.core.audit import AuditLog, Change
from himaya.core.events import Event
from himaya.db.audit import SqlAuditLog
from himaya.db.engine import READING
from himaya.db.stores.access import SqlAccessStore
from himaya.db.stores.awards import SqlAwardStore
from himaya.db.stores.cases import SqlCaseStore
from himaya.db.stores.crvs import SqlCrvsStore
from himaya.db.stores.dci import SqlDciStore, SqlPartnerStore
from himaya.db.stores.dci_notify import SqlNotifyStore
from himaya.db.stores.dci_subscriptions import SqlSubscriptionStore
from himaya.db.stores.enrollments import SqlEnrollmentStore
from himaya.db.stores.events import SqlEventStore
from himaya.db.stores.exceptions import SqlExceptionStore
from himaya.db.stores.insurance import SqlInsuranceStore
from himaya.db.stores.letters import SqlLetterStore
from himaya.db.stores.outbox import SqlOutboxStore
from himaya.db.stores.payroll import SqlPayrollStore
from himaya.db.stores.referrals import SqlReferralStore
from himaya.db.stores.registry import SqlRegistryStore
from himaya.db.stores.staff import SqlStaffStore
from himaya.db.stores.stops import SqlStopStore

Dispatch = Callable[[Sequence[Event]], None]


class SqlUnitOfWork:
    audit: AuditLog  # an `SqlAuditLog` on the unit's connection, made on entering

    def __init__(self, engine: Engine, *, dispatch: Dispatch | None = None) -> None:
        self.engine = engine
        self._dispatch = dispatch
        self._events: list[Event] = []
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._reading = False

    def reading(self) -> Self:
        """The next `with` block only reads (`engine.reading`: on SQLite, no write lock, so reads
        do not queue behind each other and the writers). Its audit entry is written after, in a
        block of its own: `uow.audit` refuses to write in this one."""
        self._reading = True
        return self

    def __enter__(self) -> Self:
        self._connection = self.engine.connect()
        if self._reading:
            self._connection.execution_options(**{READING: True})
        self._transaction = self._connection.begin()
        self._events = []
        self.audit: AuditLog = _NoAudit() if self._reading else SqlAuditLog(self._connection)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._transaction = None
            self._reading = False

    @property
    def connection(self) -> Connection:
        """The unit's connection, for the stores of `db/` (never for business code)."""
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._connection

    @property
    def dci(self) -> SqlDciStore:
        return SqlDciStore(self.connection)

    @property
    def partners(self) -> SqlPartnerStore:
        return SqlPartnerStore(self.connection)

    @property
    def subscriptions(self) -> SqlSubscriptionStore:
        """Partners' DCI subscriptions (`adapters/dci/ports.py`: SubscriptionStore)."""
        return SqlSubscriptionStore(self.connection)

    @property
    def notifications(self) -> SqlNotifyStore:
        """The DCI notifications queued by changes, to render and send (`adapters/dci/ports.py`)."""
        return SqlNotifyStore(self.connection)

    def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        self._transaction.commit()
        events, self._events = self._events, []
        if events and self._dispatch is not None:
            self._dispatch(events)

    def emit(self, event: Event) -> None:
        self._events.append(event)

    @property
    def access(self) -> SqlAccessStore:
        """Accounts, failed logins and refresh tokens (`access/ports.py`)."""
        return SqlAccessStore(self.connection)

    @property
    def registry(self) -> SqlRegistryStore:
        """The registry's store, on the unit's connection."""
        return SqlRegistryStore(self.connection)

    @property
    def cases(self) -> SqlCaseStore:
        """The cases' store and their notification outbox (`cases/ports.py`)."""
        return SqlCaseStore(self.connection)

    @property
    def referrals(self) -> SqlReferralStore:
        """The referrals to services: proposals, consent, the providers' reads (`cases/ports.py`)."""
        return SqlReferralStore(self.connection)

    @property
    def stops(self) -> SqlStopStore:
        """The benefits stopped by the enrollment sync, as decisions (`cases/ports.py`: StopStore)."""
        return SqlStopStore(self.connection)

    @property
    def exceptions(self) -> SqlExceptionStore:
        """A supervisor's exceptions: overrides that hold in the payroll (`cases/ports.py`: ExceptionStore)."""
        return SqlExceptionStore(self.connection)

    @property
    def outbox(self) -> SqlOutboxStore:
        """The notification outbox's sender side (`cases/ports.py`: OutboxStore)."""
        return SqlOutboxStore(self.connection)

    @property
    def letters(self) -> SqlLetterStore:
        """The letters waiting at the branches and their printed batches (`cases/ports.py`: LetterStore)."""
        return SqlLetterStore(self.connection)

    @property
    def staff(self) -> SqlStaffStore:
        """The staff messages as their recipients read them (`cases/ports.py`: StaffStore)."""
        return SqlStaffStore(self.connection)

    @property
    def crvs(self) -> SqlCrvsStore:
        """Himaya's subscriptions to civil registries' DCI CRVS events (`adapters/crvs/ports.py`)."""
        return SqlCrvsStore(self.connection)

    @property
    def events(self) -> SqlEventStore:
        """The life events' inbox (`events/ports.py`)."""
        return SqlEventStore(self.connection)

    @property
    def payroll(self) -> SqlPayrollStore:
        """The payroll's runs, lines, debts and bank answers (`payroll/ports.py`)."""
        return SqlPayrollStore(self.connection)

    @property
    def enrollments(self) -> SqlEnrollmentStore:
        """The enrollments of the monthly sync (`enrollment/ports.py`)."""
        return SqlEnrollmentStore(self.connection)

    @property
    def insurance(self) -> SqlInsuranceStore:
        """Employers, declarations, contributions due and payments (`insurance/ports.py`)."""
        return SqlInsuranceStore(self.connection)

    @property
    def awards(self) -> SqlAwardStore:
        """The insurance's awards and survivors' shares (`insurance/award_ports.py`)."""
        return SqlAwardStore(self.connection)


class _NoAudit:
    """The audit trail of a reading block: none (its entry goes in a writing block after it)."""

    def record(self, changes: Sequence[Change], *, actor: str) -> list[str]:
        raise RuntimeError("a reading unit of work writes nothing: write the audit entry in a block of its own")

    def record_read(self, subject: str, what: dict[str, Any], *, actor: str) -> None:
        self.record([], actor=actor)
