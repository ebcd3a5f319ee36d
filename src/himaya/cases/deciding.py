"""What a move of a case does beside moving it, by what its type declares: an application's decision
runs the rules and its approval writes the facts (`applications`), a change request's approval
writes the change (`changes`), an appeal's grant reverses the decision appealed (`appeals`). Each
writes in the move's unit of work: the move and what it wrote stand or fall together. An override of
the rules records its exception there too (`exceptions`): it holds in the sync and the payroll."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from himaya.cases import appeals, applications, changes, exceptions
from himaya.cases.applications import Desk, Verdict
from himaya.cases.ports import ApplicationsUnitOfWork
from himaya.core.access import Principal
from himaya.core.errors import InvalidInputError
from himaya.core.text import an
from himaya.policy.case_types import CaseCatalogue, CaseType


@dataclass(frozen=True)
class Outcome:
    """The rules' verdict (an application's, kept on the case), and what the move wrote to the registry."""

    verdict: Verdict | None = None
    wrote: dict[str, Any] | None = None

    def rules(self, override: str | None, by: str) -> dict[str, Any] | None:
        """The verdict as the case keeps it (`case_file.rules`), with the override and its author."""
        if self.verdict is None:
            return None
        return self.verdict.record() | ({"override": override, "by": by} if override else {})


def _needs(desk: Desk | None, kind: CaseType) -> Desk:
    if desk is None:  # a wiring mistake, not the user's: every entry point passes `bootstrap.application_desk`
        raise RuntimeError(f"deciding {an(kind.key)} needs the registry and the rules (bootstrap.application_desk)")
    return desk


def outcome(
    uow: ApplicationsUnitOfWork,
    desk: Desk | None,
    catalogue: CaseCatalogue,
    kind: CaseType,
    case: dict[str, Any],
    target: str,
    *,
    override: str | None,
    principal: Principal,
    day: date,
    decides: bool,
    prepares: bool,
    terms: exceptions.Terms | None = None,
) -> Outcome:
    """A decision's (or a preparation's) consequences, inside the move's unit of work; none for
    another move (the rules are run when a decision is prepared, and when it is taken). An override
    the rules needed (the verdict not entitled) records its exception on the `terms` given with it."""
    done = _outcome(
        uow, desk, catalogue, kind, case, target, override=override, principal=principal, day=day, decides=decides,
        prepares=prepares,
    )  # fmt: skip
    found = done.verdict
    if override is None or terms is None or found is None or found.entitled or desk is None:
        return done
    held = exceptions.record(
        uow, desk.pack, case, found.programme, found.since or day, terms, override=override, principal=principal,
        day=day,
    )  # fmt: skip
    return Outcome(found, (done.wrote or {}) | {"exception": held})


def _outcome(
    uow: ApplicationsUnitOfWork,
    desk: Desk | None,
    catalogue: CaseCatalogue,
    kind: CaseType,
    case: dict[str, Any],
    target: str,
    *,
    override: str | None,
    principal: Principal,
    day: date,
    decides: bool,
    prepares: bool,
) -> Outcome:
    if not (decides or prepares):
        return Outcome()
    if kind.appeal is not None and target in kind.appeal.reverses:
        verdict, done = appeals.grant(
            uow, _needs(desk, kind), catalogue, kind, case, override=override, principal=principal, day=day
        )
        return Outcome(verdict, done)
    approval = kind.approval
    if approval is not None and not approval.rules:
        if override is not None:
            raise InvalidInputError(
                f"override: {an(kind.key)} is not judged by the rules: there is nothing to override"
            )
        if target != approval.approved or prepares:
            return Outcome()
        return Outcome(wrote=changes.decide(uow, _needs(desk, kind), kind, case, principal=principal, day=day))
    if approval is None or (target not in (approval.approved, approval.refused) and not prepares):
        if override is not None:
            raise InvalidInputError("override: only an application's approval may override the rules")
        return Outcome()
    if desk is None and prepares:  # the check at preparation is advice: the binding one is the decision's
        return Outcome()
    verdict = applications.decide(
        uow, _needs(desk, kind), kind, case, target, override=override, principal=principal, day=day, prepares=prepares
    )
    return Outcome(verdict)
