"""Scenario files: every assumption named, anything wrong refused with the key and the value."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from himaya.analysis.scenario import (
    Indexation,
    ScenarioError,
    comparison_note,
    differences,
    load_scenario,
    parse_scenario,
)
from himaya.policy.pack import PolicyPack
from tests.conftest import REPO


def test_the_default_names_every_assumption(oman: PolicyPack, programmes: tuple[str, ...]) -> None:
    scenario = load_scenario(None, oman.parameters, programmes)
    # Issue 16: "today's rules" are the law's nominal amounts; indexing them is a scenario's choice.
    assert scenario.name == "Today's rules" and scenario.indexation is Indexation.NONE
    assert "not indexed" in scenario.description
    assert scenario.reform is None
    assert set(scenario.take_up) == set(programmes)
    assert set(scenario.assumptions) >= {"population", "economy", "indexation", "take_up", "sample", "rules"}
    assert scenario.inflation.at(2040) == 0.02


def test_a_file_overrides_some_assumptions_and_keeps_the_rest(
    oman: PolicyPack, programmes: tuple[str, ...], tmp_path: Path
) -> None:
    reform = tmp_path / "child.yaml"
    reform.write_text("name: child 15\nchanges:\n  child.amount:\n    2027-01-01: '15.000'\n", encoding="utf-8")
    file = tmp_path / "wages.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "name": "Wages",
                "indexation": "wages",
                "economy": {"real_growth": {2025: 0.03, 2030: 0.02}},
                "rules": {"reform": "child.yaml"},
            }
        ),
        encoding="utf-8",
    )
    scenario = load_scenario(file, oman.parameters, programmes)
    assert scenario.name == "Wages" and scenario.indexation is Indexation.WAGES
    assert scenario.real_growth.at(2029) == 0.03 and scenario.real_growth.at(2031) == 0.02
    assert scenario.inflation.at(2031) == 0.02  # kept from the default
    assert scenario.reform is not None and scenario.reform.name == "child 15"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"inflaton": 0.02}, "unknown key 'inflaton'"),
        ({"economy": {"inflaton": 0.02}}, "unknown key 'economy.inflaton'; known: gdp_year, gdp_omr"),
        ({"economy": {"inflation": "two"}}, "economy.inflation: 'two' is not a number"),
        ({"economy": {"inflation": 0.9}}, "economy.inflation: 0.9 is out of range"),
        ({"economy": {"real_growth": {"soon": 0.02}}}, "economy.real_growth: {'soon': 0.02} must be a number or"),
        ({"economy": {"gdp_omr": -5}}, "economy.gdp_omr: -5 must be a whole number"),
        ({"economy": 3}, "economy: 3 must be a mapping"),
        ({"indexation": "gold"}, "indexation: 'gold' must be one of none, prices, wages"),
        ({"take_up": {"child": 1.5}}, "take_up.child: 1.5 is out of range"),
        ({"take_up": {"pension": 1.0}}, "unknown key 'take_up.pension'"),
        ({"population": {"citizens": "many"}}, "population.citizens: 'many' must be a whole number"),
        ({"rules": {"changes": {"child.amont": {"2027-01-01": "15.000"}}}}, "unknown parameter 'child.amont'"),
        ({"rules": {"reform": "nowhere.yaml"}}, "rules.reform: no such file"),
        ([1, 2], "a scenario must be a mapping"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_key_and_value(
    oman: PolicyPack, programmes: tuple[str, ...], document: object, message: str
) -> None:
    with pytest.raises(ScenarioError, match=r"^scenario default: ") as error:
        parse_scenario(document, oman.parameters, programmes)
    assert message in str(error.value)


def test_a_file_that_is_not_yaml_is_named(oman: PolicyPack, programmes: tuple[str, ...], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("economy: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=f"scenario {broken}: not valid YAML"):
        load_scenario(broken, oman.parameters, programmes)
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "missing.yaml", oman.parameters, programmes)


EXAMPLES = REPO / "examples" / "scenarios"


def test_the_examples_index_todays_rules_to_prices_or_wages_and_nothing_else(
    oman: PolicyPack, programmes: tuple[str, ...]
) -> None:
    default = load_scenario(None, oman.parameters, programmes)
    today = load_scenario(EXAMPLES / "today.yaml", oman.parameters, programmes)
    assert (today.name, today.indexation, today.description) == (default.name, Indexation.NONE, default.description)
    assert differences([default, today]) == []
    for file, indexation in (("prices.yaml", Indexation.PRICES), ("wages.yaml", Indexation.WAGES)):
        indexed = load_scenario(EXAMPLES / file, oman.parameters, programmes)
        assert indexed.indexation is indexation and indexed.reform is None
        assert indexed.name == f"Today's rules, indexed to {indexation.value}"
        assert [(d.key, d.values) for d in differences([default, indexed])] == [
            ("indexation", ("none", indexation.value))
        ]
    reform = load_scenario(EXAMPLES / "child-15.yaml", oman.parameters, programmes)
    assert reform.indexation is Indexation.NONE and reform.reform is not None
    assert differences([today, reform]) == []  # like with like: only the rules differ


def test_scenarios_that_differ_in_more_than_the_rules_are_named(oman: PolicyPack, programmes: tuple[str, ...]) -> None:
    """Issue 16: the documented example put a wage-indexed baseline beside a price-indexed reform,
    which then looked cheaper from 2037; a nominal baseline beside an indexed reform is the same
    mistake the other way round."""
    wages = load_scenario(EXAMPLES / "wages.yaml", oman.parameters, programmes)
    child = load_scenario(EXAMPLES / "child-15.yaml", oman.parameters, programmes)
    default = load_scenario(None, oman.parameters, programmes)
    assert {d.key: d.values for d in differences([wages, child])} == {"indexation": ("wages", "none")}
    indexed_reform = parse_scenario(
        {
            "name": "Child 15, indexed to prices",
            "indexation": "prices",
            "economy": {"real_growth": {2025: 0.025, 2030: 0.02}},
            "rules": {"changes": {"child.amount": {date(2027, 1, 1): "15.000"}}},
        },
        oman.parameters,
        programmes,
    )
    found = {d.key: d.values for d in differences([default, indexed_reform])}
    assert found == {"indexation": ("none", "prices"), "economy.real_growth": ("0.025", "{2025: 0.025, 2030: 0.02}")}
    note = comparison_note(differences([default, indexed_reform]))
    assert "(real growth, indexation of the amounts)" in note.en  # in words, not the file's keys
    assert "(النمو الحقيقي، ربط المبالغ بالأسعار أو الأجور)" in note.ar and "economy" not in note.ar
    assert "أكثر من القواعد" in note.ar


def test_a_file_that_changes_anything_is_not_named_todays_rules(
    oman: PolicyPack, programmes: tuple[str, ...], tmp_path: Path
) -> None:
    """A file without a name of its own is named after the file, not "Today's rules" (which would
    call an indexed scenario or a reform today's rules)."""
    file = tmp_path / "indexed.yaml"
    file.write_text("indexation: prices\n", encoding="utf-8")
    scenario = load_scenario(file, oman.parameters, programmes)
    assert (scenario.name, scenario.description) == ("indexed.yaml", "")
    assert parse_scenario({"indexation": "wages"}, oman.parameters, programmes).name == "unnamed scenario"
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing changed: the default\n", encoding="utf-8")
    assert load_scenario(empty, oman.parameters, programmes).name == "Today's rules"


def test_the_documented_scenario_file_is_read_as_written(oman: PolicyPack, programmes: tuple[str, ...]) -> None:
    """The full scenario of docs/analysis.md (every key, as files were written before issue 16
    made the default nominal) is still read, with the indexation it states."""
    page = (REPO / "docs" / "analysis.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", page, flags=re.S) if "indexation:" in b]
    scenario = parse_scenario(yaml.safe_load(block), oman.parameters, programmes, source=EXAMPLES / "documented.yaml")
    assert scenario.indexation is Indexation.PRICES and scenario.reform is not None
    assert scenario.real_growth.at(2031) == 0.02
    assert [
        d.key for d in differences([load_scenario(EXAMPLES / "prices.yaml", oman.parameters, programmes), scenario])
    ] == ["economy.real_growth"]


def test_scenarios_that_differ_only_in_their_rules_are_compared_without_a_word(
    oman: PolicyPack, programmes: tuple[str, ...]
) -> None:
    default = load_scenario(None, oman.parameters, programmes)
    reform = parse_scenario(
        {"name": "Child 15", "description": "x", "rules": {"changes": {"child.amount": {date(2027, 1, 1): "15.000"}}}},
        oman.parameters,
        programmes,
    )
    # the same assumption written another way: a rate, or a rate from a year; 1 or 1.0
    same = parse_scenario(
        {"economy": {"inflation": {2020: 0.02}}, "take_up": {"child": 1}}, oman.parameters, programmes
    )
    assert differences([default, reform, same]) == []
    other = parse_scenario(
        {"take_up": {"child": 0.9}, "population": {"citizens": 3_000_000}}, oman.parameters, programmes
    )
    assert [d.key for d in differences([default, other])] == ["population.citizens", "take_up.child"]
