"""An application's decision: the rules run on the applicant's family with the facts the application
claims; an approval writes those facts through the registry's own write path (validated and dated
from the day of the application, with the registry's audit entries, the case named as their source)
in the decision's transaction, and tells, after commit, that the family's enrollments are to be
planned again; a refusal, and an approval the rules do not support, name the conditions that failed,
in Arabic and English. A supervisor's override skips the rules' decision, never the registry's
validation of the facts.

The rules' verdict comes from the engine's own explanation (`policy.explain`), so the reason a case
gives can never disagree with what the payroll would pay.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl

from himaya.cases.model import ApplicationApproved
from himaya.cases.ports import ApplicationsUnitOfWork
from himaya.core.access import Principal, Role
from himaya.core.errors import (
    ConflictError,
    ForbiddenError,
    InputTableError,
    InvalidInputError,
    NotFoundError,
    quoted,
)
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.case_types import Approval, CaseType
from himaya.policy.explain import ProgrammeExplanation, explain
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree
from himaya.registry.actions import write_facts
from himaya.registry.ports import RecordContract
from himaya.registry.rules import cell_text

NOT_PAID = Text("the benefit's amount for the month is zero", "مبلغ المنفعة للشهر صفر")


@dataclass(frozen=True)
class Desk:
    """What deciding an application needs beside the store: the registry's contract (the same
    validation as every registry write) and the pack's rules (`bootstrap.application_desk`)."""

    contract: RecordContract
    pack: PolicyPack
    tree: ParameterTree | None = None  # default: the pack's parameters


@dataclass(frozen=True)
class Verdict:
    """What the rules say of the application for the month, with its facts applied."""

    programme: str
    entitled: bool
    amount: int  # baisa a month
    failed: tuple[Text, ...]  # the conditions that did not hold (or why nothing is paid)
    since: date | None = None  # the day the benefit is due from, once approved (an exception's first month)

    def reason(self, language: str) -> str:
        return ("؛ " if language == "ar" else "; ").join(t.ar if language == "ar" else t.en for t in self.failed)

    def record(self) -> dict[str, Any]:
        """As the case keeps it (`case_file.rules`, JSON)."""
        return {
            "programme": self.programme,
            "entitled": self.entitled,
            "amount": self.amount,
            "failed": [{"en": t.en, "ar": t.ar} for t in self.failed],
        }


class NotEntitledError(ConflictError):
    """An approval the rules do not support (refused unless a supervisor overrides it, with a reason)."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        super().__init__(message)
        self.verdict = verdict


def facts(approval: Approval, form: Mapping[str, Any]) -> dict[str, Any]:
    """The registry columns an approved application writes, from its form.

    >>> from himaya.policy.case_types import Approval
    >>> rule = Approval("programme", {"orphan": {"{deceased_parent}_deceased": True}})
    >>> facts(rule, {"programme": "orphan", "deceased_parent": "mother"})
    {'mother_deceased': True}
    """
    programme = str(form.get(approval.field))
    written = {}
    for target, source in approval.facts.get(programme, {}).items():
        column = string.Formatter().vformat(target, (), {k: str(v) for k, v in form.items()})
        value = form.get(source["field"]) if isinstance(source, Mapping) else source
        if isinstance(source, Mapping) and source.get("chars") and value is not None:
            first, last = source["chars"]
            value = str(value)[first:last]  # e.g. the bank code in an Omani IBAN
        written[column] = value
    return written


def verdict(
    people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, person: str, programme: str, period: Period
) -> Verdict:
    """The rules on the family table for `period`: the applicant's explanation of the programme (a
    family programme's is its recipient's), whether it pays, and the conditions that did not hold."""
    found_person = people.filter(pl.col(pack.person_column) == person)
    if found_person.is_empty():
        raise ConflictError(f"person {person} is not a member of their family in {period}: the rules cannot be run")
    family = str(found_person[pack.family_column][0])
    explained = explain(people, pack, tree, period, family_id=family)
    found: list[ProgrammeExplanation] = []
    for member in sorted(explained.persons, key=lambda p: p.person_id != person):
        found += [p for p in member.programmes if p.key == programme]
    if not found:
        raise ConflictError(f"the rules of the pack have no programme {programme!r} for this family")
    paid = max(found, key=lambda p: p.amount)
    failed = tuple(c.label for c in paid.conditions if not c.holds) + paid.withheld
    if paid.amount <= 0 and not failed:
        failed = (NOT_PAID,)
    return Verdict(programme, paid.amount > 0, paid.amount, failed if paid.amount <= 0 else ())


def _overlay(people: pl.DataFrame, column: str, person: str, values: Mapping[str, Any]) -> pl.DataFrame:
    """The family table with the applicant's row holding the application's facts (nothing written)."""
    changes = [
        pl.when(pl.col(column) == person).then(pl.lit(v, dtype=people.schema[c])).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
        if c in people.columns
    ]
    return people.with_columns(changes) if changes else people


def decide(
    uow: ApplicationsUnitOfWork,
    desk: Desk,
    kind: CaseType,
    case: Mapping[str, Any],
    target: str,
    *,
    override: str | None,
    principal: Principal,
    day: date,
    prepares: bool = False,
    by: str | None = None,
) -> Verdict | None:
    """Inside the decision's unit of work: the rules' verdict on the application (approved or refused,
    or the move that `prepares` the decision: the check the decider then reads), and on approval the
    facts written and the replanning told. None for any other move. `by`: the appeal whose grant
    approves the application now (the facts' source, and the replanning's reason)."""
    approval = kind.approval
    if approval is None or (target not in (approval.approved, approval.refused) and not prepares):
        return None
    if override is not None and target != approval.approved:
        raise InvalidInputError(f"override: only an approval may override the rules, not a move to {target}")
    civil = str(case["civil_number"])
    key = uow.registry.visible_id(principal, civil)
    membership = uow.registry.family_of(key) if key is not None else None
    current = uow.registry.current_row(key) if key is not None else None
    if key is None or membership is None or current is None:
        raise NotFoundError(f"case {case['number']}: the applicant {civil} has no current record in your branches")
    values = facts(approval, case["form"])
    approving = target == approval.approved
    typed = typed_record(desk, approval, case, current, values, approving=approving, labels=kind.labels)
    if isinstance(typed, Verdict):
        return typed
    people = uow.cases.family_people(principal, membership[0], day)
    if people is None or people.is_empty():
        raise NotFoundError(f"case {case['number']}: no family {membership[0]} in your branches on {day}")
    people = _overlay(people, desk.pack.person_column, civil, {c: typed[c] for c in values})
    tree = desk.tree or desk.pack.parameters
    found = verdict(people, desk.pack, tree, civil, str(case["form"][approval.field]), Period.containing(day))
    if target != approval.approved:
        return found
    if not found.entitled:
        check_override(case["number"], found, override, principal)
    elif override is not None:
        raise InvalidInputError("override: the rules support this approval; no override is needed (leave it out)")
    applied = date.fromisoformat(str(case["form"].get(approval.effective) or day))
    if current["birth_date"] is not None and applied < current["birth_date"]:
        raise ConflictError(
            f"case {case['number']}: form field {approval.effective} {applied} is before the applicant's birth date on"
            f" record ({current['birth_date']}): the facts cannot be dated from it; refuse the application"
        )
    write_facts(
        uow, desk.contract, key, civil, "person.application", values, expected_version=uow.registry.version(civil),
        as_of=applied, actor=principal.username, source=f"case {by or case['number']}",
    )  # fmt: skip
    programme, what, number = str(case["form"][approval.field]), "appeal" if by else "application", by or case["number"]
    uow.emit(ApplicationApproved(membership[0], number, principal.username, applied, programme, day, what))
    return replace(found, since=applied)


def typed_record(
    desk: Desk,
    approval: Approval,
    case: Mapping[str, Any],
    current: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    approving: bool,
    labels: Mapping[str, Text] | None = None,
) -> dict[str, Any] | Verdict:
    """The applicant's record with the application's facts, through the registry's own validation. Facts
    it refuses are refused to an approval (an override skips the rules' decision, never this); to a
    refusal, or its preparation, they are the reason the rules give: the verdict then."""
    cells = desk.contract.cells(current) | {k: cell_text(v) for k, v in values.items()}
    if desk.contract.place in values and "governorate" not in values:
        cells["governorate"] = None  # derived from the new place, as the registry's write path does
    try:
        return desk.contract.validate([cells], source=f"case {case['number']}").row(0, named=True)
    except InputTableError as error:
        if approving:
            raise invalid_facts(approval, case, error) from None
        said = "; ".join(f"{p.column} {quoted(p.value) if p.value else '(empty)'}: {p.rule}" for p in error.problems)
        failed = Text(f"the application's facts are not valid: {said}", _invalid_ar(approval, case, error, labels))
        return Verdict(str(case["form"][approval.field]), False, 0, (failed,))


def _invalid_ar(
    approval: Approval, case: Mapping[str, Any], error: InputTableError, labels: Mapping[str, Text] | None
) -> str:
    """The refusal's reason in Arabic: the form's fields by their Arabic labels, never a registry
    column's name or the English rule (the person reads it in an SMS or a letter)."""
    sources = _sources(approval, case["form"])
    named: dict[str, None] = {}
    for problem in error.problems:
        field = str(sources[problem.column]["field"]) if problem.column in sources else None
        label = (labels or {}).get(field) if field else None
        named[label.ar if label else "بيانات أخرى في السجل"] = None
    return "بيانات الطلب غير صالحة ولا يقبلها السجل: " + "، ".join(named)


def invalid_facts(approval: Approval, case: Mapping[str, Any], error: InputTableError) -> InputTableError:
    """The registry's refusal of an approval's facts (the people table's validation: types, ranges,
    the registry's rules), each problem naming the form field its value came from."""
    fields = {column: f"form field {source['field']}; " for column, source in _sources(approval, case["form"]).items()}
    said = "an approval, even by override, writes only what the registry accepts"
    return InputTableError(
        f"case {case['number']}: the facts its approval would write",
        [replace(p, rule=f"{p.rule} ({fields.get(p.column, '')}{said})") for p in error.problems],
    )


def _sources(approval: Approval, form: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The registry columns the approval writes from a form field: column -> {field: NAME}."""
    programme = str(form.get(approval.field))
    named = {k: str(v) for k, v in form.items()}
    return {
        string.Formatter().vformat(target, (), named): source
        for target, source in approval.facts.get(programme, {}).items()
        if isinstance(source, Mapping)
    }


def check_override(number: str, found: Verdict, override: str | None, principal: Principal) -> None:
    said = f"case {number}: the rules do not support this approval: {found.reason('en')} ({found.reason('ar')})"
    if override is None:
        raise NotEntitledError(f"{said}; refuse it, or a supervisor may override with a reason", found)
    if Role.SUPERVISOR.value not in principal.roles:
        raise ForbiddenError(f"{said}; only a supervisor may override the rules")
