"""Money is an integer count of a currency's smallest unit inside Himaya: baisa for the Omani rial
(1 OMR = 1000 baisa), the dinar itself for the Iraqi dinar (amounts in whole dinars).

A policy pack names its currency; an amount becomes decimal text in that currency only at the edges
(files, API, screens), so that no amount ever passes through binary floating point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from himaya.core.text import Language, Text


class MoneyFormatError(ValueError):
    """A text that is not a non-negative amount of the currency, exact to its smallest unit."""


@dataclass(frozen=True)
class Currency:
    """A currency as amounts are written in it: its ISO 4217 code, how many decimals an amount has
    (3 for the rial: baisa; 0 for the dinar: whole dinars), its symbol in each language, and the name
    of its smallest unit (for messages)."""

    code: str
    decimals: int
    symbol: Text
    smallest: str  # "baisa", "dinar": what an amount is exact to
    example: str  # an amount as a person writes it, for messages: "115.000", "125000"

    @property
    def per_unit(self) -> int:
        """Smallest units in one unit of the currency (1000 baisa in a rial, 1 dinar in a dinar)."""
        return int(10**self.decimals)

    @property
    def pattern(self) -> re.Pattern[str]:
        fraction = rf"(?:\.(?P<minor>[0-9]{{1,{self.decimals}}}))?" if self.decimals else ""
        return re.compile(rf"^(?P<units>[0-9]+){fraction}$")

    def too_precise(self, text: str) -> str | None:
        """Why `text` is refused for its decimals, or None: more of them than the currency has."""
        if self.decimals == 0 and re.match(r"^[0-9]+\.[0-9]*$", text):
            return f"{text!r} has decimals: {self.code} amounts are whole, exact to the {self.smallest}"
        if self.decimals and re.match(rf"^[0-9]+\.[0-9]{{{self.decimals + 1},}}$", text):
            return f"{text!r} has more than {self.decimals} decimals"
        return None

    def parse(self, text: str) -> int:
        """Parse a decimal amount exactly into the smallest unit.

        >>> OMR.parse("257.148"), OMR.parse("80")
        (257148, 80000)
        """
        cleaned = text.strip()
        if cleaned.startswith("-"):
            raise MoneyFormatError(f"{text!r} is negative")
        match = self.pattern.match(cleaned)
        if match is None:
            raise MoneyFormatError(
                self.too_precise(cleaned) or f"{text!r} is not an {self.code} amount like {self.example}"
            )
        minor = (match.groupdict().get("minor") or "").ljust(self.decimals, "0")
        return int(match.group("units")) * self.per_unit + (int(minor) if minor else 0)

    def format(self, amount: int, *, grouped: bool = False) -> str:
        """An amount in the smallest unit as decimal text; `grouped` separates thousands for reading.

        >>> OMR.format(257148), OMR.format(-5), OMR.format(46050000, grouped=True)
        ('257.148', '-0.005', '46,050.000')
        """
        sign = "-" if amount < 0 else ""
        units, rest = divmod(abs(amount), self.per_unit)
        whole = f"{units:,}" if grouped else f"{units}"
        return f"{sign}{whole}.{rest:0{self.decimals}d}" if self.decimals else f"{sign}{whole}"

    def shown(self, amount: int, language: Language = "en", *, grouped: bool = False) -> str:
        """The amount with the currency's symbol: '10.000 OMR', '125,000 د.ع.'."""
        return f"{self.format(amount, grouped=grouped)} {self.symbol.in_(language)}"


OMR = Currency("OMR", 3, Text("OMR", "ر.ع."), smallest="baisa", example="115.000")
BAISA_PER_OMR = OMR.per_unit


def parse_omr(text: str) -> int:
    """Parse a decimal OMR string exactly into baisa.

    >>> parse_omr("257.148")
    257148
    >>> parse_omr("80")
    80000
    """
    return OMR.parse(text)


def format_omr(baisa: int, *, grouped: bool = False) -> str:
    """Format baisa as OMR with exactly 3 decimals; `grouped` separates thousands for reading.

    >>> format_omr(257148)
    '257.148'
    >>> format_omr(-5)
    '-0.005'
    >>> format_omr(46050000, grouped=True)
    '46,050.000'
    """
    return OMR.format(baisa, grouped=grouped)


def round_half_up(value: Fraction) -> int:
    """Round an exact fraction to the nearest integer, halves away from minus infinity.

    >>> round_half_up(Fraction(5, 2)), round_half_up(Fraction(-5, 2))
    (3, -2)
    """
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)
