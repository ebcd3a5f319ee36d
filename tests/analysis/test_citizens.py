"""Citizens and expatriates projected side by side (issue 16): no cell negative, citizens never more
than residents, and Omani births that continue the Omanis born before the start."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.analysis.demography import wpp_annual
from himaya.analysis.project import Inputs, Populations, ProjectionError, project_population
from himaya.analysis.scenario import Scenario, parse_scenario
from himaya.policy.pack import PolicyPack

LAST = 2100  # 1 January 2100: every year the rates cover


def scenario_of(oman: PolicyPack, programmes: tuple[str, ...], population: dict[str, float]) -> Scenario:
    return parse_scenario({"population": population} if population else {}, oman.parameters, programmes)


@pytest.fixture(scope="module")
def default(oman: PolicyPack, programmes: tuple[str, ...], inputs: Inputs) -> Populations:
    return project_population(scenario_of(oman, programmes, {}), inputs.citizen_share, LAST)


def check_cells(populations: Populations, citizens: int) -> None:
    """Every cell of every year: nobody negative, citizens within residents; and citizens only age,
    die and are born (they do not migrate)."""
    residents, omanis, expatriates = populations.residents, populations.citizens, populations.expatriates
    assert residents.shape == omanis.shape == (LAST - 2025 + 1, 101, 2)
    assert (omanis >= 0).all() and (expatriates >= 0).all()
    assert (omanis <= residents).all(), np.argwhere(omanis > residents)[:5]
    assert omanis[0].sum() == pytest.approx(citizens, abs=1)
    # a year on, those aged 1-99 are the survivors of those aged 0-98: fewer, never more
    assert (omanis[1:, 1:100] <= omanis[:-1, 0:99] + 1e-9).all()


def test_no_cell_is_negative_and_citizens_never_outnumber_residents(default: Populations) -> None:
    """Issue 16: in 2050, 40 cells (14,458 persons, mostly men of 69 and over) had more citizens
    than residents, hidden by expatriates clipped at zero."""
    check_cells(default, 2_928_957)
    assert (default.citizens[25] <= default.residents[25]).all()  # 1 January 2050


@settings(max_examples=12, deadline=None)
@given(
    citizens=st.integers(min_value=1_000_000, max_value=5_000_000),
    fertility=st.floats(min_value=0.3, max_value=2.5),
    sex_ratio=st.floats(min_value=0.95, max_value=1.12),
)
def test_the_cells_hold_under_any_scenario(
    oman: PolicyPack, programmes: tuple[str, ...], inputs: Inputs, citizens: int, fertility: float, sex_ratio: float
) -> None:
    population = {"citizens": citizens, "citizen_fertility": fertility, "sex_ratio_at_birth": sex_ratio}
    populations = project_population(scenario_of(oman, programmes, population), inputs.citizen_share, LAST)
    check_cells(populations, citizens)


def test_residents_keep_wpps_totals(default: Populations) -> None:
    """The expatriates carry WPP's net migration; the emigration that finds no expatriates left in a
    cell (old men) is not applied, and it is small: residents stay within 0.5 % of WPP's to 2050."""
    annual = wpp_annual()
    for year in range(2025, 2051):
        wpp = annual[year - 1][0].sum()  # on 31 December of the year before
        assert default.residents[year - 2025].sum() == pytest.approx(wpp, rel=0.005), year
    assert default.kept[0] == 0
    assert (default.kept[1:26] < 0.001 * default.residents[1:26].sum(axis=(1, 2))).all()


def test_omani_births_continue_the_omanis_born_before_the_start(default: Populations) -> None:
    """Issue 16: 69,186 Omanis aged 0 at the start, 57,354 in the first projected cohort (-17 %), all
    residents' fertility applied to Omani women. With the calibrated factor (scenario.yaml), those
    born in 2025 are within 3 % of those born in 2024, and grow as WPP's births do (+1.7 %)."""
    start, first = default.citizens[0, 0].sum(), default.citizens[1, 0].sum()
    assert first / start == pytest.approx(1, abs=0.03)
    annual = wpp_annual()
    assert first / start == pytest.approx(annual[2025][1] / annual[2024][1], abs=0.01)
    # the next cohorts follow on, without a step
    cohorts = default.citizens[1:6, 0].sum(axis=1)
    assert (np.abs(np.diff(cohorts) / cohorts[:-1]) < 0.03).all(), cohorts


def test_all_residents_fertility_breaks_the_omani_cohorts(
    oman: PolicyPack, programmes: tuple[str, ...], inputs: Inputs
) -> None:
    """Why the factor: WPP's rates are those of all residents, expatriate women included."""
    populations = project_population(
        scenario_of(oman, programmes, {"citizen_fertility": 1.0}), inputs.citizen_share, 2027
    )
    assert populations.citizens[1, 0].sum() < 0.85 * populations.citizens[0, 0].sum()


def test_more_citizens_than_residents_is_refused(oman: PolicyPack, programmes: tuple[str, ...], inputs: Inputs) -> None:
    with pytest.raises(ProjectionError, match="6,000,000 citizens are more than the 5,397,932 residents"):
        project_population(scenario_of(oman, programmes, {"citizens": 6_000_000}), inputs.citizen_share, 2026)
