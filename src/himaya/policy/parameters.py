"""Dated parameters: one YAML file per parameter, the folder path is the access path.

`parameters/elderly/income_test/full_until.yaml` is read as `p.elderly.income_test.full_until`.
Every parameter carries a bilingual description, a unit, a status (CONFIRMED, LIKELY, ASSUMED) and a
legal reference; every value carries the date from which it applies. Values are resolved for one date
before any rule runs, so rules only ever see plain numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from himaya.core.errors import HimayaError
from himaya.core.money import Currency, MoneyFormatError
from himaya.core.text import Language, Text
from himaya.policy.ranges import Bound, bounds_of, within

MAX_DIGITS = 12  # of a money parameter's whole units, as the people table's amounts (policy/table.MONEY_DIGITS)
ParameterValue = int | bool | Fraction | tuple[str, ...] | tuple[tuple[str, ...], ...]


class ParameterError(HimayaError):
    """A parameter file, or a reform, that cannot be used as written."""


class Status(StrEnum):
    CONFIRMED = "CONFIRMED"
    LIKELY = "LIKELY"
    ASSUMED = "ASSUMED"
    REFORM = "REFORM"  # a reform's value: what the reform proposes, not the law in force

    @property
    def name_text(self) -> Text:
        return STATUS_NAMES[self]


STATUS_NAMES = {
    Status.CONFIRMED: Text("CONFIRMED", "مؤكَّد"),
    Status.LIKELY: Text("LIKELY", "مرجَّح"),
    Status.ASSUMED: Text("ASSUMED", "مفترَض"),
    Status.REFORM: Text("REFORM", "إصلاح مقترح"),
}


class Unit(StrEnum):
    """What a value means, and so how it is written and read."""

    # Money per month, written in YAML as the pack's currency code (`unit: OMR`, `unit: IQD`) and
    # its value as a quoted decimal of that currency; resolved to an integer of its smallest unit.
    MONEY = "money"
    YEARS = "years"  # a whole number of years
    COUNT = "count"  # a whole number
    RATE = "rate"  # a decimal fraction such as "0.5"; resolved to an exact Fraction
    SWITCH = "switch"  # true or false: a documented rule switch
    CODES = "codes"  # a list of codes
    CODE_PAIRS = "code_pairs"  # a list of lists of codes


MAX_YEARS = 150  # an age or a number of years beyond a life is a typing error
MAX_COUNT = 10**9  # the rules compute in Int64: keep far from its end

# libyaml's safe loader where PyYAML was built with it: the same documents (the safe constructor),
# read in C. A life events run or a service loads the pack's hundred-odd files once, and the pure
# Python reader took a second of it.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_value(unit: Unit, raw: object, currency: Currency | None = None) -> ParameterValue:
    """Turn a value as written in YAML into its exact resolved form, or say why it cannot be
    (money in `currency`, the pack's)."""
    if unit is Unit.MONEY:
        if currency is None:
            raise ValueError("a money value needs the pack's currency")
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueError(
                f"{raw!r} is not an amount: write {currency.code} as a quoted string like '{currency.example}'"
            )
        try:
            amount = currency.parse(str(raw))
        except MoneyFormatError as error:
            raise ValueError(str(error)) from None
        if amount >= 10**MAX_DIGITS * currency.per_unit:  # the rules compute in Int64: keep far from its end
            raise ValueError(f"{raw!r} is too large: at most {MAX_DIGITS} digits before the decimal point")
        return amount
    if unit in (Unit.YEARS, Unit.COUNT):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"{raw!r} is not a whole number of {unit.value}")
        if raw < 0:
            raise ValueError(f"{raw!r} is out of range: a number of {unit.value} is 0 or more")
        if raw > (top := MAX_YEARS if unit is Unit.YEARS else MAX_COUNT):
            raise ValueError(f"{raw!r} is out of range: at most {top:,} {unit.value}")
        return raw
    if unit is Unit.RATE:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueError(f"{raw!r} is not a rate: write it as a quoted decimal like '0.5'")
        try:
            rate = Fraction(Decimal(str(raw)))
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not a decimal rate like '0.5'") from None
        if rate < 0:
            raise ValueError(f"{raw!r} is negative")
        return rate
    if unit is Unit.SWITCH:
        if not isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not true or false")
        return raw
    if unit is Unit.CODES:
        if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
            raise ValueError(f"{raw!r} is not a list of codes")
        return tuple(raw)
    if not isinstance(raw, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, str) for c in pair) for pair in raw
    ):
        raise ValueError(f"{raw!r} is not a list of pairs of codes")
    return tuple(tuple(pair) for pair in raw)


def format_value(
    unit: Unit,
    value: ParameterValue,
    language: Language = "en",
    names: Mapping[str, Text] | None = None,
    currency: Currency | None = None,
) -> str:
    """The value as a person reads it: '115.000 OMR', '0.5', 'true', 'autism, visual'; in Arabic
    '115.000 ر.ع.', '18 سنة', 'نعم', and codes by their Arabic names (`names`) where known."""
    arabic = language == "ar"
    if unit is Unit.MONEY:
        assert isinstance(value, int) and currency is not None
        return currency.shown(value, language)
    if unit is Unit.RATE:
        assert isinstance(value, Fraction)
        return str((Decimal(value.numerator) / Decimal(value.denominator)).normalize())
    if unit is Unit.SWITCH:
        return ("نعم" if value else "لا") if arabic else ("true" if value else "false")
    if unit is Unit.YEARS:
        assert isinstance(value, int)
        return arabic_years(value) if arabic else f"{value} years"

    def named(code: str) -> str:
        return names[code].in_(language) if arabic and names and code in names else code

    if unit is Unit.CODES:
        assert isinstance(value, tuple)
        return ("، " if arabic else ", ").join(named(str(code)) for code in value)
    if unit is Unit.CODE_PAIRS:
        assert isinstance(value, tuple)
        over = " مقدَّمة على " if arabic else " over "
        pairs = [over.join(named(code) for code in pair) for pair in value if isinstance(pair, tuple)]
        return ("؛ " if arabic else "; ").join(pairs)
    return str(value)


def arabic_years(count: int) -> str:
    """A number of years in Arabic: the counted noun agrees with the number.

    >>> [arabic_years(n) for n in (1, 2, 3, 18, 100)]
    ['سنة واحدة', 'سنتان', '3 سنوات', '18 سنة', '100 سنة']
    """
    if count == 1:
        return "سنة واحدة"
    if count == 2:
        return "سنتان"
    if 3 <= count % 100 <= 10:
        return f"{count} سنوات"
    return f"{count} سنة"


@dataclass(frozen=True)
class DatedValue:
    """A value and the first day it applies; it applies until the next value starts."""

    start: date
    value: ParameterValue
    reference: str | None = None  # overrides the parameter's reference for this value
    reform: bool = False  # laid over the law by a reform (himaya.policy.reforms)


@dataclass(frozen=True)
class Parameter:
    path: str
    description: Text
    unit: Unit
    status: Status
    reference: str
    values: tuple[DatedValue, ...]
    note: str | None = None  # why an ASSUMED value was chosen, or what is uncertain
    reference_ar: str | None = None  # the reference in Arabic
    note_ar: str | None = None  # the note in Arabic
    currency: Currency | None = None  # for money: the pack's currency
    bounds: tuple[Bound, Bound] = (None, None)  # the file's `minimum` and `maximum`, in the unit's resolved form

    def parse(self, raw: object) -> ParameterValue:
        """A value written for this parameter: of its unit and within its `minimum` and `maximum`."""
        return within(parse_value(self.unit, raw, self.currency), raw, self.bounds, self.shown)

    @property
    def unit_name(self) -> str:
        """The unit as its file writes it: the currency's code for money (OMR, IQD), else the unit."""
        return self.currency.code if self.unit is Unit.MONEY and self.currency else self.unit.value

    def shown(self, value: ParameterValue, language: Language = "en", names: Mapping[str, Text] | None = None) -> str:
        """A value of this parameter as a person reads it (`format_value` in its unit and currency)."""
        return format_value(self.unit, value, language, names, self.currency)

    def value_at(self, day: date) -> DatedValue:
        starts = [v.start for v in self.values]
        index = bisect.bisect_right(starts, day) - 1
        if index < 0:
            raise ParameterError(f"parameter {self.path} has no value before {self.values[0].start}")
        return self.values[index]

    def reference_at(self, day: date) -> str:
        return self.value_at(day).reference or self.reference

    def reference_in(self, day: date, language: Language) -> str:
        """The reference of the value in force on `day`, in Arabic where the file gives it (a value
        with a source of its own, e.g. a reform's, keeps that source as written)."""
        dated = self.value_at(day)
        if dated.reform and language == "ar":
            return f"إصلاح: {(dated.reference or '').removeprefix('reform: ')}"
        if dated.reference:
            return dated.reference
        return (self.reference_ar or self.reference) if language == "ar" else self.reference

    def status_at(self, day: date) -> Status:
        """The parameter's status, or REFORM for a value a reform laid over it."""
        return Status.REFORM if self.value_at(day).reform else self.status

    def note_in(self, language: Language) -> str | None:
        return (self.note_ar or self.note) if language == "ar" else self.note

    def until(self, end: date) -> Parameter:
        """A copy without the values that start on or after `end` (a reform's schedule takes over there)."""
        return replace(self, values=tuple(v for v in self.values if v.start < end))

    def with_value(self, start: date, value: ParameterValue, reference: str, *, reform: bool = False) -> Parameter:
        """A copy in which `value` applies from `start`, replacing any value that starts on that day."""
        kept = [v for v in self.values if v.start != start]
        merged = sorted([*kept, DatedValue(start, value, reference, reform)], key=lambda v: v.start)
        return replace(self, values=tuple(merged))


@dataclass(frozen=True)
class ParameterTree:
    """All parameters of a policy pack, by dotted path."""

    parameters: Mapping[str, Parameter]

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters[path] for path in sorted(self.parameters))

    def __getitem__(self, path: str) -> Parameter:
        try:
            return self.parameters[path]
        except KeyError:
            raise ParameterError(f"unknown parameter {path!r}") from None

    def __contains__(self, path: object) -> bool:
        return path in self.parameters

    def replaced(self, changed: Iterable[Parameter]) -> ParameterTree:
        merged = dict(self.parameters)
        merged.update({p.path: p for p in changed})
        return ParameterTree(merged)

    def at(self, day: date) -> Parameters:
        """The values in force on `day`, as an attribute tree for the rules."""
        return Parameters(self, day, prefix="", used=[])


@dataclass
class Parameters:
    """Parameter values resolved for one date; `p.child.amount` reads one.

    Every value read is remembered in `used`, so an explanation can list exactly the parameters
    (with values and references) that a programme's rule consulted.
    """

    tree: ParameterTree
    day: date
    prefix: str
    used: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        path = f"{self.prefix}{name}"
        if path in self.tree:
            if path not in self.used:
                self.used.append(path)
            return self.tree[path].value_at(self.day).value
        if any(key.startswith(f"{path}.") for key in self.tree.parameters):
            return Parameters(self.tree, self.day, prefix=f"{path}.", used=self.used)
        raise ParameterError(f"unknown parameter {path!r}")

    def recording(self) -> Parameters:
        """A fresh view on the same values whose `used` list starts empty."""
        return Parameters(self.tree, self.day, prefix=self.prefix, used=[])


_REQUIRED_KEYS = ("description", "unit", "status", "reference", "values")


def _unit(written: object, currency: Currency) -> Unit:
    """The unit a file writes: the pack's currency code is money; another currency is refused."""
    if written == currency.code:
        return Unit.MONEY
    if written == Unit.MONEY.value:
        raise ValueError(f"write the unit of money as the pack's currency code, {currency.code}")
    try:
        return Unit(str(written))
    except ValueError:
        if isinstance(written, str) and written.isalpha() and written.isupper() and len(written) == 3:
            raise ValueError(f"unit {written}: the pack's currency is {currency.code}") from None
        units = [currency.code, *(u.value for u in Unit if u is not Unit.MONEY)]
        raise ValueError(f"{written!r} is not a unit: {', '.join(units)}") from None


def _load_parameter(file: Path, path: str, currency: Currency) -> Parameter:
    def fail(message: str) -> ParameterError:
        return ParameterError(f"{file}: {message}")

    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise fail("a parameter file must be a mapping")
    missing = [key for key in _REQUIRED_KEYS if not document.get(key)]
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    description = document["description"]
    if not isinstance(description, dict) or not description.get("en") or not description.get("ar"):
        raise fail("description needs both 'en' and 'ar'")
    try:
        unit = _unit(document["unit"], currency)
        status = Status(document["status"])
    except ValueError as error:
        raise fail(str(error)) from None
    if status is Status.REFORM:
        raise fail("status REFORM marks a reform's values; a parameter file is CONFIRMED, LIKELY or ASSUMED")
    try:
        bounds = bounds_of(document, lambda raw: parse_value(unit, raw, currency))
    except ValueError as error:
        raise fail(str(error)) from None

    def shown(value: ParameterValue) -> str:
        return format_value(unit, value, currency=currency)

    raw_values = document["values"]
    if not isinstance(raw_values, dict):
        raise fail("values must map effective dates (YYYY-MM-DD) to values")
    values: list[DatedValue] = []
    for start, written in raw_values.items():
        if not isinstance(start, date):
            raise fail(f"effective date {start!r} is not a date (YYYY-MM-DD)")
        # A value is written plainly, or as {value: ..., reference: ...} when it has its own source.
        reference = written.get("reference") if isinstance(written, dict) else None
        raw = written.get("value") if isinstance(written, dict) else written
        try:
            values.append(DatedValue(start, within(parse_value(unit, raw, currency), raw, bounds, shown), reference))
        except ValueError as error:
            raise fail(f"value from {start}: {error}") from None
    return Parameter(
        path=path,
        description=Text(en=str(description["en"]).strip(), ar=str(description["ar"]).strip()),
        unit=unit,
        status=status,
        reference=str(document["reference"]).strip(),
        values=tuple(sorted(values, key=lambda v: v.start)),
        note=str(document["note"]).strip() if document.get("note") else None,
        reference_ar=str(document["reference_ar"]).strip() if document.get("reference_ar") else None,
        note_ar=str(document["note_ar"]).strip() if document.get("note_ar") else None,
        currency=currency if unit is Unit.MONEY else None,
        bounds=bounds,
    )


def load_parameters(directory: Path, *, currency: Currency) -> ParameterTree:
    """Read every `*.yaml` below `directory`; the relative path names the parameter; money is in
    `currency`, the pack's."""
    parameters = {}
    for file in sorted(directory.rglob("*.yaml")):
        path = ".".join(file.relative_to(directory).with_suffix("").parts)
        parameters[path] = _load_parameter(file, path, currency)
    if not parameters:
        raise ParameterError(f"no parameter files under {directory}")
    return ParameterTree(parameters)
