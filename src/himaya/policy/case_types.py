"""Case types as a pack declares them: what a case of each type asks, who may open it, its states,
their deadlines in working days, who moves it on, and what the person is told.

A case type is data (`packs/<country>/cases/*.yaml`, read by `case_loader.py`), not code: a new
type, state or deadline is a change of the pack. The case capability (`himaya.cases`) runs any type.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from himaya.core.errors import HimayaError
from himaya.core.money import Currency
from himaya.core.text import Text
from himaya.policy.calendar import WorkingCalendar
from himaya.policy.schema import Column, TableSchema


class CaseTypeError(HimayaError):
    """A case type file that cannot be used as written (its file, type and field are named)."""


class Channel(StrEnum):
    """How a case reaches the Fund."""

    BRANCH = "branch"  # at a branch's counter
    PHONE = "phone"  # the call centre
    WEB = "web"  # the Fund's website or app
    PARTNER = "partner"  # another body's system, through the API
    ANONYMOUS = "anonymous"  # a complaint that names nobody: no person is recorded


class PersonNeeded(StrEnum):
    REQUIRED = "required"  # the case is about a registered person
    OPTIONAL = "optional"  # may name one (a grievance about a branch, an anonymous complaint)


class Sensitivity(StrEnum):
    """Whether a case of the type is sensitive: seen only by the roles holding case.sensitive."""

    NEVER = "never"
    ON_REQUEST = "on_request"  # when the opener says so, or its category is sensitive
    ALWAYS = "always"


class Need(StrEnum):
    """What a move needs: working a case (case.work) or deciding it (case.decide); for a referral,
    the person's consent recorded (who gave it, when, how: `referrals confirm`) or the provider's
    answer (referral.respond, through the API). The last two are made by their own actions only."""

    WORK = "work"
    DECIDE = "decide"
    CONSENT = "consent"
    RESPOND = "respond"


@dataclass(frozen=True)
class Category:
    key: str
    name: Text
    sensitive: bool = False  # a case of this category is always sensitive (e.g. staff conduct)


@dataclass(frozen=True)
class State:
    key: str
    name: Text
    days: int | None = None  # deadline in working days from entering the state; None: no deadline
    final: bool = False  # nothing moves a case out of it


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    by: Need
    roles: frozenset[str] = frozenset()  # only these roles (empty: any role holding the permission)
    prepares: bool = False  # the mover prepared the decision (maker-checker: not the decider)
    notify: str | None = None  # the template sent to the person on this move


@dataclass(frozen=True)
class Template:
    """A message to the person, in English and Arabic, with {placeholders} (`PLACEHOLDERS`)."""

    subject: Text
    body: Text


PLACEHOLDERS = frozenset(
    {"number", "type", "state", "category", "decision", "reason", "due", "appeal_by", "service", "provider"}
    | {"programme", "month"}  # a stopped benefit's (cases/stops.py)
)
STOP = "benefit_stop"  # the type recording a benefit stopped by the enrollment sync: an appeal restores it


@dataclass(frozen=True)
class FilingDeadline:
    """A case of the type must be opened within `days` of the date in form field `field` (e.g. an
    appeal within 30 days of the decision's notification)."""

    field: str
    days: int
    working: bool  # working days, or calendar days


@dataclass(frozen=True)
class Approval:
    """What an approved case writes to the person's registry record: by the value of form field
    `field` (the programme applied for, the kind of change asked), registry columns set to a
    constant or to a form field's value (`{"field": NAME}`, or some of its characters:
    `{"field": NAME, "chars": [4, 7]}`). A column's name may hold `{NAME}` (a form field's value)."""

    field: str
    facts: Mapping[str, Mapping[str, Any]]
    approved: str = "approved"  # the decision that writes the facts
    refused: str = "refused"  # the decision whose reasons the rules give
    effective: str = "applied_on"  # the date field of the form the facts hold from
    rules: bool = True  # the benefit rules judge the decision (an application); False: written as asked
    strict: bool = False  # each value needs the form fields its facts take, and takes no other value's
    conflict: bool = False  # refused if the person's record changed since the case was opened

    def fields_of(self, value: str) -> frozenset[str]:
        """The form fields the facts of `value` take (as a source, or in a column's name)."""
        found: set[str] = set()
        for column, source in self.facts.get(value, {}).items():
            found |= {name for _, name, _, _ in string.Formatter().parse(column) if name}
            if isinstance(source, Mapping):
                found.add(str(source["field"]))
        return frozenset(found)

    @property
    def specific(self) -> frozenset[str]:
        """The form fields that go with one value or another (the others go with every value)."""
        return frozenset().union(*(self.fields_of(v) for v in self.facts))


@dataclass(frozen=True)
class AppealRule:
    """What a case of the type appeals: the case named by form field `field` (its number), of a type
    and decision `against` lists; its decisions in `reverses` reverse that decision (the appealed
    case's approval is written as if it had been approved, from its own date)."""

    field: str
    against: Mapping[str, frozenset[str]]  # case type -> the decisions that may be appealed
    reverses: frozenset[str]  # the appeal's decisions that reverse the decision appealed
    onward: Onward | None = None  # the move to the next level, and its deadline


@dataclass(frozen=True)
class Onward:
    """The move of a dismissed appeal to the next level (`source` -> `target`): made within `days`
    of the notification of the dismissal, or refused."""

    source: str
    target: str
    days: int
    working: bool  # working days, or calendar days


@dataclass(frozen=True)
class CaseType:
    key: str
    name: Text
    source: str  # the file it was read from, for messages
    roles: frozenset[str]  # who may open one (with case.open)
    channels: frozenset[Channel]
    person: PersonNeeded
    form: tuple[Column, ...]
    labels: Mapping[str, Text]  # each form field's label
    states: tuple[State, ...]  # the first is where a case starts
    transitions: tuple[Transition, ...]
    changes_money: bool = False  # a decision changes payments: maker-checker applies
    sensitive: Sensitivity = Sensitivity.NEVER
    categories: tuple[Category, ...] = ()
    escalate_to: str = "supervisor"  # the role told when a deadline is breached
    at_risk_days: int = 1  # at risk when this many working days or fewer are left
    filing: FilingDeadline | None = None
    templates: Mapping[str, Template] = field(default_factory=dict)
    description: Text | None = None
    approval: Approval | None = None
    currency: Currency | None = None  # the pack's: what a money field of the form is written in
    appeal: AppealRule | None = None

    @property
    def initial(self) -> State:
        return self.states[0]

    def state(self, key: str) -> State | None:
        return next((s for s in self.states if s.key == key), None)

    def transition(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)

    def moves_from(self, source: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if t.source == source)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    @property
    def schema(self) -> TableSchema:
        return TableSchema(self.form, currency=self.currency)


@dataclass(frozen=True)
class CaseCatalogue:
    """A pack's case types, its working-day calendar and its places (a case's branch is a wilayat)."""

    types: Mapping[str, CaseType]
    calendar: WorkingCalendar
    places: Mapping[str, str]  # wilayat -> governorate
    timezone: str  # where "today" is decided
    # How its letters name a month in Arabic (the pack's, by "january": Iraq's كانون الثاني; Oman's by
    # default) and the person's number ("Civil number"; Iraq's "National ID number").
    month_names: Mapping[str, Text] = field(default_factory=dict)
    person_number: Text = field(default_factory=lambda: Text("Civil number", "الرقم المدني"))
    # What its places and governorates are called in English and Arabic, by the code the registry
    # records (the pack's place data): a letter names a person's place in its own language.
    place_names: Mapping[str, Text] = field(default_factory=dict)
    governorate_names: Mapping[str, Text] = field(default_factory=dict)

    def type(self, key: str) -> CaseType | None:
        return self.types.get(key)
