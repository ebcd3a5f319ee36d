"""`himaya simulate --pack iraq` and `himaya project --pack iraq` on a small synthetic Iraq (issue 17)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.analysis.project import ProjectionError, wpp_of
from himaya.analysis.simulate import SimulationError, simulate
from himaya.cli.main import app
from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.packs import load_pack
from himaya.policy.reforms import load_reform
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest
from himaya.synth.iraq.generate import for_file, generate
from tests.conftest import REPO

REFORM = REPO / "examples/reforms/iraq-life-cycle.yaml"
PERIOD = "2026-01"
CHILD_BENEFIT = 25_000  # the reform's amount


def himaya(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    people = generate(SynthRequest(persons=4000, seed=17, as_of=date(2026, 1, 1))).people
    path = tmp_path_factory.mktemp("iraq") / "people.csv"
    for_file(people, "csv").write_csv(path)
    return path


@pytest.fixture(scope="module")
def simulated(population: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("sim")
    result = himaya(
        "simulate", "--pack", "iraq", "--population", population, "--period", PERIOD, "--reform", REFORM,
        "--json", "--output", output,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    document["__output"] = output
    return document


def _programmes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["programme"]: row for row in document["programmes"]}


def test_the_cost_is_the_sum_of_the_payments(population: Path, simulated: dict[str, Any]) -> None:
    pack = load_pack("iraq")
    people = validate_table(pl.read_csv(population, infer_schema=False), pack.registry, source="t")
    people = people.select(pack.schema.names)
    month = Period.parse(PERIOD)
    reform = load_reform(REFORM, pack.parameters).apply(pack.parameters)
    rows = _programmes(simulated)
    for state, tree in (("baseline", pack.parameters), ("reform", reform)):
        paid = entitlements(people, pack, tree, month).with_columns(pl.col("amount").cast(pl.Int64))
        sums = {r["programme"]: r["amount"] for r in paid.group_by("programme").agg(pl.col("amount").sum()).to_dicts()}
        for key, row in rows.items():
            assert row[f"{state}_monthly_dinar"] == sums.get(key, 0), (state, key)
            assert row[f"{state}_annual_dinar"] == 12 * sums.get(key, 0)


def test_the_reform_pays_every_child_the_child_benefit_and_no_subsidy(
    population: Path, simulated: dict[str, Any]
) -> None:
    people = pl.read_csv(population, infer_schema=False, try_parse_dates=True)
    start = date(2026, 1, 1)
    excluded = list(load_pack("iraq").parameters.at(start).territory.excluded_governorates)
    children = people.filter(
        (pl.col("birth_date").str.to_date() > date(2008, 1, 1))
        & (pl.col("birth_date").str.to_date() <= date(2026, 1, 31))
        & (pl.col("resident") == "true")
        & (pl.col("nationality") == "IQ")
        & ~pl.col("governorate").is_in(excluded)
    ).height
    rows = _programmes(simulated)
    assert rows["child_benefit"]["baseline_recipients"] == 0
    assert rows["child_benefit"]["reform_recipients"] == children > 0
    assert rows["child_benefit"]["reform_monthly_dinar"] == CHILD_BENEFIT * children
    assert rows["sp_cash"]["baseline_recipients"] > 0
    assert rows["sp_cash"]["reform_monthly_dinar"] == 0
    coverage = {row["group"]: row for row in simulated["coverage"]}
    for group in ("children", "elderly", "disability"):
        assert coverage[group]["reform_covered"] > coverage[group]["baseline_covered"]


def test_poverty_and_targeting_agree(simulated: dict[str, Any]) -> None:
    assert "_baisa" not in json.dumps(simulated, default=str)  # amounts are named in dinars
    assert simulated["poverty_line"]["monthly_dinar_per_adult_equivalent"] == 137_000
    assert simulated["poverty_line"]["equivalence_elasticity"] == 1.0
    before = simulated["poverty"]["residents"]["before"]
    targeting = {row["design"]: row for row in simulated["targeting"]}
    for design in ("baseline", "reform"):
        row = targeting[design]
        assert row["poor"] == before["poor_persons"]
        assert row["poor_reached"] + round(row["exclusion_error"] * row["poor"]) == row["poor"]
        assert row["non_poor_reached"] == row["reached"] - row["poor_reached"]
        assert 0 <= row["inclusion_error"] <= 1
        assert row["name_ar"]
    # The categorical design reaches more of the poor, and pays more of the non-poor.
    assert targeting["reform"]["exclusion_error"] < targeting["baseline"]["exclusion_error"]
    assert targeting["reform"]["inclusion_error"] > targeting["baseline"]["inclusion_error"]


def test_the_tables_are_written_in_dinars_with_both_languages(simulated: dict[str, Any]) -> None:
    folder: Path = simulated["__output"]
    programmes = pl.read_csv(folder / "simulation-programmes.csv")
    assert "reform_annual_iqd" in programmes.columns
    assert "منفعة الطفل" in programmes["name_ar"].to_list()
    targeting = pl.read_csv(folder / "simulation-targeting.csv")
    assert set(targeting["design"]) == {"baseline", "reform"}
    assert "النظام الحالي" in targeting["name_ar"].to_list()
    chart = (folder / "cost-by-programme.svg").read_text(encoding="utf-8")
    assert "IQD million" in chart


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenario")
    path = folder / "life-cycle.yaml"
    path.write_text(f"name: Life cycle\nrules: {{reform: {REFORM}}}\nsample: {{persons: 3000}}\n", encoding="utf-8")
    return path


def test_project_runs_to_2050_in_dinars_and_shares_of_gdp(small_scenario: Path) -> None:
    result = himaya(
        "project", "--pack", "iraq", "--from", "2025", "--to", "2050", "--scenario", small_scenario, "--json"
    )
    assert result.exit_code == 0, result.stderr
    (projection,) = json.loads(result.stdout)
    years = projection["years"]
    assert [y["year"] for y in years] == list(range(2025, 2051))
    assert years[0]["citizens"] == 46_526_127
    for year in years:
        for row in year["programmes"].values():
            assert row["share_of_gdp"] == pytest.approx(row["cost_dinar"] / year["gdp_dinar"])
    # The reform starts in 2026: the subsidy in 2025, the life-cycle benefits after.
    assert years[0]["programmes"]["sp_cash"]["cost_dinar"] > 0
    assert years[0]["programmes"]["child_benefit"]["cost_dinar"] == 0
    # The student grant, paid October to June, is counted though July is not a school month.
    assert years[0]["programmes"]["student_grant"]["cost_dinar"] > 0
    assert years[5]["programmes"]["sp_cash"]["cost_dinar"] == 0
    assert years[5]["programmes"]["child_benefit"]["cost_dinar"] > 0
    # GDP of 2023 (330 trillion IQD) grown at 3 % real and 3 % prices.
    assert years[0]["gdp_dinar"] == pytest.approx(330e12 * 1.0609**2, rel=1e-9)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("economy: {gdp_omr: 5}\n", "unknown key 'economy.gdp_omr'; known: gdp_year, gdp_iqd"),
        ("take_up: {child: 1.0}\n", "unknown key 'take_up.child'; known: sp_cash, child_benefit"),
        ("rules: {changes: {child.amount: {2027-01-01: '15.000'}}}\n", "unknown parameter 'child.amount'"),
    ],
)
def test_project_refuses_an_oman_scenario_under_the_iraq_pack(tmp_path: Path, scenario: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(scenario, encoding="utf-8")
    result = himaya("project", "--pack", "iraq", "--to", "2026", "--scenario", path)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_refuses_an_oman_reform_under_the_iraq_pack(population: Path) -> None:
    result = himaya(
        "simulate", "--pack", "iraq", "--population", population, "--period", PERIOD,
        "--reform", REPO / "examples/reforms/child-15.yaml",
    )  # fmt: skip
    assert result.exit_code == 2, result.stdout
    assert "unknown parameter 'child.amount'" in result.stderr


def test_a_pack_without_analysis_inputs_is_refused_by_name(population: Path) -> None:
    pack = replace(load_pack("iraq"), analysis=None)
    people = validate_table(pl.read_csv(population, infer_schema=False), pack.registry, source="t")
    with pytest.raises(SimulationError, match="the iraq pack gives no analysis inputs"):
        simulate(people.select(pack.schema.names), pack, pack.parameters, pack.parameters, Period.parse(PERIOD))
    with pytest.raises(ProjectionError, match="the iraq pack gives no analysis inputs"):
        wpp_of(pack)


def _poor_by_hand(population: Path, unit: str) -> tuple[int, int]:
    """Poor persons and persons before transfers, by hand: each `unit`'s (household or family)
    incomes of its members living in Iraq in the month, per member, against 137,000 dinars."""
    people = pl.read_csv(population, infer_schema=False).with_columns(
        pl.col("birth_date", "death_date").str.to_date(strict=False)
    )
    start, end = date(2026, 1, 1), date(2026, 1, 31)
    income = sum(pl.col(c).cast(pl.Int64, strict=False).fill_null(0) for c in ("wage", "pension", "other_income"))
    living = people.filter(
        pl.col("resident") == "true",
        pl.col("death_date").is_null() | (pl.col("death_date") >= start),
        pl.col("birth_date") <= end,
    )
    units = living.group_by(unit).agg(pl.len().alias("size"), income.sum().alias("income"))
    poor = units.filter(pl.col("income") < 137_000 * pl.col("size"))
    return int(poor["size"].sum()), int(units["size"].sum())


def test_poverty_is_measured_per_household_when_the_table_names_them(
    population: Path, simulated: dict[str, Any]
) -> None:
    assert simulated["poverty_unit"]["unit"] == "household"
    assert "measured per household (household_id)" in simulated["poverty_unit"]["note"]
    before = simulated["poverty"]["residents"]["before"]
    poor, persons = _poor_by_hand(population, "household_id")
    assert before["poor_persons"] == poor and before["headcount"] == pytest.approx(poor / persons)
    assert sum(row["persons"] for row in simulated["deciles"]) == persons


def test_without_households_poverty_is_the_familys_and_the_report_says_so(
    population: Path, simulated: dict[str, Any], tmp_path: Path
) -> None:
    families = tmp_path / "families.csv"
    pl.read_csv(population, infer_schema=False).drop("household_id").write_csv(families)
    args = ("simulate", "--pack", "iraq", "--population", families, "--period", PERIOD, "--reform", REFORM)
    result = himaya(*args, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["poverty_unit"]["unit"] == "family"
    assert "has no household_id" in document["poverty_unit"]["note"]
    poor, _ = _poor_by_hand(population, "family_id")
    assert document["poverty"]["residents"]["before"]["poor_persons"] == poor
    # Families that share a dwelling pool their incomes: fewer are poor counted by household.
    by_family = document["poverty"]["residents"]["before"]["headcount"]
    assert simulated["poverty"]["residents"]["before"]["headcount"] < by_family
    assert document["programmes"] == simulated["programmes"]  # the unit of poverty changes no payment
    report = himaya(*args)
    assert report.exit_code == 0 and "measured per family: the population has no household_id" in report.stdout


def test_a_family_in_two_households_is_refused_naming_it(population: Path, tmp_path: Path) -> None:
    people = pl.read_csv(population, infer_schema=False)
    family = people.filter(pl.col("relationship") == "spouse")["family_id"][0]
    broken = people.with_columns(
        pl.when((pl.col("family_id") == family) & (pl.col("relationship") == "spouse"))
        .then(pl.lit("D-ELSEWHERE"))
        .otherwise(pl.col("household_id"))
        .alias("household_id")
    )
    path = tmp_path / "broken.csv"
    broken.write_csv(path)
    result = himaya("simulate", "--pack", "iraq", "--population", path, "--period", PERIOD, "--reform", REFORM)
    assert result.exit_code == 2, result.output
    assert f"family {family}: its members name two households in household_id" in result.stderr


def test_a_household_split_between_two_parts_is_measured_whole(population: Path) -> None:
    """A dataset is split by family: the families of one household may fall in two files. The parts
    are combined before the households are made, so the figures are those of the whole table."""
    from himaya.analysis.parts import simulate_part  # noqa: PLC0415
    from himaya.analysis.simulate import analysis_inputs, combine  # noqa: PLC0415
    from himaya.bootstrap import people_with_places  # noqa: PLC0415

    pack = load_pack("iraq")
    people = people_with_places(pl.read_csv(population, infer_schema=False), pack, source="t")
    reform = load_reform(REFORM, pack.parameters).apply(pack.parameters)
    month = Period.parse(PERIOD)
    whole = simulate(people, pack, pack.parameters, reform, month)
    odd = pl.col("family_id").hash(seed=1) % 2 == 1
    halves = [people.filter(odd), people.filter(~odd)]
    shared = set(halves[0]["household_id"].drop_nulls()) & set(halves[1]["household_id"].drop_nulls())
    assert shared, "no household is split between the two parts: the test would prove nothing"
    inputs = analysis_inputs(pack)
    parts = [simulate_part(h, pack, inputs, pack.parameters, reform, month) for h in halves]
    split = combine(parts, pack, reform, month)
    assert split.poverty == whole.poverty and split.gini == whole.gini and split.unit == "household"
    assert split.deciles.equals(whole.deciles)
