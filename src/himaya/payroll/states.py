"""The life of a payroll run, and who may move it on.

calculated -> submitted -> approved -> exported -> reconciled -> closed. Until it is submitted a
run can be calculated again; once approved it cannot change. The approver must not be the user
who submitted it (maker-checker).
"""

from __future__ import annotations

from himaya.core.errors import ConflictError, ForbiddenError

STATES = ("calculated", "submitted", "approved", "exported", "reconciled", "closed")
NEXT = {
    "submit": ("calculated", "submitted"),
    "approve": ("submitted", "approved"),
    "export": ("approved", "exported"),
    "reconcile": ("exported", "reconciled"),
    "close": ("reconciled", "closed"),
}


class PayrollStateError(ConflictError):
    """An action the run's state does not allow."""


class MakerCheckerError(ForbiddenError):
    """The same user tried to submit and approve a run."""


def check_transition(action: str, state: str) -> str:
    """The state after `action`, or why the action is not allowed now."""
    before, after = NEXT[action]
    if state != before:
        raise PayrollStateError(f"cannot {action} a run that is {state}: it must be {before}")
    return after


def check_approver(approver: str, submitter: str | None) -> None:
    if submitter is not None and approver == submitter:
        raise MakerCheckerError(
            f"{approver} submitted this run and cannot approve it: another user must (maker-checker)"
        )
