"""A neutral filter over the registry's people: what a partner protocol asks, in the registry's terms.

An adapter (DCI today) translates its own query language into these values; the store compiles
them into one scoped statement. Nothing here knows a protocol or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


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
