"""A parameter's range: the `minimum` and `maximum` its file may write, so that a value (the pack's
or a reform's) outside what the parameter can mean is refused when it is read, not when a rule or a
projection divides by it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

Bound = int | Fraction | None
T = TypeVar("T")


def _number(value: object) -> bool:
    return isinstance(value, int | Fraction) and not isinstance(value, bool)


def within(value: T, raw: object, bounds: tuple[Bound, Bound], shown: Callable[[Any], str]) -> T:
    """`value` if it lies within `bounds` (either may be None: no bound), else a ValueError saying
    the value and the range in the parameter's unit (`shown`)."""
    low, high = bounds
    number: Any = value
    if _number(number) and ((low is not None and number < low) or (high is not None and number > high)):
        if high is None:
            allowed = f"at least {shown(low)}"
        elif low is None:
            allowed = f"at most {shown(high)}"
        else:
            allowed = f"from {shown(low)} to {shown(high)}"
        raise ValueError(f"{raw!r} is out of range: {allowed}")
    return value


def bounds_of(document: Mapping[str, Any], parse: Callable[[object], Any]) -> tuple[Bound, Bound]:
    """The file's `minimum` and `maximum` (each optional), written as its values are (`parse`);
    only a number has a range."""
    found: list[Bound] = []
    for key in ("minimum", "maximum"):
        raw = document.get(key)
        value = None if raw is None else parse(raw)
        if value is not None and not _number(value):
            raise ValueError(f"{key} {raw!r}: only a number (money, years, count, rate) has a range")
        found.append(value)
    low, high = found
    if low is not None and high is not None and low > high:
        raise ValueError(f"minimum {document['minimum']!r} is above maximum {document['maximum']!r}")
    return low, high
