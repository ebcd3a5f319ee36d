"""The input contract of a policy pack, as data: columns, their kinds, and rules across rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ID = "id"  # a non-empty identifier, kept as text
    CODE = "code"  # one of a fixed list of codes
    COUNTRY = "country"  # an ISO 3166-1 alpha-2 code
    DATE = "date"  # YYYY-MM-DD
    BOOL = "bool"  # true/false (CSV also 1/0)
    MONEY = "money"  # OMR, at most 3 decimals, not negative; read into integer baisa


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    codes: tuple[str, ...] = ()  # for Kind.CODE

    def __post_init__(self) -> None:
        if (self.kind is Kind.CODE) != bool(self.codes):
            raise ValueError(f"column {self.name}: codes go with kind 'code' and only with it")


@dataclass(frozen=True)
class OnePerGroup:
    """Each group (e.g. a family) has exactly one row whose `column` equals `value` (e.g. its head)."""

    group: str
    column: str
    value: str


@dataclass(frozen=True)
class NotBefore:
    """`column` is empty or not earlier than `reference` (e.g. no death before birth)."""

    column: str
    reference: str


@dataclass(frozen=True)
class TableSchema:
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    one_per_group: tuple[OnePerGroup, ...] = ()
    not_before: tuple[NotBefore, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
