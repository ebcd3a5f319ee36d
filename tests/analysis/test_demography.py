"""The cohort-component projection against the WPP 2024 medium variant it is built from."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.interpolate import PchipInterpolator

from himaya.analysis.demography import FEMALE, MALE, graduate, monotone_cubic, step, wpp_population, wpp_rates
from tests.conftest import REPO, SHARED

WPP = SHARED / "external" / "wpp"


def wpp_1_january() -> dict[int, float]:
    """WPP's residents on 1 January of each year, read from shared/ (not the package's copy): the
    mean of the mid-year totals of the year before and the year (as WPP's own 5-year table does)."""
    with (WPP / "oman_wpp2024_annual_indicators_proj_2024_2100.csv").open(encoding="utf-8") as file:
        mid_year = {int(r["year"]): float(r["pop"]) * 1000 for r in csv.DictReader(file)}
    return {y + 1: (mid_year[y] + mid_year[y + 1]) / 2 for y in mid_year if y + 1 in mid_year}


@pytest.mark.shared
def test_the_packaged_wpp_files_are_the_shared_extracts_unchanged() -> None:
    """The program reads its own copies (src/himaya/analysis/data); they must be WPP's, byte for byte."""
    packaged = REPO / "src" / "himaya" / "analysis" / "data"
    copies = sorted(packaged.glob("oman_wpp2024_*.csv"))
    assert len(copies) == 5
    for copy in copies:
        assert copy.read_bytes() == (WPP / copy.name).read_bytes(), copy.name


def start() -> np.ndarray:
    groups, counts = wpp_population(2025)
    return np.stack([graduate(list(groups), counts[:, sex]) for sex in (MALE, FEMALE)], axis=1)


def test_graduation_keeps_every_group_total_and_is_never_negative() -> None:
    _, counts = wpp_population(2025)
    single = start()
    assert (single >= 0).all()
    assert single.shape == (101, 2)
    by_group = np.array([single[5 * i : 5 * i + 5].sum(axis=0) for i in range(20)] + [single[100]])
    np.testing.assert_allclose(by_group, counts, rtol=1e-9)


def test_themonotone_cubic_is_scipys_pchip() -> None:
    _, counts = wpp_population(2025)
    limits = np.append(np.arange(0, 101, 5), 101).astype(float)
    for sex in (MALE, FEMALE):
        cumulative = np.concatenate([[0.0], np.cumsum(counts[:, sex])])
        at = np.linspace(0, 101, 405)
        np.testing.assert_allclose(
            monotone_cubic(limits, cumulative, at), PchipInterpolator(limits, cumulative)(at), rtol=1e-10, atol=1e-6
        )


@pytest.mark.shared
def test_all_residents_stay_within_3_percent_of_wpp_every_year_to_2050() -> None:
    wpp = wpp_1_january()
    rates = wpp_rates()
    population = start()
    gaps = {}
    for year in range(2025, 2051):
        gaps[year] = population.sum() / wpp[year] - 1
        population = step(population, rates, year, migration=True)
    worst = max(gaps, key=lambda y: abs(gaps[y]))
    assert abs(gaps[worst]) <= 0.03, f"{worst}: {gaps[worst]:+.2%} from WPP"
    assert abs(gaps[2025]) < 1e-6  # the start is WPP's own pyramid


@pytest.mark.parametrize("year", [2030, 2040, 2050])
def test_the_elderly_and_the_children_follow_wpp(year: int) -> None:
    """Not only the total: the groups that drive the cost (60+, under 15) within 3 % too."""
    rates = wpp_rates()
    population = start()
    for y in range(2025, year):
        population = step(population, rates, y, migration=True)
    _, wpp = wpp_population(year)
    assert population[60:].sum() == pytest.approx(wpp[12:].sum(), rel=0.03)
    assert population[:15].sum() == pytest.approx(wpp[:3].sum(), rel=0.03)


def test_without_migration_a_population_only_ages_births_and_deaths() -> None:
    rates = wpp_rates()
    population = start()
    after = step(population, rates, 2025, migration=False)
    # everyone aged 0-98 is a year older, fewer by deaths only
    assert (after[1:100] <= population[0:99] + 1e-9).all()
    assert after[0].sum() > 0  # births
