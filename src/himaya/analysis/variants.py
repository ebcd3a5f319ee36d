"""WPP 2024's variants of the population: the low and high fertility variants and the 80 % and 95 %
intervals of its probabilistic projection, as they ship in the annual indicators' file.

- `low`, `high`: WPP's total fertility half a child below or above the medium variant. The citizens'
  fertility of each year is multiplied by WPP's tfr_low / tfr (or tfr_high / tfr) of that year, so
  the variant changes the births and nothing else, as in WPP.
- `80l`, `80u`, `95l`, `95u`: the lower and upper bounds of WPP's 80 % and 95 % intervals. WPP ships
  them for the total population only (no ages): the projected citizens of each age and sex on
  1 January of a year are scaled by WPP's bound over its medium total on 31 December of the year
  before. A uniform scaling is the crudest reading of an interval (the uncertainty of fertility
  falls on the young, of migration on working ages); it gives the order of magnitude, not the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from himaya.analysis.demography import FIRST_YEAR, OMAN, Wpp, _rows

FERTILITY = {"low": "tfr_low", "high": "tfr_high"}
INTERVALS = {"80l": "pop_80l", "80u": "pop_80u", "95l": "pop_95l", "95u": "pop_95u"}
VARIANTS = ("medium", *FERTILITY, *INTERVALS)


class VariantError(ValueError):
    """A variant WPP does not have."""


@dataclass(frozen=True)
class Variant:
    name: str
    fertility: Callable[[int], float]  # multiplies the citizens' fertility of the year
    scale: Callable[[int], float]  # multiplies the population on 1 January of the year


@cache
def _indicators(source: Wpp) -> dict[int, dict[str, str]]:
    return {int(row["year"]): row for row in _rows(source, "annual_indicators_proj_2024_2100.csv")}


def variant(name: str, source: Wpp = OMAN) -> Variant:
    """The variant called `name` (one of VARIANTS); VariantError naming the known ones otherwise."""
    if name not in VARIANTS:
        raise VariantError(f"unknown WPP variant {name!r}; known: {', '.join(VARIANTS)}")
    rows = _indicators(source)

    def one(_: int) -> float:
        return 1.0

    if name in FERTILITY:
        column = FERTILITY[name]

        def fertility(year: int) -> float:
            row = rows[year]
            return float(row[column]) / float(row["tfr"])

        return Variant(name, fertility, one)
    if name in INTERVALS:
        column = INTERVALS[name]

        def scale(year: int) -> float:
            row = rows[max(year - 1, FIRST_YEAR - 1)]  # 31 December of the year before
            return float(row[column]) / float(row["pop"])

        return Variant(name, one, scale)
    return Variant(name, one, one)


def scaled(populations: np.ndarray, first: int, chosen: Variant) -> np.ndarray:
    """Populations (years from `first`, ages, sexes) scaled by the variant's factor of each year."""
    factors = np.array([chosen.scale(first + i) for i in range(len(populations))])
    return populations * factors[:, None, None]
