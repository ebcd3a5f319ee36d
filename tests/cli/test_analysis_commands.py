"""`himaya simulate` and `himaya project`, as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.core.money import format_omr
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.conftest import REPO

runner = CliRunner()
EXAMPLE = REPO / "src/himaya/policy/packs/oman/examples/people.csv"
CHILD_15 = REPO / "examples/reforms/child-15.yaml"


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_simulate_reports_writes_json_and_charts(tmp_path: Path) -> None:
    result = himaya(
        "simulate", "--population", EXAMPLE, "--period", "2027-01", "--reform", CHILD_15, "--output", tmp_path / "out"
    )
    assert result.exit_code == 0, result.stderr
    assert "Reform simulation for 2027-01: Child benefit at 15 OMR (24 persons)" in result.stdout
    for heading in ("Beneficiaries and cost by programme", "Coverage of citizens", "Poverty: line 115.000", "decile"):
        assert heading in result.stdout
    document = json.loads((tmp_path / "out" / "simulation.json").read_text(encoding="utf-8"))
    child = next(p for p in document["programmes"] if p["programme"] == "child")
    assert child["reform_monthly_baisa"] == child["baseline_monthly_baisa"] * 3 // 2
    assert child["name_ar"] == "منفعة الطفولة"
    assert document["poverty_line"]["status"] == "ASSUMED"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.svg")) == ["change-by-decile.svg", "cost-by-programme.svg"]

    as_json = himaya("simulate", "--population", EXAMPLE, "--period", "2027-01", "--reform", CHILD_15, "--json")
    assert json.loads(as_json.stdout)["programmes"] == document["programmes"]

    # Issue 16: the example's newest birth is 2025-10-03; in 2027-01 the children born since are missing.
    missing = "warning: the population has no one born after 2025-10-03, about 15 months before 2027-01"
    assert missing in result.stdout and missing in result.stderr and missing in as_json.stderr
    assert document["warnings"] and "child benefit" in document["warnings"][0]


def test_simulate_writes_the_tables_as_csv(tmp_path: Path) -> None:
    """docs/cli.md: --output DIR holds JSON, CSV and charts (issue 19 item 8)."""
    folder = tmp_path / "out"
    result = himaya("simulate", "--population", EXAMPLE, "--period", "2027-01", "--reform", CHILD_15, "-o", folder)
    assert result.exit_code == 0, result.stderr
    programmes = pl.read_csv(folder / "simulation-programmes.csv", infer_schema=False)
    child = programmes.filter(pl.col("programme") == "child").row(0, named=True)
    document = json.loads((folder / "simulation.json").read_text(encoding="utf-8"))
    expected = next(p for p in document["programmes"] if p["programme"] == "child")
    assert child["baseline_monthly_omr"] == format_omr(expected["baseline_monthly_baisa"])
    assert child["annual_change_omr"] == format_omr(
        12 * (expected["reform_monthly_baisa"] - expected["baseline_monthly_baisa"])
    )
    assert child["name_ar"] == "منفعة الطفولة"
    deciles = pl.read_csv(folder / "simulation-deciles.csv")
    assert deciles.height == len(document["deciles"]) and "change_omr" in deciles.columns
    assert pl.read_csv(folder / "simulation-coverage.csv").height == len(document["coverage"])
    assert "simulation-programmes.csv" in result.stdout


@pytest.fixture(scope="module")
def large_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    people = tmp_path_factory.mktemp("large") / "people.csv"
    for_file(generate(SynthRequest(persons=20_000, seed=5)).people, "csv").write_csv(people)
    return people


def test_the_report_never_cuts_a_number_at_80_columns(large_population: Path) -> None:
    """Issue 19 item 9: redirected (not a terminal: 80 columns), every figure whole, every heading
    whole, and the baseline column labelled."""
    result = himaya("simulate", "--population", large_population, "--period", "2027-01", "--reform", CHILD_15)
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    document = json.loads(
        himaya(
            "simulate", "--population", large_population, "--period", "2027-01", "--reform", CHILD_15, "--json"
        ).stdout
    )
    annual = [
        f"{12 * p[f'{s}_monthly_baisa'] / 1000:,.0f}" for p in document["programmes"] for s in ("baseline", "reform")
    ]
    assert max(len(a) for a in annual) >= 9  # figures long enough to have been cut
    for figure in annual:
        assert figure in result.stdout
    for heading in ("beneficiaries", "today", "reform", "change", "headcount", "shortfall", "OMR/yr"):
        assert heading in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reform", "missing.yaml"], "reform missing.yaml: cannot be read"),
        (["--reform", CHILD_15, "--charts", "gif"], "--charts must be one of svg, png, not 'gif'"),
        (["--reform", CHILD_15, "--registry"], "give a people table (PEOPLE) or --registry"),
    ],
)
def test_simulate_refuses_bad_input(args: list[str | Path], message: str) -> None:
    result = himaya("simulate", "--population", EXAMPLE, "--period", "2027-01", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_simulate_names_a_bad_reform_and_a_bad_table(tmp_path: Path) -> None:
    reform = tmp_path / "bad.yaml"
    reform.write_text("name: x\nchanges:\n  child.amount:\n    2027-01-01: ten\n", encoding="utf-8")
    result = himaya("simulate", "--population", EXAMPLE, "--period", "2027-01", "--reform", reform)
    assert result.exit_code == 2
    assert f"reform {reform}: child.amount from 2027-01-01: 'ten' is not an OMR amount" in result.stderr
    table = tmp_path / "people.csv"
    table.write_text(EXAMPLE.read_text(encoding="utf-8").replace(",M,", ",X,", 1), encoding="utf-8")
    refused = himaya("simulate", "--population", table, "--period", "2027-01", "--reform", CHILD_15)
    assert refused.exit_code == 2
    assert "column sex, value 'X': must be one of F, M" in refused.stderr


def test_simulate_from_the_registry_matches_the_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "test:analyst")
    people = tmp_path / "people.csv"
    for_file(generate(SynthRequest(persons=2_000, seed=3)).people, "csv").write_csv(people)
    assert himaya("db", "upgrade").exit_code == 0
    assert himaya("registry", "import", people, "--as-of", "2026-01-01").exit_code == 0
    common = ["--period", "2026-01", "--reform", CHILD_15, "--json"]
    from_registry = himaya("simulate", "--registry", *common)
    assert from_registry.exit_code == 0, from_registry.stderr
    from_file = json.loads(himaya("simulate", "--population", people, *common).stdout)
    registry = json.loads(from_registry.stdout)
    assert registry["programmes"] == from_file["programmes"]
    assert registry["governorates"] == from_file["governorates"] and registry["governorates"]


def test_project_reports_compares_and_writes(tmp_path: Path) -> None:
    scenario = tmp_path / "wages.yaml"
    scenario.write_text("name: Wages\nindexation: wages\n", encoding="utf-8")
    result = himaya(
        "project",
        "--from",
        "2025",
        "--to",
        "2035",
        "--scenario",
        scenario,
        "--scenario",
        scenario.with_name("flat.yaml"),
    )
    assert result.exit_code == 2 and "flat.yaml: cannot be read" in result.stderr
    scenario.with_name("flat.yaml").write_text("name: Flat\nindexation: none\n", encoding="utf-8")
    result = himaya(
        "project",
        "--to",
        "2035",
        "--scenario",
        scenario,
        "--scenario",
        tmp_path / "flat.yaml",
        "--output",
        tmp_path / "p",
    )
    assert result.exit_code == 0, result.stderr
    assert "Cost as % of GDP by programme" in result.stdout and "Scenarios side by side" in result.stdout
    # Issue 16: the two differ in their indexation, not in their rules: the report says so.
    assert "warning: the scenarios differ in more than the rules" in result.stdout
    assert "indexation: wages (Wages), none (Flat)" in result.stdout
    document = json.loads((tmp_path / "p" / "projection.json").read_text(encoding="utf-8"))
    assert [d["scenario"] for d in document] == ["Wages", "Flat"]
    assert len(document[0]["years"]) == 11 and document[0]["assumptions"]["indexation"] == "wages"
    csv = (tmp_path / "p" / "projection.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("scenario,year,programme,beneficiaries,cost_omr,share_of_gdp")
    assert len(csv) == 1 + 2 * 11 * 6
    assert len(list((tmp_path / "p").glob("*.svg"))) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2020"], "the projection runs from 2025"),
        (["--every", "0"], "'--every': Input should be greater than or equal to 1"),
        (
            ["--every", "-1"],
            "'--every': Input should be greater than or equal to 1",
        ),  # the same rule, said the same way
    ],
)
def test_project_refuses_bad_input(args: list[str], message: str) -> None:
    result = himaya("project", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_project_json_holds_a_scenario_with_inline_changes(tmp_path: Path) -> None:
    scenario = tmp_path / "inline.yaml"
    scenario.write_text(
        "name: Inline\nrules:\n  changes:\n    child.amount:\n      2027-01-01: '15.000'\n", encoding="utf-8"
    )
    result = himaya("project", "--to", "2028", "--scenario", scenario, "--json")
    assert result.exit_code == 0, result.stderr
    (document,) = json.loads(result.stdout)
    assert document["assumptions"]["rules"]["changes"] == {"child.amount": {"2027-01-01": "15.000"}}
    child = [year["programmes"]["child"]["cost_baisa"] for year in document["years"]]
    assert child[2] > child[1] * 1.4  # 2027: 15 instead of 10 (nominal amounts), a few more children


def test_project_names_the_key_of_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("economy:\n  inflation: lots\n", encoding="utf-8")
    result = himaya("project", "--scenario", scenario)
    assert result.exit_code == 2
    assert f"scenario {scenario}: economy.inflation: 'lots' is not a number" in result.stderr


def test_a_scenario_is_not_described_by_the_defaults_words() -> None:
    """Issue 19 item 10: 'indexation: wages' was printed beside the default's description; issue 16:
    the default is today's rules at the law's nominal amounts."""
    wages = himaya("project", "--from", "2025", "--to", "2026", "--scenario", REPO / "examples/scenarios/wages.yaml")
    assert wages.exit_code == 0, wages.stderr
    assert "Today's rules, indexed to wages" in wages.stdout and "indexation: wages" in wages.stdout
    assert "not indexed" not in wages.stdout
    default = himaya("project", "--from", "2025", "--to", "2026")
    assert "Today's rules  (default; indexation: none)" in default.stdout
    assert "at the amounts the law writes, not indexed" in default.stdout


def test_a_comparison_warns_of_assumptions_other_than_the_rules(tmp_path: Path) -> None:
    """Issue 16: a baseline and a reform indexed differently (a wage-indexed baseline beside a
    nominal reform, as documented; a nominal baseline beside a price-indexed reform) are said to
    differ, in the report, or on standard error beside the JSON; scenarios that share every
    assumption but their rules are compared without a word."""
    scenarios = [
        "--scenario",
        REPO / "examples/scenarios/wages.yaml",
        "--scenario",
        REPO / "examples/scenarios/child-15.yaml",
    ]
    report = himaya("project", "--to", "2027", *scenarios)
    assert report.exit_code == 0, report.stderr
    assert "the scenarios differ in more than the rules" in report.stdout
    assert "indexation: wages (Today's rules, indexed to wages), none (Child benefit at 15 OMR from 2027)" in (
        report.stdout
    )
    as_json = himaya("project", "--to", "2027", *scenarios, "--json")
    assert "the scenarios differ in more than the rules" in as_json.stderr
    assert json.loads(as_json.stdout)[0]["scenario"] == "Today's rules, indexed to wages"
    indexed = tmp_path / "indexed.yaml"
    indexed.write_text(
        f"name: Child 15, indexed to prices\nindexation: prices\nrules:\n  reform: {CHILD_15}\n", encoding="utf-8"
    )
    today = REPO / "examples/scenarios/today.yaml"
    nominal = himaya("project", "--to", "2027", "--scenario", today, "--scenario", indexed, "--output", tmp_path / "p")
    assert nominal.exit_code == 0, nominal.stderr
    assert "indexation: none (Today's rules), prices (Child 15, indexed to prices)" in nominal.stdout
    chart = (tmp_path / "p" / "cost-share-of-gdp.svg").read_text(encoding="utf-8")
    assert "differ in more than the rules (indexation of the amounts)" in chart
    alike = himaya(
        "project", "--to", "2027", "--scenario", today, "--scenario", REPO / "examples/scenarios/child-15.yaml"
    )
    assert alike.exit_code == 0, alike.stderr
    assert "differ in more than the rules" not in alike.stdout + alike.stderr


@pytest.mark.parametrize("by_setting", [True, False])
def test_the_analysis_obeys_the_pack(monkeypatch: pytest.MonkeyPatch, by_setting: bool) -> None:
    """Outside attack D3: under HIMAYA_PACK=iraq, simulate and project ran Oman's rules without a word.
    Now they run Iraq's, on Iraq's inputs, in dinars (issue 17)."""
    iraq = REPO / "src/himaya/policy/packs/iraq/examples/people.csv"
    chosen: tuple[str, ...] = ()
    if by_setting:
        monkeypatch.setenv("HIMAYA_PACK", "iraq")
    else:
        chosen = ("--pack", "iraq")
    reform = REPO / "examples/reforms/iraq-life-cycle.yaml"
    simulated = himaya("simulate", "--population", iraq, "--period", "2025-11", "--reform", reform, *chosen)
    projected = himaya("project", "--from", "2025", "--to", "2026", *chosen)
    for result in (simulated, projected):
        assert result.exit_code == 0, result.stderr
        assert "IQD" in result.stdout
        assert "OMR" not in result.stdout
    assert "sp_cash" in projected.stdout


def test_the_analysis_refuses_an_oman_file_under_the_iraq_pack() -> None:
    result = himaya("simulate", "--pack", "iraq", "--population", EXAMPLE, "--period", "2027-01", "--reform", CHILD_15)
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr


def test_project_and_simulate_leave_no_chart_of_an_earlier_run(tmp_path: Path) -> None:
    """Issue 16: a run into a folder removes the command's own files it did not write (a third
    scenario's chart after a run with two, an SVG chart after a PNG run), and leaves other files."""
    folder = tmp_path / "p"
    scenarios = []
    for name in ("a", "b", "c"):
        scenarios += ["--scenario", tmp_path / f"{name}.yaml"]
        (tmp_path / f"{name}.yaml").write_text(f"name: {name.upper()}\n", encoding="utf-8")
    assert himaya("project", "--to", "2027", *scenarios, "--output", folder).exit_code == 0
    assert len(list(folder.glob("cost-by-programme-*.svg"))) == 3
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / "cost-by-programme-x.svg").write_text("not the command's", encoding="utf-8")
    result = himaya("project", "--to", "2027", *scenarios[:4], "--output", folder, "--charts", "png")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["cost-by-programme-1.png", "cost-by-programme-2.png", "cost-by-programme-x.svg",
                     "cost-share-of-gdp.png", "notes.txt", "projection.csv", "projection.json"]  # fmt: skip

    out = tmp_path / "s"
    args = ["simulate", "--population", EXAMPLE, "--period", "2027-01", "--reform", CHILD_15, "--output", out]
    assert himaya(*args).exit_code == 0
    (out / "projection.csv").write_text("another command's", encoding="utf-8")
    assert himaya(*args, "--charts", "png").exit_code == 0
    assert not list(out.glob("*.svg"))
    assert {"change-by-decile.png", "cost-by-programme.png", "projection.csv", "simulation.json"} <= {
        p.name for p in out.iterdir()
    }
