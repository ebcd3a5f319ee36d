"""A neutral filter over the registry's people: what a partner protocol asks, in the registry's terms.

An adapter (DCI today) translates its own query language into these values; the store compiles
them into one scoped statement. Nothing here knows a protocol or a database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Field(StrEnum):
    CIVIL_NUMBER = "civil_number"
    BIRTH_DATE = "birth_date"
    BIRTH_YEAR = "birth_year"
    SEX = "sex"  # M or F
    WILAYAT = "wilayat"
    GOVERNORATE = "governorate"
    FAMILY_NUMBER = "family_number"


class Operator(StrEnum):
    EQ = "eq"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"
    IN = "in"


Value = str | int | date


@dataclass(frozen=True)
class Condition:
    """`field operator value`; `in` has one value or more, the others exactly one."""

    field: Field
    operator: Operator
    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        if not self.values or (self.operator is not Operator.IN and len(self.values) != 1):
            wanted = "values" if self.operator is Operator.IN else "one value"
            raise ValueError(f"{self.field}: operator {self.operator} needs {wanted}")


@dataclass(frozen=True)
class AllOf:
    parts: tuple[PeopleFilter, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[PeopleFilter, ...]


@dataclass(frozen=True)
class Not:
    part: PeopleFilter


PeopleFilter = Condition | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Page:
    size: int
    number: int  # from 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def dumps(found: PeopleFilter) -> str:
    """The filter as JSON (kept with a subscription, evaluated at each change): `loads` reads it back."""
    return json.dumps(_plain(found), sort_keys=True, separators=(",", ":"))


def _plain(found: PeopleFilter) -> Any:
    if isinstance(found, AllOf | AnyOf):
        return {"all" if isinstance(found, AllOf) else "any": [_plain(p) for p in found.parts]}
    if isinstance(found, Not):
        return {"not": _plain(found.part)}
    values = [{"date": v.isoformat()} if isinstance(v, date) else v for v in found.values]
    return {"field": found.field.value, "operator": found.operator.value, "values": values}


def loads(text: str) -> PeopleFilter:
    return _filter(json.loads(text))


def _filter(node: Any) -> PeopleFilter:
    if "all" in node:
        return AllOf(tuple(_filter(p) for p in node["all"]))
    if "any" in node:
        return AnyOf(tuple(_filter(p) for p in node["any"]))
    if "not" in node:
        return Not(_filter(node["not"]))
    values = tuple(date.fromisoformat(v["date"]) if isinstance(v, dict) else v for v in node["values"])
    return Condition(Field(node["field"]), Operator(node["operator"]), values)
