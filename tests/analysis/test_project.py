"""Cost projections: today's cost in the first year, and the rules carried through to 2050."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from himaya.analysis.project import Inputs, Projection, ProjectionError, project
from himaya.analysis.scenario import parse_scenario
from himaya.policy.pack import PolicyPack

# The Fund's beneficiaries paid in October 2024 (shared/policy/oman.md section 6).
OCTOBER_2024 = {"child": 1_232_283, "elderly": 167_527, "disability": 41_256, "orphan_widow": 16_325}


def run(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], document: object, last: int = 2050
) -> Projection:
    scenario = parse_scenario(document, oman.parameters, programmes)
    return project(scenario, oman, oman.parameters, 2025, last, inputs=inputs)


@pytest.fixture(scope="module")
def today(oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...]) -> Projection:
    return run(oman, inputs, programmes, {})


def costs(projection: Projection) -> dict[tuple[int, str], int]:
    return {(r["year"], r["programme"]): r["cost_baisa"] for r in projection.table.to_dicts()}


def test_the_first_year_reproduces_todays_cost_within_10_percent(oman: PolicyPack, today: Projection) -> None:
    """October 2024 counts at the statutory amounts: about OMR 459 million a year before FIS."""
    p = oman.parameters.at(date(2024, 10, 1))
    monthly = (
        OCTOBER_2024["child"] * p.child.amount
        + OCTOBER_2024["elderly"] * p.elderly.amount
        + OCTOBER_2024["disability"] * p.disability.amount
        + OCTOBER_2024["orphan_widow"] * p.orphan.ceiling
    )
    statutory = 12 * monthly
    assert statutory == pytest.approx(459_000_000_000, rel=0.002)  # baisa: OMR 459 million
    first_year = sum(
        cost
        for (year, programme), cost in costs(today).items()
        if year == 2025 and programme != "family_income_support"
    )
    assert first_year == pytest.approx(statutory, rel=0.10)


def test_every_year_has_every_programme_and_a_share_of_gdp(today: Projection, programmes: tuple[str, ...]) -> None:
    assert today.years == list(range(2025, 2051))
    assert today.table.height == 26 * len(programmes)
    assert (today.table["cost_baisa"] > 0).all()
    totals = today.totals()
    assert 0.005 < totals["share_of_gdp"][0] < 0.03
    # the population ages: the elderly benefit costs a larger share of GDP in 2050 than in 2025
    elderly = today.by_programme("elderly")["share_of_gdp"]
    assert elderly[-1] > elderly[0]
    assert today.engine_runs == 2  # 2025, and 2026 on (the income test): not one run per year


def test_a_scenario_that_changes_nothing_gives_identical_results(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    same = run(oman, inputs, programmes, {"rules": {"changes": {"child.amount": {date(2024, 1, 1): "10.000"}}}})
    assert same.table.equals(today.table)
    assert same.population.equals(today.population)


def test_doubling_one_benefit_doubles_its_cost_and_nothing_else(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    doubled = run(oman, inputs, programmes, {"rules": {"changes": {"child.amount": {date(2024, 1, 1): "20.000"}}}})
    before, after = costs(today), costs(doubled)
    for (year, programme), cost in before.items():
        expected = 2 * cost if programme == "child" else cost
        assert after[year, programme] == pytest.approx(expected, abs=1), (year, programme)


def per_child(projection: Projection, year: int) -> float:
    """The child benefit's yearly cost per child paid, OMR: 12 x the monthly amount (every child
    paid gets the whole amount)."""
    row = projection.by_programme("child").filter(pl.col("year") == year).row(0, named=True)
    return row["cost_baisa"] / row["beneficiaries"] / 1000


def test_todays_rules_keep_the_laws_nominal_amounts(oman: PolicyPack, today: Projection) -> None:
    """Issue 16: "today's rules" are the law's amounts, not indexed: the child benefit is 10.000 OMR
    a month in 2050 as in 2025, and no factor scales any amount."""
    law = oman.parameters.at(date(2025, 7, 1)).child.amount / 1000  # OMR (parameters hold baisa)
    assert oman.parameters.at(date(2050, 7, 1)).child.amount / 1000 == law == 10
    assert today.scenario.indexation.value == "none"
    assert today.population["index"].to_list() == [1.0] * 26
    for year in (2025, 2030, 2050):
        assert per_child(today, year) == pytest.approx(12 * law, rel=1e-5), year


def test_a_scenario_that_indexes_the_amounts_raises_them_with_prices_or_wages(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    prices = run(oman, inputs, programmes, {"indexation": "prices"})
    wages = run(oman, inputs, programmes, {"indexation": "wages"})
    assert per_child(prices, 2025) == per_child(wages, 2025) == per_child(today, 2025)  # from today's amounts
    assert per_child(prices, 2050) == pytest.approx(120 * 1.02**25, rel=1e-5)  # 2 % a year, the default's
    assert per_child(wages, 2050) == pytest.approx(120 * (1.02 * 1.01) ** 25, rel=1e-5)  # and 1 % real wages
    nominal, indexed = today.by_programme("child")["cost_baisa"], prices.by_programme("child")["cost_baisa"]
    assert indexed[0] == nominal[0]
    assert indexed[5] / nominal[5] == pytest.approx(1.02**5, rel=1e-6)
    assert (wages.by_programme("child")["cost_baisa"] > indexed).tail(25).all()
    # The same people and GDP: only the amounts move, every programme alike.
    assert prices.population.drop("index").equals(today.population.drop("index"))
    assert prices.table["beneficiaries"].equals(today.table["beneficiaries"])
    ratio = prices.totals()["cost_baisa"] / today.totals()["cost_baisa"]
    assert ratio.to_list() == pytest.approx(prices.population["index"].to_list(), rel=1e-6)


def test_take_up_and_gdp_move_what_they_should(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    half = run(oman, inputs, programmes, {"take_up": {"disability": 0.5}}, last=2026)
    assert half.by_programme("disability")["cost_baisa"][0] == pytest.approx(
        today.by_programme("disability")["cost_baisa"][0] / 2, abs=1
    )
    richer = run(oman, inputs, programmes, {"economy": {"gdp_omr": 83_000_000_000}}, last=2026)
    assert richer.totals()["share_of_gdp"][0] == pytest.approx(today.totals()["share_of_gdp"][0] / 2, rel=1e-9)


def test_the_gdp_figure_may_be_of_a_later_year(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    """The same path of GDP given by its 2030 value instead of its 2024 one gives the same shares."""
    gdp_2030 = today.population.filter(pl.col("year") == 2030)["gdp_baisa"][0] // 1000
    later = run(oman, inputs, programmes, {"economy": {"gdp_year": 2030, "gdp_omr": gdp_2030}}, last=2027)
    expected = today.totals()["share_of_gdp"].head(3).to_list()
    assert later.totals()["share_of_gdp"].to_list() == pytest.approx(expected, rel=1e-9)


def test_a_reform_from_a_later_date_applies_from_that_year(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], today: Projection
) -> None:
    later = run(oman, inputs, programmes, {"rules": {"changes": {"child.amount": {date(2030, 1, 1): "15.000"}}}})
    child, base = later.by_programme("child")["cost_baisa"], today.by_programme("child")["cost_baisa"]
    assert child[4] == base[4]  # 2029
    assert child[5] == pytest.approx(base[5] * 1.5, abs=1)  # 2030


@pytest.mark.parametrize(("first", "last"), [(2024, 2030), (2030, 2029), (2025, 2100)])
def test_years_outside_the_data_are_refused(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...], first: int, last: int
) -> None:
    scenario = parse_scenario({}, oman.parameters, programmes)
    with pytest.raises(ProjectionError, match="the projection runs from 2025"):
        project(scenario, oman, oman.parameters, first, last, inputs=inputs)
