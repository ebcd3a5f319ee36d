"""A case type's `approval` section: which registry facts an approved case writes (checked at load).

    approval:
      field: programme                      # the form field naming the programme applied for
      facts:
        disability: {disability_category: {field: disability_category}, disability_card: true}
        orphan: {"{deceased_parent}_deceased": true}

Each key of `facts` is a value the field allows; each column is set to a constant or to the value
of a form field (or some of its characters: `{field: iban, chars: [4, 7]}`, the bank code in an
Omani IBAN). Whether a column is one of the registry's is checked where the facts are written
(the registry's own validation), and for the shipped pack by a test.

A change request writes what it asks, without the benefit rules (`rules: false`), from its own date
field (`effective: effective_from`), each kind of change with its own fields (`strict: true`), and
is refused if the record changed since it was opened (`conflict: true`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from himaya.policy.case_types import Approval, CaseTypeError
from himaya.policy.schema import Column, Kind

_KEYS = {"field", "facts", "approved", "refused", "effective", "rules", "strict", "conflict"}
_SOURCE_KEYS = {"field", "chars"}
_COLUMN = re.compile(r"^[a-z{][a-z0-9_{}]{0,63}$")

Error = Callable[[str], CaseTypeError]


def approval(value: Any, form: tuple[Column, ...], states: set[str], error: Error) -> Approval | None:
    """The section checked whole: its field is a required code field of the form, each programme one
    of its values, each column's placeholders and each referenced field fields of the form."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - _KEYS:
        raise error(f"approval must be a mapping with the keys {', '.join(sorted(_KEYS))}")
    fields = {c.name: c for c in form}
    name = value.get("field")
    column = fields.get(str(name))
    if column is None or column.kind is not Kind.CODE or not column.required or not column.codes:
        raise error(f"approval.field: {name!r} must be a required code field of the form")
    facts = value.get("facts")
    if not isinstance(facts, Mapping) or not facts:
        raise error("approval.facts: a mapping of programme -> {column: value} is needed")
    for programme, columns in facts.items():
        if programme not in column.codes:
            raise error(f"approval.facts: {programme!r} is not a value of {name}; values: {', '.join(column.codes)}")
        if not isinstance(columns, Mapping) or not columns:
            raise error(f"approval.facts.{programme}: a mapping of column -> value is needed")
        for target, source in columns.items():
            _check_column(str(target), fields, f"approval.facts.{programme}", error)
            if isinstance(source, Mapping):
                _check_source(source, fields, f"approval.facts.{programme}.{target}", error)
    approved, refused = str(value.get("approved", "approved")), str(value.get("refused", "refused"))
    for state in (approved, refused):
        if state not in states:
            raise error(f"approval: {state!r} is not a state of this type")
    effective = str(value.get("effective", "applied_on"))
    if effective not in fields or fields[effective].kind is not Kind.DATE:
        raise error(f"approval.effective: {effective!r} must be a date field of the form (the facts hold from it)")
    flags = {key: value.get(key, key == "rules") for key in ("rules", "strict", "conflict")}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise error(f"approval.{key}: {flag!r} must be true or false")
    return Approval(
        str(name), {str(k): dict(v) for k, v in facts.items()}, approved, refused, effective,
        rules=flags["rules"], strict=flags["strict"], conflict=flags["conflict"],
    )  # fmt: skip


def _check_source(source: Mapping[str, Any], fields: Mapping[str, Column], at: str, error: Error) -> None:
    if not set(source) <= _SOURCE_KEYS or source.get("field") not in fields:
        raise error(f"{at}: {{field: NAME}} must name a form field (with chars: [FROM, TO] at most beside it)")
    chars = source.get("chars")
    if chars is not None and not (
        isinstance(chars, list) and len(chars) == 2 and all(type(c) is int for c in chars) and 0 <= chars[0] < chars[1]
    ):
        raise error(f"{at}: chars {chars!r} must be [FROM, TO], whole numbers with 0 <= FROM < TO")


def _check_column(target: str, fields: Mapping[str, Column], at: str, error: Error) -> None:
    if not _COLUMN.match(target):
        raise error(f"{at}: {target!r} is not a column name")
    for _, placeholder, _, _ in string.Formatter().parse(target):
        if placeholder is not None and (placeholder not in fields or fields[placeholder].kind is not Kind.CODE):
            raise error(f"{at}: {{{placeholder}}} in {target!r} must name a code field of the form")
