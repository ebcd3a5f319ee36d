"""Money is integer baisa inside Himaya (1 OMR = 1000 baisa).

It becomes a 3-decimal OMR string only at the edges (files, API, screens), so that no amount ever
passes through binary floating point.
"""

from __future__ import annotations

import re
from fractions import Fraction

BAISA_PER_OMR = 1000
OMR_PATTERN = re.compile(r"^(?P<units>[0-9]+)(?:\.(?P<baisa>[0-9]{1,3}))?$")


class MoneyFormatError(ValueError):
    """A text that is not a non-negative OMR amount with at most 3 decimals."""


def parse_omr(text: str) -> int:
    """Parse a decimal OMR string exactly into baisa.

    >>> parse_omr("257.148")
    257148
    >>> parse_omr("80")
    80000
    """
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise MoneyFormatError(f"{text!r} is negative")
    match = OMR_PATTERN.match(cleaned)
    if match is None:
        if re.match(r"^[0-9]+\.[0-9]{4,}$", cleaned):
            raise MoneyFormatError(f"{text!r} has more than 3 decimals")
        raise MoneyFormatError(f"{text!r} is not an OMR amount like 115.000")
    baisa = (match.group("baisa") or "").ljust(3, "0")
    return int(match.group("units")) * BAISA_PER_OMR + int(baisa)


def format_omr(baisa: int, *, grouped: bool = False) -> str:
    """Format baisa as OMR with exactly 3 decimals; `grouped` separates thousands for reading.

    >>> format_omr(257148)
    '257.148'
    >>> format_omr(-5)
    '-0.005'
    >>> format_omr(46050000, grouped=True)
    '46,050.000'
    """
    sign = "-" if baisa < 0 else ""
    units, rest = divmod(abs(baisa), BAISA_PER_OMR)
    return f"{sign}{units:,}.{rest:03d}" if grouped else f"{sign}{units}.{rest:03d}"


def round_half_up(value: Fraction) -> int:
    """Round an exact fraction to the nearest integer, halves away from minus infinity.

    >>> round_half_up(Fraction(5, 2)), round_half_up(Fraction(-5, 2))
    (3, -2)
    """
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)
