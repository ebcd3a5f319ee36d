"""A case type's `appeal` section: which decisions a case of the type appeals, and which of its own
decisions reverse them (checked at load; the types it names are checked against the whole catalogue).

    appeal:
      field: decision                       # the form field holding the number of the case appealed
      against:                              # case type -> the decisions that may be appealed
        application: [refused]
        change_request: [refused]
      reverses: [granted, granted_final]    # the appeal's decisions that reverse the decision appealed
      onward: {from: dismissed, to: higher_committee, days: 20, working: true}   # optional: the move
                                            # to the next level, within `days` of the dismissal's notification

A decision is reversed by writing what the appealed case's approval would have written, from the
appealed case's own date (an application's `applied_on`): so a type named in `against` must have an
`approval` section, and its listed decisions must be states of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from himaya.core.text import an
from himaya.policy.case_types import STOP, AppealRule, CaseType, CaseTypeError, Need, Onward, Transition
from himaya.policy.schema import Column, Kind

_KEYS = {"field", "against", "reverses"}
_ONWARD = {"from", "to", "days", "working"}

Error = Callable[[str], CaseTypeError]


def appeal(
    value: Any, form: tuple[Column, ...], transitions: tuple[Transition, ...], error: Error
) -> AppealRule | None:
    """The section checked against its own type: a required text or pattern field of the form, and
    decisions (moves `by: decide`) of the type to reverse with."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - _KEYS - {"onward"} or not set(value) >= _KEYS:
        raise error(f"appeal must be a mapping with the keys {', '.join(sorted(_KEYS))} (and optionally onward)")
    name = str(value["field"])
    column = next((c for c in form if c.name == name), None)
    if column is None or not column.required or column.kind not in (Kind.TEXT, Kind.PATTERN):
        raise error(f"appeal.field: {name!r} must be a required text or pattern field of the form (a case number)")
    against = value["against"]
    if not isinstance(against, Mapping) or not against:
        raise error("appeal.against: a mapping of case type -> [decisions] is needed")
    for key, decisions in against.items():
        if not isinstance(decisions, list) or not decisions or not all(isinstance(d, str) for d in decisions):
            raise error(f"appeal.against.{key}: a list of the decisions that may be appealed is needed")
    reverses = value["reverses"]
    decided = {t.target for t in transitions if t.by is Need.DECIDE}
    if not isinstance(reverses, list) or not reverses or not set(map(str, reverses)) <= decided:
        raise error(f"appeal.reverses: {reverses!r} must list decisions of this type; decisions: {sorted(decided)}")
    decisions = {str(k): frozenset(map(str, v)) for k, v in against.items()}
    return AppealRule(name, decisions, frozenset(map(str, reverses)), _onward(value.get("onward"), transitions, error))


def _onward(value: Any, transitions: tuple[Transition, ...], error: Error) -> Onward | None:
    """The move to the next level: a move of the type, with its deadline (days: a whole number, at least 1)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - _ONWARD or not set(value) >= _ONWARD - {"working"}:
        raise error("appeal.onward must be a mapping with the keys from, to, days (and optionally working)")
    source, target, days = str(value["from"]), str(value["to"]), value["days"]
    if not any(t.source == source and t.target == target for t in transitions):
        raise error(f"appeal.onward: {source} -> {target} is not a move of this type")
    if type(days) is not int or days < 1:
        raise error(f"appeal.onward.days: {days!r} must be a whole number, at least 1")
    working = value.get("working", False)
    if not isinstance(working, bool):
        raise error(f"appeal.onward.working: {working!r} must be true or false")
    return Onward(source, target, days, working)


def check_against(types: Mapping[str, CaseType]) -> None:
    """Every type an appeal names exists, has an approval to write, and has the decisions listed."""
    for kind in types.values():
        if kind.appeal is None:
            continue
        for key, decisions in kind.appeal.against.items():
            where = f"{kind.source}: case type {kind.key}: field appeal.against.{key}"
            target = types.get(key)
            if target is None:
                raise CaseTypeError(f"{where}: {key!r} is not a case type; types: {', '.join(sorted(types))}")
            if target.approval is None and key != STOP:  # a stopped benefit's reversal restores the enrollment
                raise CaseTypeError(f"{where}: {an(key)} has no approval section: its decision cannot be reversed")
            unknown = sorted(decisions - {s.key for s in target.states})
            if unknown:
                raise CaseTypeError(f"{where}: {', '.join(unknown)} is not a state of {an(key)}")
