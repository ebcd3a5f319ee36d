"""The cohort-component projection against the WPP 2024 medium variant it is built from."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.interpolate import PchipInterpolator

from himaya.analysis.demography import (
    FEMALE,
    MALE,
    graduate,
    monotone_cubic,
    start_population,
    step,
    wpp_population,
    wpp_rates,
)
from tests.conftest import REPO, SHARED

WPP = SHARED / "external" / "wpp"
# WPP 2024, Oman, medium variant: residents on 31 December 2024 (the wpp2024 package's annual `pop`
# of 2024; its manual, man/PopByAge.Rd: annual populations are on 31 December), that is 1 January 2025.
WPP_1_JANUARY_2025 = 5_397_932


def wpp_1_january() -> dict[int, float]:
    """WPP's residents on 1 January of each year, read from shared/ (not the package's copy): the
    annual population of the year before, which is on its 31 December."""
    with (WPP / "oman_wpp2024_annual_indicators_proj_2024_2100.csv").open(encoding="utf-8") as file:
        return {int(r["year"]) + 1: float(r["pop"]) * 1000 for r in csv.DictReader(file)}


def grouped(single: np.ndarray) -> np.ndarray:
    """Single ages 0..100 by the WPP 5-year groups (0-4 ... 95-99, 100+)."""
    return np.array([single[5 * i : 5 * i + 5].sum(axis=0) for i in range(20)] + [single[100]])


@pytest.mark.shared
def test_the_packaged_wpp_files_are_the_shared_extracts_unchanged() -> None:
    """The program reads its own copies (src/himaya/analysis/data); they must be WPP's, byte for byte."""
    packaged = REPO / "src" / "himaya" / "analysis" / "data"
    copies = sorted(packaged.glob("oman_wpp2024_*.csv"))
    assert len(copies) == 5
    for copy in copies:
        assert copy.read_bytes() == (WPP / copy.name).read_bytes(), copy.name


def start() -> np.ndarray:
    return start_population().copy()


def test_graduation_keeps_every_group_total_and_is_never_negative() -> None:
    groups, counts = wpp_population(2025)
    single = np.stack([graduate(list(groups), counts[:, sex]) for sex in (MALE, FEMALE)], axis=1)
    assert (single >= 0).all()
    assert single.shape == (101, 2)
    np.testing.assert_allclose(grouped(single), counts, rtol=1e-9)


def test_the_start_is_wpps_1_january_2025_not_its_mid_year() -> None:
    """Issue 16: the projection started from WPP's mid-2025 pyramid (5,494,692) labelled 1 January."""
    population = start_population()
    assert population.sum() == pytest.approx(WPP_1_JANUARY_2025, abs=1)
    assert population.sum(axis=0) == pytest.approx([3_365_105, 2_032_827], abs=1)  # men, women
    assert (population > 0).all()
    # The derivation lands there by itself: the final scaling by sex moves it by less than 0.01 %.
    unscaled = start_population(scaled=False)
    np.testing.assert_allclose(unscaled.sum(axis=0), population.sum(axis=0), rtol=1e-4)
    _, mid_2025 = wpp_population(2025)
    assert mid_2025.sum() == pytest.approx(5_494_696, abs=1)  # what it started from before: 1.8 % more


def test_age_0_at_the_start_are_the_survivors_of_wpps_2024_births() -> None:
    """88,613 births in 2024 (WPP): those aged 0 on 1 January 2025, less half a year's infant deaths
    and with half the year's net migrants aged 0; and not bent down by the interpolation."""
    population = start_population()
    assert population[0].sum() == pytest.approx(88_613, rel=0.01)
    assert population[0].sum() > population[1].sum()  # fewer births in 2023 (85,065) than in 2024


def test_the_start_carried_half_a_year_gives_wpps_mid_2025_pyramid() -> None:
    """Like with like: the mean of 1 January 2025 and 2026 is mid-2025, WPP's 5-year table."""
    population = start_population()
    after = step(population, wpp_rates(), 2025, migration=True)
    _, mid_2025 = wpp_population(2025)
    mid_year = grouped((population + after) / 2)
    assert mid_year.sum() == pytest.approx(mid_2025.sum(), rel=1e-3)
    gaps = mid_year[:19] / mid_2025[:19] - 1  # to 94: the oldest groups hold a few thousand persons
    assert np.abs(gaps).max() < 0.015, np.round(gaps * 100, 2)


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
    assert abs(gaps[2025]) < 1e-6  # the start is WPP's own 1 January 2025


@pytest.mark.parametrize("year", [2030, 2040, 2050])
def test_the_elderly_and_the_children_follow_wpp(year: int) -> None:
    """Not only the total: the groups that drive the cost (60+, under 15) within 3 % too, at
    mid-year (the mean of 1 January of the year and of the next), as WPP's 5-year table holds them."""
    rates = wpp_rates()
    population = start()
    for y in range(2025, year):
        population = step(population, rates, y, migration=True)
    mid_year = (population + step(population, rates, year, migration=True)) / 2
    _, wpp = wpp_population(year)
    assert mid_year[60:].sum() == pytest.approx(wpp[12:].sum(), rel=0.03)
    assert mid_year[:15].sum() == pytest.approx(wpp[:3].sum(), rel=0.03)
    assert mid_year.sum() == pytest.approx(wpp.sum(), rel=0.03)


def test_every_group_follows_wpp_with_migrants_counted_by_their_age_at_the_end_of_the_year() -> None:
    """WPP's net migrants of age x in a year are read as aged x on its 31 December. Read as aged x
    at its start, men of 20-24 in mid-2030 came out 9 % under WPP's and the groups' gaps summed to
    106,000 persons; read so, every group to 84 is within 1.5 % and the gaps sum to 16,000."""
    rates = wpp_rates()
    population = start()
    for y in range(2025, 2030):
        population = step(population, rates, y, migration=True)
    mid_year = grouped((population + step(population, rates, 2030, migration=True)) / 2)
    _, wpp = wpp_population(2030)
    gaps = mid_year[:17] / wpp[:17] - 1
    assert np.abs(gaps).max() < 0.015, np.round(gaps * 100, 1)
    assert np.abs(mid_year - wpp).sum() < 25_000


def test_without_migration_a_population_only_ages_births_and_deaths() -> None:
    rates = wpp_rates()
    population = start()
    after = step(population, rates, 2025, migration=False)
    # everyone aged 0-98 is a year older, fewer by deaths only
    assert (after[1:100] <= population[0:99] + 1e-9).all()
    assert after[0].sum() > 0  # births
