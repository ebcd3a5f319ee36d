"""The input contract of a policy pack, as data: columns, their kinds, and rules across rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from himaya.core.money import Currency


class Kind(StrEnum):
    ID = "id"  # a non-empty identifier, kept as text
    CODE = "code"  # one of a fixed list of codes
    COUNTRY = "country"  # an ISO 3166-1 alpha-2 code
    DATE = "date"  # YYYY-MM-DD
    BOOL = "bool"  # true/false (CSV also 1/0)
    MONEY = "money"  # the schema's currency, exact to its smallest unit, not negative; read into an int of that unit
    TEXT = "text"  # free text, kept as written
    PATTERN = "pattern"  # text that must match a regular expression (`pattern`, explained by `rule`)
    IBAN = "iban"  # an IBAN (BBAN digits, capitals too where `pattern` allows A-Z) whose ISO 13616 check digits hold


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    codes: tuple[str, ...] = ()  # for Kind.CODE
    pattern: str = ""  # for Kind.PATTERN and Kind.IBAN: the shape a value must have
    rule: str = ""  # the shape in words, for the error message
    rule_ar: str = ""  # the same in Arabic, for the front office's forms (policy/problems_ar.py)
    maximum: int | None = None  # for Kind.MONEY: the most an amount may be, in the currency's smallest unit
    # An empty value is read as zero (money) or false (a flag); with `unknown_if_empty`, an empty
    # amount stays empty (null): "not measured" is then not the same as "measured at zero".
    unknown_if_empty: bool = False

    def __post_init__(self) -> None:
        if (self.kind is Kind.CODE) != bool(self.codes):
            raise ValueError(f"column {self.name}: codes go with kind 'code' and only with it")
        if self.maximum is not None and (self.kind is not Kind.MONEY or self.maximum < 0):
            raise ValueError(f"column {self.name}: a maximum goes with kind 'money' only, and is not negative")
        if (self.kind in (Kind.PATTERN, Kind.IBAN)) != bool(self.pattern and self.rule):
            raise ValueError(f"column {self.name}: a pattern and its rule go with kinds 'pattern' and 'iban' only")
        if self.unknown_if_empty and (self.kind is not Kind.MONEY or self.required):
            raise ValueError(f"column {self.name}: only an optional money column may be unknown when empty")


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
class OnlyWhere:
    """`column` is empty except on the rows whose `where` equals `value` (e.g. a family's measured
    welfare, given on its head's row only: on another row it would be silently ignored)."""

    column: str
    where: str
    value: str


@dataclass(frozen=True)
class PartOf:
    """`column`, where it and `source` are both given, equals `source`'s characters from `start`
    (0-based) for `length` (e.g. an Omani IBAN's bank code: characters 5 to 7 of the IBAN), and is
    not given without `source`. A payment file names the bank by both; when they disagree, the bank
    that receives it is not the account's, and a bank code alone is no account."""

    column: str
    source: str
    start: int
    length: int


@dataclass(frozen=True)
class TableSchema:
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    one_per_group: tuple[OnePerGroup, ...] = ()
    not_before: tuple[NotBefore, ...] = ()
    currency: Currency | None = None  # what its money columns are written in (needed when it has any)
    only_where: tuple[OnlyWhere, ...] = ()
    part_of: tuple[PartOf, ...] = ()

    def __post_init__(self) -> None:
        if self.currency is None and self.money:
            raise ValueError(f"money columns {', '.join(self.money)} need the schema's currency")

    def extended(self, *columns: Column) -> TableSchema:
        """The same contract with columns added, or replaced where a name is already there."""
        replaced = {c.name: c for c in columns}
        kept = tuple(replaced.pop(c.name, c) for c in self.columns)
        return TableSchema(
            kept + tuple(replaced.values()),
            self.unique,
            self.one_per_group,
            self.not_before,
            self.currency,
            self.only_where,
            self.part_of,
        )

    @property
    def money_currency(self) -> Currency:
        """The currency of the money columns (a schema with money columns always has one)."""
        if self.currency is None:
            raise ValueError("this table has no money columns, so no currency")
        return self.currency

    @property
    def money(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind is Kind.MONEY)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
