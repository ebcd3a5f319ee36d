"""Read and check a pack's case types (`cases/*.yaml`) and its working-day calendar (`cases/calendar.yaml`).

Everything is checked when the pack's case types are loaded, and a problem is reported with its
file, its case type and the field, so a policy officer can fix the YAML without reading code:
unknown keys (a typo is not silently ignored), roles and channels that do not exist, moves between
states that are not declared, states a case can never reach or never leave, templates with unknown
placeholders or without their Arabic, a money-changing type with nobody to prepare its decision.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from himaya.core.access import Role
from himaya.core.money import Currency
from himaya.core.text import Text
from himaya.policy.calendar import WEEKDAYS, Holiday, WorkingCalendar
from himaya.policy.case_appeal import appeal, check_against
from himaya.policy.case_approval import approval
from himaya.policy.case_types import (
    PLACEHOLDERS,
    CaseCatalogue,
    CaseType,
    CaseTypeError,
    Category,
    Channel,
    FilingDeadline,
    Need,
    PersonNeeded,
    Sensitivity,
    State,
    Template,
    Transition,
)
from himaya.policy.schema import Column, Kind

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_TYPE_KEYS = {
    "key", "name", "description", "open", "person", "sensitive", "changes_money", "categories", "form",
    "states", "transitions", "escalate_to", "at_risk_days", "filing", "templates", "approval", "appeal",
}  # fmt: skip
_FIELD_KEYS = {"name", "type", "required", "values", "pattern", "rule", "label"}
CALENDAR_FILE = "calendar.yaml"
E = TypeVar("E", bound=StrEnum)


class _At:
    """Where in which file a value is, for the message of a problem."""

    def __init__(self, file: str, case_type: str | None = None, path: str = "") -> None:
        self.file, self.case_type, self.path = file, case_type, path

    def __truediv__(self, part: str | int) -> _At:
        step = f"[{part}]" if isinstance(part, int) else (f".{part}" if self.path else part)
        return _At(self.file, self.case_type, f"{self.path}{step}")

    def error(self, problem: str) -> CaseTypeError:
        where = f"{self.file}: case type {self.case_type}" if self.case_type else self.file
        return CaseTypeError(f"{where}: field {self.path or '(top)'}: {problem}")


def _mapping(value: Any, at: _At, allowed: set[str] | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise at.error(f"must be a mapping, not {type(value).__name__}")
    if allowed is not None:
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            raise at.error(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return value


def _list(value: Any, at: _At, *, empty: bool = False) -> list[Any]:
    if not isinstance(value, list) or (not value and not empty):
        raise at.error("must be a list" + ("" if empty else " with at least one item"))
    return value


def _need(mapping: Mapping[str, Any], key: str, at: _At) -> Any:
    if mapping.get(key) is None:
        raise (at / key).error("is required")
    return mapping[key]


def _key(value: Any, at: _At) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise at.error(f"{value!r} must be a key: lower-case letters, digits and _, starting with a letter")
    return value


def _int(value: Any, at: _At, *, least: int) -> int:
    if type(value) is not int or value < least:
        raise at.error(f"{value!r} must be a whole number, at least {least}")
    return value


def _bool(value: Any, at: _At) -> bool:
    if not isinstance(value, bool):
        raise at.error(f"{value!r} must be true or false")
    return value


def _choice(value: Any, at: _At, kind: type[E]) -> E:
    try:
        return kind(value)
    except ValueError:
        raise at.error(f"{value!r} is not one of {', '.join(k.value for k in kind)}") from None


def _text(value: Any, at: _At) -> Text:
    words = _mapping(value, at, {"en", "ar"})
    en, ar = words.get("en"), words.get("ar")
    if not isinstance(en, str) or not en.strip():
        raise (at / "en").error("the English text is required")
    if not isinstance(ar, str) or not _ARABIC.search(ar):
        raise (at / "ar").error("the Arabic text is required (in Arabic letters)")
    return Text(en.strip(), ar.strip())


PLACES = "places"  # `values: places`: the pack's wilayats (a branch, an address)


def _codes(value: Any, at: _At, places: Mapping[str, str] | None) -> tuple[str, ...]:
    if value == PLACES:
        if not places:
            raise at.error("values: places needs the pack's places (its wilayats)")
        return tuple(places)
    return tuple(str(v) for v in _list(value, at))


def _field(value: Any, at: _At, places: Mapping[str, str] | None = None) -> tuple[Column, Text]:
    spec = _mapping(value, at, _FIELD_KEYS)
    name = _key(_need(spec, "name", at), at / "name")
    kind = _choice(_need(spec, "type", at), at / "type", Kind)
    codes = _codes(spec.get("values"), at / "values", places) if kind is Kind.CODE else ()
    if kind is not Kind.CODE and "values" in spec:
        raise (at / "values").error("values go with type code only")
    pattern, rule = str(spec.get("pattern") or ""), str(spec.get("rule") or "")
    if kind in (Kind.PATTERN, Kind.IBAN):
        if not pattern or not rule:
            raise at.error(f"type {kind.value} needs a pattern and its rule in words")
        try:
            re.compile(pattern)
        except re.error as error:
            raise (at / "pattern").error(f"is not a regular expression: {error}") from None
    elif pattern or rule:
        raise (at / "pattern").error("a pattern and its rule go with types pattern and iban only")
    required = _bool(spec.get("required", False), at / "required")
    return Column(name, kind, required, codes, pattern, rule), _text(_need(spec, "label", at), at / "label")


def _states(value: Any, at: _At) -> tuple[State, ...]:
    states = []
    for n, item in enumerate(_list(value, at)):
        spec = _mapping(item, at / n, {"key", "name", "days", "final"})
        key = _key(_need(spec, "key", at / n), at / n / "key")
        final = _bool(spec.get("final", False), at / n / "final")
        days = spec.get("days")
        if days is not None:
            if final:
                raise (at / n / "days").error("a final state has no deadline")
            days = _int(days, at / n / "days", least=1)
        states.append(State(key, _text(_need(spec, "name", at / n), at / n / "name"), days, final))
    _unique([s.key for s in states], at, "state")
    if not any(s.key == "closed" and s.final for s in states):
        raise at.error("a final state with key closed is required (where `close` puts a case)")
    return tuple(states)


def _transitions(value: Any, at: _At, states: tuple[State, ...], templates: set[str]) -> tuple[Transition, ...]:
    known = {s.key: s for s in states}
    moves: list[Transition] = []
    for n, item in enumerate(_list(value, at)):
        here = at / n
        spec = _mapping(item, here, {"from", "to", "by", "roles", "prepares", "notify"})
        sources = _need(spec, "from", here)
        target = _need(spec, "to", here)
        for state, where in [(s, here / "from") for s in (sources if isinstance(sources, list) else [sources])] + [
            (target, here / "to")
        ]:
            if state not in known:
                raise where.error(f"{state!r} is not a state of this type; states: {', '.join(known)}")
        roles = frozenset(
            _choice(r, here / "roles", Role).value for r in _list(spec.get("roles", []), here, empty=True)
        )
        notify = spec.get("notify")
        if notify is not None and notify not in templates:
            raise (here / "notify").error(f"{notify!r} is not a template of this type; templates: {sorted(templates)}")
        for source in sources if isinstance(sources, list) else [sources]:
            if known[source].final:
                raise (here / "from").error(f"{source!r} is final: nothing moves a case out of it")
            moves.append(
                Transition(
                    source,
                    target,
                    _choice(_need(spec, "by", here), here / "by", Need),
                    roles,
                    _bool(spec.get("prepares", False), here / "prepares"),
                    notify,
                )
            )
    _unique([f"{t.source} -> {t.target}" for t in moves], at, "transition")
    _check_graph(states, moves, at)
    return tuple(moves)


def _check_graph(states: tuple[State, ...], moves: list[Transition], at: _At) -> None:
    """Every state is reachable from the first, and every state that is not final has a way out."""
    reached, frontier = {states[0].key}, [states[0].key]
    while frontier:
        source = frontier.pop()
        for move in moves:
            if move.source == source and move.target not in reached:
                reached.add(move.target)
                frontier.append(move.target)
    unreached = [s.key for s in states if s.key not in reached]
    if unreached:
        raise at.error(f"state(s) {', '.join(unreached)} cannot be reached from {states[0].key}")
    stuck = [s.key for s in states if not s.final and not any(m.source == s.key for m in moves)]
    if stuck:
        raise at.error(f"state(s) {', '.join(stuck)} are not final but nothing moves a case out of them")


def _unique(keys: list[str], at: _At, what: str) -> None:
    seen = {k for k in keys if keys.count(k) > 1}
    if seen:
        raise at.error(f"{what} {', '.join(sorted(seen))} is declared more than once")


def _templates(value: Any, at: _At) -> dict[str, Template]:
    found = {}
    for key, item in _mapping(value or {}, at).items():
        here = at / _key(key, at)
        spec = _mapping(item, here, {"subject", "body"})
        template = Template(
            _text(_need(spec, "subject", here), here / "subject"), _text(_need(spec, "body", here), here / "body")
        )
        for part, text in (("subject", template.subject), ("body", template.body)):
            for language in ("en", "ar"):
                _placeholders(text.in_(language), here / part / language)
        found[key] = template
    return found


def _placeholders(text: str, at: _At) -> None:
    try:
        names = {name for _, name, spec, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise at.error(f"is not a template: {error}") from None
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise at.error(f"unknown placeholder(s) {', '.join(unknown)}; known: {', '.join(sorted(PLACEHOLDERS))}")


def _categories(value: Any, at: _At) -> tuple[Category, ...]:
    found = []
    for n, item in enumerate(_list(value or [], at, empty=True)):
        spec = _mapping(item, at / n, {"key", "name", "sensitive"})
        found.append(
            Category(
                _key(_need(spec, "key", at / n), at / n / "key"),
                _text(_need(spec, "name", at / n), at / n / "name"),
                _bool(spec.get("sensitive", False), at / n / "sensitive"),
            )
        )
    _unique([c.key for c in found], at, "category")
    return tuple(found)


def _filing(value: Any, at: _At, form: tuple[Column, ...], *, appeals: bool) -> FilingDeadline | None:
    """The deadline to file; its date field may be left out by an appeal (the decision's recorded
    notification is its date then), and is required otherwise."""
    if value is None:
        return None
    spec = _mapping(value, at, {"field", "days", "working"})
    name = _need(spec, "field", at)
    column = next((c for c in form if c.name == name), None)
    if column is None or column.kind is not Kind.DATE or not (column.required or appeals):
        raise (at / "field").error(f"{name!r} must be a required date field of the form")
    return FilingDeadline(
        name, _int(_need(spec, "days", at), at / "days", least=1), _bool(spec.get("working", False), at)
    )


def case_type(document: Any, file: str, places: Mapping[str, str] | None = None) -> CaseType:
    """One case type from its YAML document, checked whole (`places`: the pack's wilayats, for a
    form field with `values: places`)."""
    top = _mapping(document, _At(file))
    key = _key(_need(top, "key", _At(file)), _At(file, None, "key"))
    at = _At(file, key)
    _mapping(top, at, _TYPE_KEYS)
    opening = _mapping(_need(top, "open", at), at / "open", {"roles", "channels"})
    roles = frozenset(_choice(r, at / "open" / "roles", Role).value for r in _list(opening.get("roles"), at / "open"))
    channels = frozenset(_choice(c, at / "open" / "channels", Channel) for c in _list(opening.get("channels"), at))
    person = _choice(top.get("person", "required"), at / "person", PersonNeeded)
    if Channel.ANONYMOUS in channels and person is PersonNeeded.REQUIRED:
        raise (at / "person").error("an anonymous channel needs person: optional (an anonymous case names nobody)")
    listed = _list(top.get("form", []), at / "form", empty=True)
    fields = [_field(item, at / "form" / n, places) for n, item in enumerate(listed)]
    _unique([c.name for c, _ in fields], at / "form", "form field")
    form = tuple(c for c, _ in fields)
    templates = _templates(top.get("templates"), at / "templates")
    states = _states(_need(top, "states", at), at / "states")
    transitions = _transitions(_need(top, "transitions", at), at / "transitions", states, set(templates))
    categories = _categories(top.get("categories"), at / "categories")
    sensitive = _choice(top.get("sensitive", "never"), at / "sensitive", Sensitivity)
    if sensitive is Sensitivity.NEVER and any(c.sensitive for c in categories):
        raise (at / "sensitive").error("a category is sensitive, so the type cannot be sensitive: never")
    changes_money = _bool(top.get("changes_money", False), at / "changes_money")
    if changes_money and not any(t.prepares for t in transitions):
        raise (at / "transitions").error("changes_money: a transition with prepares: true is needed (maker-checker)")
    if changes_money and not any(t.by is Need.DECIDE for t in transitions):
        raise (at / "transitions").error("changes_money: a transition with by: decide is needed")
    return CaseType(
        key=key,
        name=_text(_need(top, "name", at), at / "name"),
        source=file,
        roles=roles,
        channels=channels,
        person=person,
        form=form,
        labels={c.name: label for c, label in fields},
        states=states,
        transitions=transitions,
        changes_money=changes_money,
        sensitive=sensitive,
        categories=categories,
        escalate_to=_choice(top.get("escalate_to", "supervisor"), at / "escalate_to", Role).value,
        at_risk_days=_int(top.get("at_risk_days", 1), at / "at_risk_days", least=0),
        filing=_filing(top.get("filing"), at / "filing", form, appeals=top.get("appeal") is not None),
        templates=templates,
        description=_text(top["description"], at / "description") if top.get("description") else None,
        approval=approval(top.get("approval"), form, {s.key for s in states}, at.error),
        appeal=appeal(top.get("appeal"), form, transitions, at.error),
    )


def calendar(document: Any, file: str) -> WorkingCalendar:
    """The weekend and the dated list of public holidays."""
    at = _At(file)
    top = _mapping(document, at, {"weekend", "reference", "holidays"})
    weekend = []
    for day in _list(_need(top, "weekend", at), at / "weekend"):
        if day not in WEEKDAYS:
            raise (at / "weekend").error(f"{day!r} is not a weekday: {', '.join(WEEKDAYS)}")
        weekend.append(WEEKDAYS.index(day))
    listed = []
    for n, item in enumerate(_list(_need(top, "holidays", at), at / "holidays")):
        here = at / "holidays" / n
        spec = _mapping(item, here, {"from", "to", "name", "status", "reference"})
        first, last = _need(spec, "from", here), spec.get("to", spec.get("from"))
        if not isinstance(first, date) or not isinstance(last, date) or last < first:
            raise here.error(f"from {first!r} to {last!r} must be dates YYYY-MM-DD, from not after to")
        status = _need(spec, "status", here)
        if status not in ("CONFIRMED", "LIKELY", "ASSUMED"):
            raise (here / "status").error(f"{status!r} is not CONFIRMED, LIKELY or ASSUMED")
        reference = str(spec.get("reference") or top.get("reference") or "")
        listed.append(Holiday(first, last, _text(_need(spec, "name", here), here / "name"), status, reference))
    days = frozenset(d for h in listed for d in h.days())
    years = (min(d.year for d in days), max(d.year for d in days))
    return WorkingCalendar(frozenset(weekend), days, tuple(listed), years)


def _read(path: Path) -> Any:
    try:
        # The C loader where PyYAML has it (several times faster); the same safe subset of YAML.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise CaseTypeError(f"{path.name}: not valid YAML: {error}") from None


def load_catalogue(
    folder: Path, *, places: Mapping[str, str], timezone: str, currency: Currency | None = None
) -> CaseCatalogue:
    """Every case type of the folder, and its calendar; refused whole at the first problem. A money
    field of a form is written in `currency` (the pack's); a form with one needs it."""
    if not (folder / CALENDAR_FILE).is_file():
        raise CaseTypeError(f"{folder}: {CALENDAR_FILE} is missing (the weekend and the public holidays)")
    types: dict[str, CaseType] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == CALENDAR_FILE:
            continue
        found = replace(case_type(_read(path), path.name, places), currency=currency)
        if found.key in types:
            raise CaseTypeError(f"{path.name}: case type {found.key} is declared in {types[found.key].source} too")
        types[found.key] = found
    if not types:
        raise CaseTypeError(f"{folder}: no case type files (*.yaml)")
    check_against(types)
    return CaseCatalogue(types, calendar(_read(folder / CALENDAR_FILE), CALENDAR_FILE), places, timezone)
