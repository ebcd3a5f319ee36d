"""The payroll's states and kinds, one enum each (the tables' CHECK constraints are built from
them), what its actions answer, and the events they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from himaya.core.errors import ConflictError
from himaya.core.events import Event
from himaya.core.periods import Period


class RunState(StrEnum):
    CALCULATED = "calculated"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    EXPORTED = "exported"
    RECONCILED = "reconciled"
    CLOSED = "closed"


class RunAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    EXPORT = "export"  # only through the export, which writes the files
    RECONCILE = "reconcile"  # only through a bank answer, once no line waits for the bank
    CLOSE = "close"


class LineStatus(StrEnum):
    PENDING = "pending"  # to be sent
    EXCEPTION = "exception"  # held: no account for the payee
    EXPORTED = "exported"  # in a file sent to the bank
    PAID = "paid"
    REJECTED = "rejected"
    RETURNED = "returned"


class LineKind(StrEnum):
    REGULAR = "regular"
    ARREARS = "arrears"


class DebtStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    UNRECOVERABLE = "unrecoverable"


class Outcome(StrEnum):
    """What a bank's answer says of one transfer."""

    PAID = "paid"
    REJECTED = "rejected"
    RETURNED = "returned"
    PENDING = "pending"


def check_in(column: str, values: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint keeping `column` to the enum's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PayrollError(ConflictError):
    """A payroll action that cannot be carried out as asked; nothing was changed."""


@dataclass(frozen=True)
class RunSummary:
    period: Period
    state: str
    lines: int
    amount: int  # baisa payable: the lines that go to the bank (after recoveries), held lines not included
    exceptions: int
    arrears: int
    reissued: int
    recovered: int = 0  # baisa deducted for debts
    held: int = 0  # baisa of the lines held for want of an account (paid once one is registered)

    def plain(self) -> dict[str, Any]:
        """The figures as the audit trail records them."""
        return {
            "state": self.state,
            "lines": self.lines,
            "amount": self.amount,
            "exceptions": self.exceptions,
            "arrears": self.arrears,
            "reissued": self.reissued,
            "recovered": self.recovered,
            "held": self.held,
        }


@dataclass(frozen=True)
class Reconciliation:
    kind: str
    paid: int  # lines that became paid by this answer (likewise rejected and returned)
    rejected: int
    returned: int
    pending: int  # transfers the bank still works on
    runs: list[str]
    unchanged: int = 0  # transfers already in the state the answer gives (the answer loaded again)


# What `status` reports of each run, besides who did what.
STATUS_COUNTS = [s.value for s in LineStatus]
STATUS_COLUMNS = ["lines", "payable", "held", "paid_amount", *STATUS_COUNTS]
NO_FIGURES = dict.fromkeys(STATUS_COLUMNS, 0)


@dataclass(frozen=True)
class RunCalculated(Event):
    period: Period
    summary: RunSummary
    actor: str


@dataclass(frozen=True)
class RunMoved(Event):
    """A run submitted, approved, exported, reconciled or closed."""

    period: Period
    before: RunState
    after: RunState
    actor: str


@dataclass(frozen=True)
class BankAnswerApplied(Event):
    file: str
    result: Reconciliation
    actor: str


@dataclass(frozen=True)
class Run:
    """A run as read, with the version its next move starts from."""

    id: int
    period: date
    state: RunState
    version: int
    created_by: str | None
    submitted_by: str | None
    approved_at: Any  # datetime of the approval: the payment files' creation time
    seal: str | None
    export: str | None = None  # JSON: what the files were written with, and their SHA-256 (`export.record`)
