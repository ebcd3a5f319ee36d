"""A cohort-component projection of a country's population from the UN WPP 2024 rates (medium variant).

Single years of age 0..100 (100 stands for 100 and over), two sexes, one step a year from
1 January to 1 January:

- survivors: the people aged x on 1 January, plus half the year's net migrants of that age, survive
  the year at the central death rate of their age, exp(-m(x)), and are aged x+1 a year later;
- births: the year's age-specific fertility rates applied to the women of each age at mid-year
  (the mean of the start and the end of the year), split by the sex ratio at birth; the newborn
  survive half a year at the infant death rate;
- migration: WPP's net migrants of the year by single age and sex, read as those aged x at the end
  of the year (on 31 December, the date of WPP's annual populations): half arrive at the start,
  aged x-1, and live the year; half at the end. Read so, the projection reproduces WPP's own 5-year
  pyramids five times more closely than with x as the age at the start of the year (the sum of the
  gaps of the 5-year groups in mid-2030: 16,000 persons against 106,000; tests/analysis).

Timing (the wpp2024 package's manual, `man/PopByAge.Rd`): its annual populations are on
31 December, so the annual `pop` of year y is the population on 1 January of y+1; its 5-year
pyramids hold for year y the mean of the annual populations of y-1 and y, the population at
mid-year (about 1 July of y). Rates and counts of year y cover the calendar year y.

The starting population, 1 January 2025 (`start_population`), is derived from WPP's mid-2025
pyramid: spread over single ages by a monotone cubic (PCHIP) interpolation of the cumulative counts
(which keeps every group's total), with age 0 given by WPP's births of 2024 and 2025; brought back
half a year by taking off half of one year's change (one projection step from the mid-year
pyramid); age 0 set to the survivors of WPP's 2024 births; and scaled by sex to WPP's population on
31 December 2024. The rates between WPP's 5-year periods are interpolated linearly on the period
midpoints.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

DATA = Path(str(files("himaya.analysis") / "data"))
AGES = np.arange(101)  # single ages; 100 is the open group 100+
MALE, FEMALE = 0, 1
FIRST_YEAR = 2025  # the projection starts on 1 January 2025
RATES_FROM = 2024  # the rates are read from 2024: the start needs the births of 2024
LAST_YEAR = 2100


@dataclass(frozen=True)
class Wpp:
    """Where a country's WPP 2024 extract is: `{prefix}_pop_age5_sex_proj_2025_2100.csv` and the
    others (see data/README.md), in `folder` (a pack's analysis inputs name it)."""

    folder: Path
    prefix: str


OMAN = Wpp(DATA, "oman_wpp2024")  # the country the functions below read when none is given


def _rows(source: Wpp, name: str) -> list[dict[str, str]]:
    path = source.folder / f"{source.prefix}_{name}"
    try:
        with path.open(encoding="utf-8") as file:
            return list(csv.DictReader(file))
    except OSError as error:
        raise ValueError(f"the WPP extract {path} cannot be read ({error.strerror})") from None


def _lower(group: str) -> int:
    return int(group.split("-", maxsplit=1)[0].rstrip("+"))


@dataclass(frozen=True)
class Rates:
    """WPP 2024 rates, by year (rows from FIRST_YEAR) and single age."""

    first_year: int
    mortality: np.ndarray  # m(x), shape (years, 101, 2)
    fertility: np.ndarray  # births per woman of age x in the year, shape (years, 101)
    migration: np.ndarray  # net migrants (persons), shape (years, 101, 2)

    def year(self, year: int) -> int:
        if not self.first_year <= year < self.first_year + len(self.mortality):
            raise ValueError(f"WPP rates cover {self.first_year} to {self.first_year + len(self.mortality) - 1}")
        return year - self.first_year


def monotone_cubic(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The monotone piecewise cubic through (x, y) (Fritsch and Carlson, 1980; "PCHIP"), at `at`.

    Slopes at the knots are weighted harmonic means of the neighbouring secants (zero where the
    data turn), so the curve never overshoots: a non-decreasing series stays non-decreasing. A few
    lines of numpy rather than scipy, whose import alone takes longer than a whole projection.
    """
    h = np.diff(x)
    secant = np.diff(y) / h
    slope = np.zeros_like(y)
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same_sign = secant[:-1] * secant[1:] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / secant[:-1] + w2 / secant[1:])
    slope[1:-1] = np.where(same_sign, harmonic, 0.0)
    slope[0] = _end_slope(h[0], h[1], secant[0], secant[1])
    slope[-1] = _end_slope(h[-1], h[-2], secant[-1], secant[-2])
    k = np.clip(np.searchsorted(x, at, side="right") - 1, 0, len(h) - 1)
    s = (at - x[k]) / h[k]
    return (
        (2 * s**3 - 3 * s**2 + 1) * y[k]
        + (s**3 - 2 * s**2 + s) * h[k] * slope[k]
        + (-2 * s**3 + 3 * s**2) * y[k + 1]
        + (s**3 - s**2) * h[k] * slope[k + 1]
    )


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """A one-sided three-point slope at an end, kept from overshooting (as PCHIP does)."""
    slope = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(slope) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(slope) > abs(3 * m0):
        return float(3 * m0)
    return float(slope)


def graduate(groups: list[str], counts: np.ndarray) -> np.ndarray:
    """Counts by 5-year group (..., '100+') spread to single ages 0..100, each group's total kept.

    A monotone cubic through the cumulative counts at the group limits is smooth, never negative,
    and passes exactly through every limit, so each group keeps its total.
    """
    lower = np.array([_lower(g) for g in groups])
    limits = np.append(lower, 101).astype(float)  # the open group is given one year: it is held as one age
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    return np.diff(monotone_cubic(limits, cumulative, np.arange(102, dtype=float)))


@cache
def wpp_population(year: int = FIRST_YEAR, source: Wpp = OMAN) -> tuple[tuple[str, ...], np.ndarray]:
    """WPP's residents at mid-year (about 1 July) of `year` (a multiple of 5), by 5-year group and sex
    (persons): the mean of the populations on 31 December of the year before and of the year."""
    rows = [r for r in _rows(source, "pop_age5_sex_proj_2025_2100.csv") if int(r["year"]) == year]
    if not rows:
        raise ValueError(f"the WPP pyramid is given every 5 years from 2025, not for {year}")
    counts = np.array([[float(r["popM"]), float(r["popF"])] for r in rows]) * 1000
    return tuple(r["age"] for r in rows), counts


def _by_period(rows: list[dict[str, str]], value: str, years: np.ndarray) -> dict[str, np.ndarray]:
    """A rate given per 5-year period (on its midpoint year), interpolated to every year, by age group."""
    by_age: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        by_age.setdefault(row["age"], []).append((int(row["year"]), float(row[value])))
    return {
        age: np.interp(years, [p[0] for p in sorted(points)], [p[1] for p in sorted(points)])
        for age, points in by_age.items()
    }


@cache
def wpp_annual(source: Wpp = OMAN) -> dict[int, tuple[np.ndarray, float]]:
    """WPP's residents on 31 December of each year from 2024 by sex (persons), and the year's births."""
    return {
        int(r["year"]): (np.array([float(r["popM"]), float(r["popF"])]) * 1000, float(r["births"]) * 1000)
        for r in _rows(source, "annual_indicators_proj_2024_2100.csv")
    }


@cache
def wpp_rates(source: Wpp = OMAN) -> Rates:
    years = np.arange(RATES_FROM, LAST_YEAR + 1)
    mortality = np.zeros((len(years), 101, 2))
    mx = _rows(source, "mx_age5_sex_1950_2100.csv")
    for column, sex in (("mxM", MALE), ("mxF", FEMALE)):
        series = _by_period(mx, column, years)
        groups = sorted(series, key=_lower)
        lower = np.array([_lower(g) for g in groups])
        group_of_age = np.searchsorted(lower, AGES, side="right") - 1
        table = np.stack([series[g] for g in groups], axis=1)  # years x groups
        mortality[:, :, sex] = table[:, group_of_age]

    indicators = {int(r["year"]): r for r in _rows(source, "annual_indicators_proj_2024_2100.csv")}
    tfr = np.array([float(indicators[int(y)]["tfr"]) for y in years])
    shares = _by_period(_rows(source, "pasfr_age5_1950_2100.csv"), "pasfr", years)
    fertility = np.zeros((len(years), 101))
    for group, share in shares.items():
        low = _lower(group)
        fertility[:, low : low + 5] = (tfr * share / 100 / 5)[:, None]

    migration = np.zeros((len(years), 101, 2))
    rows = _rows(source, "netmig_age1_sex_proj_2023_2100.csv")
    year = np.array([int(r["year"]) for r in rows])
    age = np.minimum(np.array([int(r["age"]) for r in rows]), 100)
    migrants = np.array([[float(r["migM"]), float(r["migF"])] for r in rows]).reshape(-1, 2) * 1000
    kept = (year >= RATES_FROM) & (year <= LAST_YEAR)
    np.add.at(migration, (year[kept] - RATES_FROM, age[kept]), migrants[kept])  # ages past 100 added up
    return Rates(RATES_FROM, mortality, fertility, migration)


def newborn(births: float, rates: Rates, year: int, *, migration: bool, sex_ratio_at_birth: float) -> np.ndarray:
    """Those aged 0 on 1 January of `year` + 1 (by sex) from the births of `year`: split by the sex
    ratio at birth, surviving half a year at the infant death rate, plus the year's net migrants
    aged 0 (born in the year: none of them was there at its start)."""
    i = rates.year(year)
    boys = births * sex_ratio_at_birth / (1 + sex_ratio_at_birth)
    arrived = rates.migration[i, 0] if migration else 0.0
    return np.array([boys, births - boys]) * np.exp(-rates.mortality[i, 0] / 2) + arrived


def step(
    population: np.ndarray,
    rates: Rates,
    year: int,
    *,
    migration: bool,
    fertility_factor: float = 1.0,
    sex_ratio_at_birth: float = 1.05,
) -> np.ndarray:
    """The population (101 ages x 2 sexes) on 1 January of `year` + 1 from the one on 1 January of `year`."""
    i = rates.year(year)
    m = rates.mortality[i]
    migrants = rates.migration[i] if migration else np.zeros_like(population)
    at_risk = population.copy()
    at_risk[:-1] += migrants[1:] / 2  # half of those aged x at the end arrive at the start, aged x-1
    survivors = at_risk * np.exp(-m)
    after = np.zeros_like(population)
    after[1:] = survivors[:-1]
    after[100] += survivors[100]  # the open group stays open
    after[1:] += migrants[1:] / 2  # and half at the end
    women_mid_year = (population[:, FEMALE] + after[:, FEMALE]) / 2
    births = float((rates.fertility[i] * fertility_factor * women_mid_year).sum())
    after[0] = newborn(births, rates, year, migration=migration, sex_ratio_at_birth=sex_ratio_at_birth)
    return np.clip(after, 0.0, None)  # a negative count (more emigrants than people) is no one


@cache
def start_population(sex_ratio_at_birth: float = 1.05, *, scaled: bool = True, source: Wpp = OMAN) -> np.ndarray:
    """WPP's residents on 1 January 2025 by single age and sex (persons), from its mid-2025 pyramid.

    1. The mid-2025 pyramid by single age: WPP's 5-year groups spread by `graduate`, with age 0 (the
       mean of those aged 0 on 1 January 2025 and 2026) from WPP's births of 2024 and 2025, so that
       the interpolation does not bend age 0 down to the slope of the older groups.
    2. Half a year back: the mid-year pyramid less half of one year's change, the change being one
       projection step (the rates of 2025) from the mid-year pyramid; age 0 is the 2024 births'.
    3. `scaled`: each sex scaled to WPP's population on 31 December 2024 (a factor within 0.01 % of
       1: the tests hold it there).
    """
    rates, annual = wpp_rates(source), wpp_annual(source)
    groups, counts = wpp_population(FIRST_YEAR, source)
    first = FIRST_YEAR - 1

    def aged_0(year: int) -> np.ndarray:  # on 1 January of year + 1
        return newborn(annual[year][1], rates, year, migration=True, sex_ratio_at_birth=sex_ratio_at_birth)

    at_start = aged_0(first)
    age0 = (at_start + aged_0(FIRST_YEAR)) / 2
    split = ("0", "1-4", *groups[1:])
    mid_year = np.stack(
        [graduate(list(split), np.concatenate([[age0[s], counts[0, s] - age0[s]], counts[1:, s]])) for s in (0, 1)],
        axis=1,
    )
    year_on = step(mid_year, rates, FIRST_YEAR, migration=True, sex_ratio_at_birth=sex_ratio_at_birth)
    population = mid_year - (year_on - mid_year) / 2
    population[0] = at_start
    population *= annual[first][0] / population.sum(axis=0) if scaled else 1.0
    population.setflags(write=False)  # cached: shared by every caller
    return population
