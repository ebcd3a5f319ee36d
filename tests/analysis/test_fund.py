"""The social insurance fund's projection (issue 16): the reserve identity every year, the general
average premium's definition, monotonicity, the sensitivity's signs, and bad inputs refused."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import polars as pl
import pytest

from himaya.analysis.fund import FundProjection, Levers, both_sides, capped_mean, project_fund
from himaya.analysis.fund_inputs import CONTRIBUTING, assumptions
from himaya.analysis.fund_sensitivity import FACTORS, sensitivity
from himaya.analysis.project import Inputs, ProjectionError, wpp_of
from himaya.analysis.scenario import Scenario, parse_scenario
from himaya.analysis.variants import VariantError, variant
from himaya.bootstrap.fund import fund_projection, year_rules
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import Status

LAST = 2075


@pytest.fixture(scope="module")
def scenario(oman: PolicyPack, programmes: tuple[str, ...]) -> Scenario:
    return parse_scenario({}, oman.parameters, programmes)


def run(
    oman: PolicyPack, scenario: Scenario, inputs: Inputs, levers: Levers = Levers(), last: int = LAST
) -> FundProjection:
    return fund_projection(oman, scenario, last, citizen_share=inputs.citizen_share, levers=levers)


@pytest.fixture(scope="module")
def central(oman: PolicyPack, scenario: Scenario, inputs: Inputs) -> FundProjection:
    return run(oman, scenario, inputs)


def test_the_reserve_identity_holds_every_year(central: FundProjection) -> None:
    rows = central.table.to_dicts()
    assert [r["year"] for r in rows] == list(range(2025, LAST + 1))
    assert rows[0]["reserve_start_baisa"] == central.initial_reserve
    for before, after in itertools.pairwise(rows):
        assert after["reserve_start_baisa"] == before["reserve_baisa"], after["year"]
    for r in rows:
        flows = r["contributions_baisa"] - r["benefits_baisa"] - r["administration_baisa"]
        assert r["reserve_baisa"] == r["reserve_start_baisa"] + r["investment_income_baisa"] + flows, r["year"]
        exact = r["reserve_start_baisa"] * (1 + central.returns[r["year"]]) + flows
        assert abs(r["reserve_baisa"] - exact) <= 0.5, r["year"]  # income is rounded to the baisa
        assert r["contributions_baisa"] == sum(r[f"contribution_{b}_baisa"] for b in CONTRIBUTING)
        assert r["benefits_baisa"] == sum(v for k, v in r.items() if k.startswith("benefit_") and k.endswith("_baisa"))


def test_the_indicators_are_the_ilo_ratios(central: FundProjection) -> None:
    for r in central.table.to_dicts():
        spent = r["benefits_baisa"] + r["administration_baisa"]
        assert r["payg_cost_rate"] == pytest.approx(spent / r["insurable_wages_baisa"])
        assert r["reserve_ratio"] == pytest.approx(r["reserve_baisa"] / spent)
        assert r["contribution_rate"] == pytest.approx(r["contributions_baisa"] / r["insurable_wages_baisa"])


@pytest.mark.parametrize("until", [2026, 2050, LAST])
def test_the_gap_is_the_level_premium_that_exhausts_the_reserve_at_the_horizon(
    central: FundProjection, until: int
) -> None:
    """Charged on insurable wages from 2025, with the initial reserve, the GAP pays every benefit and
    administration cost to `until`: the reserve then ends at zero (PV of contributions + reserve =
    PV of benefits + administration); a point more leaves money, a point less runs out."""
    gap = central.gap(until)

    def end(premium: float) -> float:
        reserve = float(central.initial_reserve)
        for r in central.table.filter(central.table["year"] <= until).to_dicts():
            spent = r["benefits_baisa"] + r["administration_baisa"]
            reserve = reserve * (1 + central.returns[r["year"]]) + premium * r["insurable_wages_baisa"] - spent
        return reserve

    assert abs(end(gap)) < 1e-6 * central.initial_reserve
    assert end(gap + 0.01) > 0 > end(gap - 0.01)


def test_the_first_year_starts_from_the_published_counts(central: FundProjection) -> None:
    """456,229 active insured Omanis (October 2024) and the ASSUMED 140,000 pensioners."""
    first = central.row(2025)
    assert first["insured"] == pytest.approx(456_229, rel=0.01)
    assert first["old_age_pensioners"] == 140_000
    assert first["contribution_rate"] == pytest.approx(0.215)  # 18.5 + 1 + 1 + 1 %: no sick leave before 2026-07-19
    assert central.row(2027)["contribution_rate"] == pytest.approx(0.225, abs=1e-9)


def test_a_higher_return_gives_a_higher_reserve_every_year(
    oman: PolicyPack, scenario: Scenario, inputs: Inputs, central: FundProjection
) -> None:
    higher = run(oman, scenario, inputs, Levers(returns=0.01))
    assert (higher.table["reserve_baisa"] > central.table["reserve_baisa"]).all()
    assert (higher.table["benefits_baisa"] == central.table["benefits_baisa"]).all()
    assert higher.gap() < central.gap()


def test_the_sensitivity_table_has_the_expected_signs(oman: PolicyPack, scenario: Scenario, inputs: Inputs) -> None:
    table = sensitivity(lambda levers: run(oman, scenario, inputs, levers, last=2050), 2050)
    rows = {r["factor"]: r for r in table.to_dicts()}
    assert list(rows) == [f.key for f in FACTORS]
    returns, wages = rows["returns"], rows["wage_growth"]
    assert returns["payg_cost_rate_low"] == returns["payg_cost_rate_central"] == returns["payg_cost_rate_high"]
    assert returns["reserve_ratio_low"] < returns["reserve_ratio_central"] < returns["reserve_ratio_high"]
    assert returns["gap_low"] > returns["gap_central"] > returns["gap_high"]
    # Pensions are on nominal career wages and indexed below wage growth: faster wages, lower cost rate.
    assert wages["payg_cost_rate_low"] > wages["payg_cost_rate_central"] > wages["payg_cost_rate_high"]
    for key in ("population_80", "population_95", "take_up"):  # more insured people: more spent
        assert (
            rows[key]["expenditure_baisa_low"]
            < rows[key]["expenditure_baisa_central"]
            < rows[key]["expenditure_baisa_high"]
        )
    wide, narrow = rows["population_95"], rows["population_80"]
    assert wide["expenditure_baisa_low"] < narrow["expenditure_baisa_low"]
    assert wide["expenditure_baisa_high"] > narrow["expenditure_baisa_high"]
    # By 2050 the high fertility variant's extra births are at most 25: more contributors, same pensioners.
    assert rows["fertility"]["payg_cost_rate_high"] < rows["fertility"]["payg_cost_rate_central"]


def test_the_pension_age_schedule_is_used(
    oman: PolicyPack, programmes: tuple[str, ...], inputs: Inputs, central: FundProjection
) -> None:
    """Kept at 60 (the CONFIRMED age of the pension rules), more retire and fewer contribute."""
    at_60 = parse_scenario(
        {"rules": {"changes": {"insurance.projection.pension_age": {date(2024, 1, 1): 60}}}},
        oman.parameters,
        programmes,
    )
    kept = run(oman, at_60, inputs)
    assert kept.row(2029)["insured"] == central.row(2029)["insured"]
    assert kept.row(2040)["insured"] < central.row(2040)["insured"]
    assert kept.row(2040)["old_age_pensioners"] > central.row(2040)["old_age_pensioners"]
    assert oman.parameters["insurance.projection.pension_age"].value_at(date(2038, 7, 1)).value == 65


def test_the_projections_unpublished_inputs_are_assumed_parameters(oman: PolicyPack) -> None:
    found = {p.path for p in oman.parameters if p.path.startswith("insurance.projection.")}
    for name in ("initial_reserve", "insured_men", "insured_women", "average_wage", "pensioners", "administration",
                 "investment_return", "density", "pension_age"):  # fmt: skip
        assert f"insurance.projection.{name}" in found
    assert all(oman.parameters[path].status is Status.ASSUMED for path in found)


def test_the_rules_come_from_the_pack(oman: PolicyPack) -> None:
    rules = year_rules(oman.parameters, 2027)
    assert rules.contribution["old_age"] == pytest.approx(0.185)
    assert rules.ceiling["old_age"] == 3_000_000
    assert rules.accrual == pytest.approx(0.02)
    assert rules.in_force["sick_leave"] == 1.0
    assert year_rules(oman.parameters, 2026).in_force["sick_leave"] == pytest.approx(5 / 12)  # from 19 July 2026


def test_the_fertility_variants_change_births_only(oman: PolicyPack) -> None:
    source = wpp_of(oman)
    low, high = variant("low", source), variant("high", source)
    assert low.fertility(2030) < 1 < high.fertility(2030)
    assert low.scale(2030) == high.scale(2030) == 1
    assert variant("95l", source).scale(2050) < variant("80l", source).scale(2050) < 1
    assert variant("95u", source).scale(2050) > variant("80u", source).scale(2050) > 1


def test_both_sides_add_up(oman: PolicyPack, central: FundProjection) -> None:
    costs = pl.DataFrame({"year": [2025, 2026], "cost_baisa": [10, 20], "gdp_baisa": [1000, 1000]})
    joined = both_sides(costs, central).to_dicts()
    assert [r["year"] for r in joined] == [2025, 2026]
    first = central.row(2025)
    assert joined[0]["insurance_baisa"] == first["benefits_baisa"] + first["administration_baisa"]
    assert joined[0]["total_share_of_gdp"] == pytest.approx((10 + joined[0]["insurance_baisa"]) / 1000)


def test_capped_wages_never_exceed_the_wage_or_the_ceiling() -> None:
    assert capped_mean(850_000, None, 0.6) == 850_000
    capped = capped_mean(850_000, 3_000_000, 0.6)
    assert 0.99 * 850_000 < capped < 850_000
    assert capped_mean(10_000_000, 3_000_000, 0.6) < 3_000_000


@pytest.mark.parametrize(
    ("levers", "last", "message"),
    [
        (Levers(variant="median"), LAST, "unknown WPP variant 'median'; known: medium, low, high"),
        (Levers(), 2100, "to 2099 at most"),
        (Levers(), 2025, "to 2099 at most"),
        (Levers(take_up=0.0), LAST, "levers out of range"),
    ],
)
def test_bad_inputs_are_refused(
    oman: PolicyPack, scenario: Scenario, inputs: Inputs, levers: Levers, last: int, message: str
) -> None:
    with pytest.raises((ProjectionError, VariantError), match=message.replace("(", r"\(")):
        run(oman, scenario, inputs, levers, last=last)


def test_years_outside_the_projection_are_refused(central: FundProjection) -> None:
    with pytest.raises(ProjectionError, match="2080 is outside the projection 2025-2075"):
        central.row(2080)
    with pytest.raises(ProjectionError, match="the GAP's horizon ends in 2024"):
        central.gap(2024)


def test_missing_rules_are_refused(oman: PolicyPack, scenario: Scenario, inputs: Inputs) -> None:
    rules = {y: year_rules(oman.parameters, y) for y in range(2025, 2030)}
    base = assumptions(oman.parameters, 2025, 2030)
    with pytest.raises(ProjectionError, match="no insurance rules or assumptions for 2030"):
        project_fund(
            scenario, rules, base, citizen_share=np.asarray(inputs.citizen_share), source=wpp_of(oman), last=2030
        )
