"""The payroll's states and kinds, one enum each: the tables' CHECK constraints are built from them."""

from __future__ import annotations

from enum import StrEnum


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
