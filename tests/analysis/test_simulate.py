"""Reform simulation: the same population under today's rules and a reform."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from himaya.analysis.measures import deciles, gini, poverty
from himaya.analysis.simulate import Simulation, births_warning, simulate
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree
from himaya.policy.reforms import parse_reform

PERIOD = Period(2026, 1)


def reformed(oman: PolicyPack, changes: dict[str, dict[date, object]]) -> ParameterTree:
    return parse_reform({"name": "test", "changes": changes}, oman.parameters, source="test").apply(oman.parameters)


@pytest.fixture(scope="module")
def unchanged(oman: PolicyPack, population: pl.DataFrame) -> Simulation:
    tree = reformed(oman, {"child.amount": {date(2024, 1, 1): "10.000"}})
    return simulate(population, oman, oman.parameters, tree, PERIOD)


def test_a_reform_that_changes_nothing_gives_identical_results(unchanged: Simulation) -> None:
    programmes = unchanged.programmes
    assert programmes["baseline_monthly_baisa"].to_list() == programmes["reform_monthly_baisa"].to_list()
    assert programmes["baseline_recipients"].to_list() == programmes["reform_recipients"].to_list()
    assert (unchanged.coverage["baseline_covered"] == unchanged.coverage["reform_covered"]).all()
    for by_state in unchanged.poverty.values():
        assert by_state["baseline"] == by_state["reform"]
    assert unchanged.gini["baseline"] == unchanged.gini["reform"]
    assert (unchanged.deciles["change_baisa"] == 0).all()
    assert (unchanged.deciles["gainers"] == 0).all() and (unchanged.deciles["losers"] == 0).all()


def test_doubling_one_benefit_doubles_its_cost_and_nothing_else(
    oman: PolicyPack, population: pl.DataFrame, unchanged: Simulation
) -> None:
    result = simulate(
        population, oman, oman.parameters, reformed(oman, {"child.amount": {date(2024, 1, 1): "20.000"}}), PERIOD
    )
    for row in result.programmes.to_dicts():
        factor = 2 if row["programme"] == "child" else 1
        assert row["reform_monthly_baisa"] == factor * row["baseline_monthly_baisa"], row["programme"]
        assert row["reform_recipients"] == row["baseline_recipients"]
    assert result.programmes.equals(result.programmes)  # and the baseline is the same as before
    assert (
        result.programmes["baseline_monthly_baisa"].to_list()
        == unchanged.programmes["baseline_monthly_baisa"].to_list()
    )
    # more money to families with children: nobody loses, poverty does not rise, some gain in every decile
    assert (result.deciles["losers"] == 0).all() and (result.deciles["gainers"] > 0).all()
    assert result.poverty["residents"]["reform"].headcount <= result.poverty["residents"]["baseline"].headcount


def test_the_measures_are_those_of_the_population(unchanged: Simulation, population: pl.DataFrame) -> None:
    child = unchanged.programmes.filter(pl.col("programme") == "child").row(0, named=True)
    assert child["baseline_monthly_baisa"] == 10_000 * child["baseline_recipients"]
    assert unchanged.coverage.filter(pl.col("group") == "children")["baseline_covered"][0] > 0.99
    assert unchanged.deciles["persons"].sum() <= population.height
    assert unchanged.governorates is not None
    assert unchanged.governorates["baseline_monthly_baisa"].sum() == unchanged.total("baseline")
    residents = unchanged.poverty["residents"]
    # transfers lower poverty and inequality
    assert residents["baseline"].headcount < residents["before"].headcount
    assert residents["baseline"].gap < residents["before"].gap
    assert unchanged.gini["baseline"] < unchanged.gini["before"]
    assert unchanged.line.line_baisa == 115_000 and unchanged.line.status == "ASSUMED"


def families(*rows: tuple[str, int, int, int]) -> pl.LazyFrame:
    """(family, size, income before, transfers) -> one row per family, as the simulation makes them."""
    return pl.DataFrame(
        [{"family": f, "size": n, "before": y, "after": y + t, "transfers": t} for f, n, y, t in rows]
    ).lazy()


def test_poverty_headcount_gap_and_shortfall_by_hand() -> None:
    # line 100 per adult equivalent, square-root scale: a family of 4 needs 200
    frame = families(("a", 1, 50_000, 0), ("b", 4, 100_000, 0), ("c", 1, 300_000, 0))
    result = poverty(frame, "before", line=100_000.0, elasticity=0.5)
    assert result.poor == 5 and result.headcount == pytest.approx(5 / 6)
    # shortfalls: a 0.5 (one person), b 0.5 (four persons), c 0
    assert result.gap == pytest.approx((0.5 + 4 * 0.5) / 6)
    assert result.shortfall_baisa == 50_000 + 100_000  # counted once per family


def test_gini_by_hand() -> None:
    equal = families(("a", 1, 100, 0), ("b", 1, 100, 0))
    assert gini(equal, "before", elasticity=0.5) == pytest.approx(0.0)
    one_has_all = families(("a", 1, 0, 0), ("b", 1, 0, 0), ("c", 1, 0, 0), ("d", 1, 100, 0))
    assert gini(one_has_all, "before", elasticity=0.5) == pytest.approx(0.75)  # (n - 1) / n


def test_deciles_rank_by_income_before_transfers() -> None:
    frame = families(*[(f"f{i}", 1, 1000 * i, 10 if i < 5 else 0) for i in range(10)]).with_columns(
        pl.col("transfers").alias("baseline"), (pl.col("transfers") * 2).alias("reform")
    )
    table = deciles(frame, before="before", baseline="baseline", reform="reform", elasticity=0.5)
    assert table["decile"].to_list() == list(range(1, 11))
    assert table["change_baisa"].to_list() == [10.0] * 5 + [0.0] * 5
    assert table["gainers"].to_list() == [1.0] * 5 + [0.0] * 5


def test_a_month_after_the_populations_date_is_said_to_lack_the_births_since() -> None:
    """Issue 16: simulated for a month after the table was drawn, nobody born since is in it."""
    people = pl.DataFrame({"birth_date": [date(1980, 5, 1), date(2024, 12, 20)]})
    assert births_warning(people, Period(2025, 1)) is None  # the table's own month
    warning = births_warning(people, Period(2027, 1))
    assert warning is not None
    assert "no one born after 2024-12-20, about 24 months before 2027-01" in warning
    assert "child benefit" in warning
    assert births_warning(people.clear(), Period(2027, 1)) is None


def test_the_simulation_carries_the_warning(oman: PolicyPack, population: pl.DataFrame, unchanged: Simulation) -> None:
    """The fixture's population is drawn on 1 January 2025 (himaya synth's default date)."""
    assert unchanged.warnings and "months before 2026-01" in unchanged.warnings[0]
    assert unchanged.as_dict()["warnings"] == list(unchanged.warnings)
    tree = reformed(oman, {"child.amount": {date(2024, 1, 1): "10.000"}})
    assert simulate(population, oman, oman.parameters, tree, Period(2025, 1)).warnings == ()
