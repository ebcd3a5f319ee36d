"""The case capability's pure decisions: is a move allowed and who may make it, when a case is due
and how it stands against that, what a form must hold, whether a case is sensitive, whether an
appeal is still in time, and the words of a message. No I/O: property-tested in tests/cases.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl

from himaya.cases.model import MAX_TEXT, Inbox, NewCase, Sla
from himaya.core.access import Permission, Principal
from himaya.core.errors import ConflictError, ForbiddenError, InputTableError, InvalidInputError, quoted
from himaya.core.money import OMR, Currency
from himaya.core.text import LANGUAGES, Language, an, unsafe_character
from himaya.policy.calendar import WorkingCalendar
from himaya.policy.case_types import (
    CaseCatalogue,
    CaseType,
    Channel,
    Need,
    PersonNeeded,
    Sensitivity,
    Template,
    Transition,
)
from himaya.policy.case_types import State as CaseState
from himaya.policy.schema import Kind
from himaya.policy.table import validate_table
from himaya.registry.actions import in_branches
from himaya.registry.rules import cell_text

NUMBER = re.compile(r"^C-(?P<year>[0-9]{4})-(?P<seq>[0-9]{6,})$")
NEEDS = {Need.WORK: Permission.CASE_WORK, Need.DECIDE: Permission.CASE_DECIDE}


def case_number(year: int, sequence: int) -> str:
    """The number of a year's `sequence`-th case.

    >>> case_number(2026, 1)
    'C-2026-000001'
    """
    return f"C-{year}-{sequence:06d}"


def case_type(catalogue: CaseCatalogue, key: str) -> CaseType:
    found = catalogue.type(key)
    if found is None:
        raise InvalidInputError(f"type: unknown case type {key!r}; types: {', '.join(sorted(catalogue.types))}")
    return found


def check_filters(catalogue: CaseCatalogue, wanted: Inbox) -> None:
    """An inbox's filters name things that exist: a filter that can match nothing (a misspelt state)
    is refused naming the allowed values, not answered with an empty page."""
    kind = case_type(catalogue, wanted.type) if wanted.type is not None else None
    if wanted.state is not None:
        states = sorted({s.key for k in ([kind] if kind else catalogue.types.values()) for s in k.states})
        if wanted.state not in states:
            of = f"{an(kind.key)}" if kind else "any case type"
            raise InvalidInputError(
                f"state: {quoted(wanted.state)} is not a state of {of}; states: {', '.join(states)}"
            )
    if wanted.governorate is not None and wanted.governorate not in set(catalogue.places.values()):
        known = ", ".join(sorted(set(catalogue.places.values())))
        raise InvalidInputError(
            f"governorate: {quoted(wanted.governorate)} is not a governorate; governorates: {known}"
        )
    if wanted.page < 1:
        raise InvalidInputError(f"page: {wanted.page} is not a page number (1, 2, ...)")


def due_on(calendar: WorkingCalendar, state: CaseState, entered: date) -> date | None:
    """The day a case entering `state` on `entered` is due: its deadline in working days, counted after that day."""
    return None if state.days is None else calendar.add(entered, state.days)


def sla(calendar: WorkingCalendar, due: date | None, today: date, *, at_risk_days: int) -> Sla:
    """On track, at risk (at most `at_risk_days` working days left), breached (past the due day)."""
    if due is None:
        return Sla.NONE
    if today > due:
        return Sla.BREACHED
    return Sla.AT_RISK if calendar.between(today, due) <= at_risk_days else Sla.ON_TRACK


def move(kind: CaseType, source: str, target: str, number: str) -> tuple[CaseState, Transition]:
    """The target state and the declared transition; an unknown state is bad input, an undeclared move a conflict."""
    state = kind.state(target)
    if state is None:
        raise InvalidInputError(f"to: {target!r} is not a state of {an(kind.key)}; states: {_keys(kind.states)}")
    transition = kind.transition(source, target)
    if transition is None:
        allowed = ", ".join(t.target for t in kind.moves_from(source)) or "none (the case is closed)"
        raise ConflictError(f"case {number} is {source}: it may move to {allowed}; not to {target}")
    return state, transition


def _keys(states: tuple[CaseState, ...]) -> str:
    return ", ".join(s.key for s in states)


class MakerCheckerError(ForbiddenError):
    """The user who prepared a decision that changes payments tried to take it too."""


class NotPreparedError(ConflictError):
    """A decision that changes payments was tried before anyone prepared it."""


class FormError(InvalidInputError):
    """A case's form was refused: `fields` says what each refused field must be."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


def check_mover(
    kind: CaseType, transition: Transition, principal: Principal, *, prepared_by: str | None, number: str
) -> None:
    """Whether the user may make this move: the permission it needs, the roles it is kept to, and for a
    decision that changes money, maker-checker (the decider is not who prepared it). A move made by
    recording the person's consent, or by a provider's answer, has its own action and is refused here."""
    if transition.by is Need.CONSENT:
        raise ForbiddenError(
            f"moving {an(kind.key)} to {transition.target} records the person's consent (who gave it, when, how):"
            f" use `himaya referrals confirm {number}` or POST /referrals/{number}/consent"
        )
    if transition.by is Need.RESPOND:
        raise ForbiddenError(
            f"moving {an(kind.key)} to {transition.target} is the provider's answer (POST /referrals/{number}/outcome)"
        )
    needed = NEEDS[transition.by]
    if not principal.can(needed):
        raise ForbiddenError(f"moving {an(kind.key)} to {transition.target} needs {needed.value}")
    if transition.roles and not (principal.roles & transition.roles):
        raise ForbiddenError(
            f"moving {an(kind.key)} to {transition.target} is for the role(s) {', '.join(sorted(transition.roles))}"
        )
    if transition.by is Need.DECIDE and kind.changes_money:
        if prepared_by is None:
            raise NotPreparedError(
                f"case {number}: {an(kind.key)} changes payments; it must be prepared before a decision"
            )
        if prepared_by == principal.username:
            raise MakerCheckerError(
                f"case {number}: you prepared this decision; a decision that changes payments is taken by another"
                " user (maker-checker)"
            )


def may_work(user: Principal | None, case: Mapping[str, Any]) -> bool:
    """Whether a case may be given to this account: a person (not a partner's or registry's system) who
    works cases (case.work), in the case's branch, and for a sensitive case one who may see those."""
    return (
        user is not None
        and user.kind == "person"
        and user.can(Permission.CASE_WORK)
        and in_branches(user, case["wilayat"], case["governorate"])
        and (not case["sensitive"] or user.can(Permission.CASE_SENSITIVE))
    )


def check_opener(kind: CaseType, request: NewCase, principal: Principal) -> None:
    """May this user open a case of this type, through this channel?"""
    if not principal.can(Permission.CASE_OPEN):
        raise ForbiddenError("opening a case needs case.open")
    if not (principal.roles & kind.roles):
        raise ForbiddenError(f"{an(kind.key)} is opened by the role(s) {', '.join(sorted(kind.roles))}")
    if (request.channel == Channel.PARTNER) != (principal.kind == "client"):
        raise ForbiddenError("the partner channel is for partner systems, and partner systems use it only")


def check_request(kind: CaseType, request: NewCase) -> bool:
    """The request's channel, person, category, language and texts against its type; whether the case is sensitive."""
    channels = ", ".join(sorted(c.value for c in kind.channels))
    if request.channel not in {c.value for c in kind.channels}:
        raise InvalidInputError(f"channel: {an(kind.key)} is not opened by {request.channel!r}; channels: {channels}")
    anonymous = request.channel == Channel.ANONYMOUS
    if anonymous and request.civil_number is not None:
        raise InvalidInputError("civil_number: an anonymous case names nobody: leave the civil number out")
    if kind.person is PersonNeeded.REQUIRED and request.civil_number is None:
        raise InvalidInputError(f"civil_number: {an(kind.key)} is about a registered person: give their civil number")
    if request.language not in LANGUAGES:
        raise InvalidInputError(f"language: {request.language!r} is not one of {', '.join(LANGUAGES)}")
    if request.subject is not None and len(request.subject) > 200:
        raise InvalidInputError("subject: at most 200 characters")
    check_characters("subject", request.subject)
    for name, value in request.form.items():
        if isinstance(value, str):
            check_characters(f"form field {name}", value)
    return sensitive(kind, request.category, requested=request.sensitive)


def sensitive(kind: CaseType, category: str | None, *, requested: bool) -> bool:
    """Whether the case is sensitive: always for its type or category; on request where the type allows it."""
    if kind.categories and category is None:
        raise InvalidInputError(f"category: {an(kind.key)} needs one of {', '.join(c.key for c in kind.categories)}")
    found = kind.category(category) if category is not None else None
    if category is not None and found is None:
        known = ", ".join(c.key for c in kind.categories) or "none"
        raise InvalidInputError(f"category: {category!r} is not a category of {an(kind.key)}; categories: {known}")
    if requested and kind.sensitive is Sensitivity.NEVER:
        raise InvalidInputError(f"sensitive: {an(kind.key)} cannot be marked sensitive")
    return kind.sensitive is Sensitivity.ALWAYS or requested or (found is not None and found.sensitive)


def validate_form(kind: CaseType, form: Mapping[str, Any]) -> dict[str, Any]:
    """The form checked like a row of the people table (types, required fields, allowed values), as
    JSON values: dates YYYY-MM-DD, money as decimal text of the pack's currency (OMR with 3
    decimals, IQD whole dinars), booleans, text. Every problem is named."""
    unknown = sorted(set(form) - {c.name for c in kind.form})
    if unknown:
        fields = ", ".join(c.name for c in kind.form) or "none"
        named = ", ".join(quoted(u) for u in unknown[:10])
        raise InvalidInputError(f"form: unknown field(s) {named} for {an(kind.key)}; fields: {fields}")
    long = sorted(k for k, v in form.items() if isinstance(v, str) and len(v) > MAX_TEXT)
    if long:
        raise InvalidInputError(f"form: field(s) {', '.join(long)} longer than {MAX_TEXT} characters")
    if not kind.form:
        return {}
    cells = {c.name: cell_text(form.get(c.name)) for c in kind.form}
    try:
        row = validate_table(pl.DataFrame([cells], schema=dict.fromkeys(cells, pl.String)), kind.schema, source="form")
    except InputTableError as error:
        said = "; ".join(f"form field {p.column}, value {quoted(p.value)}: {p.rule}" for p in error.problems)
        refused = {p.column: p.rule for p in error.problems}
        raise FormError(f"{an(kind.key)}'s form was refused: {said}", refused) from None
    typed = row.row(0, named=True)
    currency = kind.currency or OMR
    return {
        name: _json(kind.schema.column(name).kind, typed[name], currency)
        for name in form
        if form[name] not in (None, "")
    }


def _json(kind: Kind, value: Any, currency: Currency) -> Any:
    if kind is Kind.MONEY:
        return currency.format(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return value


EARLIEST = date(1900, 1, 1)  # as the registry's own rule: no date of a living record is older


def check_dates(kind: CaseType, form: Mapping[str, Any], today: date) -> None:
    """Every date of the form (as `validate_form` gives it) is a day that has come: not after today
    (an application made in 2099) and not before 1900 (one made in 1800). The field is named."""
    for name, value in form.items():
        if kind.schema.column(name).kind is not Kind.DATE:
            continue
        day = date.fromisoformat(str(value))
        if day > today:
            raise InvalidInputError(f"form field {name}: {day} is after today ({today})")
        if day < EARLIEST:
            raise InvalidInputError(f"form field {name}: {day} is before {EARLIEST}, the earliest date a form may hold")


def check_applied(kind: CaseType, form: Mapping[str, Any], born: date | None) -> None:
    """An application (a change) is dated on or after the day its person was born: its approval dates
    the person's facts from its `approval.effective` field (`applied_on`, `effective_from`), and
    nothing in a record is dated before the person's birth (a case dated earlier could be opened,
    but never approved)."""
    approval = kind.approval
    if approval is None or born is None or not form.get(approval.effective):
        return
    field = approval.effective
    applied = date.fromisoformat(str(form[field]))
    if applied < born:
        rule = f"must not be before the applicant's birth date ({born}): an approval dates their facts from it"
        raise FormError(f"form field {field}: {applied} {rule}", {field: rule})


def check_fields(kind: CaseType, form: Mapping[str, Any]) -> None:
    """The fields whose values the chosen value's approval writes are required, each named (an
    application for the disability benefit needs the committee's category: a card without one could
    be opened, never approved); a yes/no left empty is a no, except for a `strict` approval (a change
    request), which also refuses another kind's fields."""
    approval = kind.approval
    if approval is None:
        return
    value = str(form.get(approval.field))
    needed = approval.fields_of(value)
    missing = sorted(
        n
        for n in needed
        if form.get(n) in (None, "") and (approval.strict or kind.schema.column(n).kind is not Kind.BOOL)
    )
    foreign = sorted(n for n in approval.specific - needed if form.get(n) not in (None, "")) if approval.strict else []
    refused = {n: f"required for {approval.field} {value}" for n in missing}
    refused |= {n: f"does not go with {approval.field} {value}; leave it out" for n in foreign}
    if refused:
        said = "; ".join(f"form field {n}: {rule}" for n, rule in refused.items())
        raise FormError(f"{an(kind.key)}'s form was refused: {said}", refused)


def check_filing(kind: CaseType, form: Mapping[str, Any], today: date, calendar: WorkingCalendar) -> date | None:
    """The last day to file a case of this type (e.g. an appeal); refused when it has passed or the date is
    ahead. None without a filing deadline, or when the form leaves the date out (an appeal's is then
    the decision's recorded notification: `appeals.check_opening`)."""
    if kind.filing is None or not form.get(kind.filing.field):
        return None
    notified = date.fromisoformat(str(form[kind.filing.field]))
    if notified > today:
        raise InvalidInputError(f"form field {kind.filing.field}: {notified} is after today ({today})")
    last = filing_deadline(kind, notified, calendar)
    if today > last:
        days = f"{kind.filing.days} {'working ' if kind.filing.working else ''}days"
        raise InvalidInputError(
            f"form field {kind.filing.field}: notified on {notified}, {an(kind.key)} had to be filed within {days},"
            f" by {last}; today is {today}"
        )
    return last


def filing_deadline(kind: CaseType, notified: date, calendar: WorkingCalendar) -> date:
    assert kind.filing is not None
    return last_day(notified, kind.filing.days, working=kind.filing.working, calendar=calendar)


def last_day(notified: date, days: int, *, working: bool, calendar: WorkingCalendar) -> date:
    """The last day of a period of `days` (working days, or calendar days) from a notification."""
    return calendar.add(notified, days) if working else notified + timedelta(days=days)


def onward_deadline(kind: CaseType, notified: date, calendar: WorkingCalendar) -> date | None:
    """The last day to take a dismissed appeal of this type to the next level (None: no such move)."""
    onward = kind.appeal.onward if kind.appeal is not None else None
    if onward is None:
        return None
    return last_day(notified, onward.days, working=onward.working, calendar=calendar)


def check_text(name: str, value: str | None, *, required: bool) -> str | None:
    if value is not None and not value.strip():
        value = None
    if value is None and required:
        raise InvalidInputError(f"{name}: required")
    if value is not None and len(value) > MAX_TEXT:
        raise InvalidInputError(f"{name}: at most {MAX_TEXT} characters, not {len(value)}")
    check_characters(name, value)
    return value


def check_characters(name: str, value: str | None) -> None:
    """Free text holds no control character but newline and tab, and no bidi control (it would drive
    a terminal that prints it, or reorder what a reader sees)."""
    found = unsafe_character(value) if value is not None else None
    if found is not None:
        raise InvalidInputError(
            f"{name}: a control or bidi character ({found}) is not allowed in text; newline and tab are"
        )


def render(template: Template, language: Language, values: Mapping[str, Any]) -> tuple[str, str]:
    """A template's subject and body in `language`, its placeholders filled (a missing one left empty)."""
    filled = _Blank({k: "" if v is None else str(v) for k, v in values.items()})
    formatter = string.Formatter()
    return (
        formatter.vformat(template.subject.in_(language), (), filled),
        formatter.vformat(template.body.in_(language), (), filled),
    )


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
