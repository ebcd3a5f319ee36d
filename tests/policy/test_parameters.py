"""Every parameter is documented, dated and referenced; values resolve by date; reforms overlay."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from himaya.core.money import OMR
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.parameters import ParameterError, Status, Unit, load_parameters
from himaya.policy.reforms import load_reform, parse_reform


@pytest.mark.parametrize("name", ["oman", "iraq"])
def test_every_parameter_is_fully_documented(name: str) -> None:
    pack = load_pack(name)
    tree = pack.parameters
    pack.check_parameters(tree)
    assert len(list(tree)) >= 20
    for parameter in tree:
        assert parameter.description.en and parameter.description.ar, parameter.path
        assert any("\u0600" <= ch <= "\u06ff" for ch in parameter.description.ar), f"{parameter.path}: not Arabic"
        assert parameter.reference, parameter.path
        assert isinstance(parameter.status, Status)
        assert isinstance(parameter.unit, Unit)
        assert parameter.values, parameter.path
        assert parameter.values[0].start <= pack.first_period.start, f"{parameter.path} starts after the pack"
        if parameter.status is Status.ASSUMED:
            assert parameter.note, f"{parameter.path}: an ASSUMED parameter must say why in 'note'"
        # In Arabic too (issue 19): the reference, and the note where there is one.
        assert parameter.reference_ar and re.search("[\u0600-\u06ff]", parameter.reference_ar), parameter.path
        assert (parameter.note is None) == (parameter.note_ar is None), f"{parameter.path}: note and note_ar"
        assert not re.search(r"(?<![A-Za-z._/])n(?![A-Za-z._])", parameter.description.ar), parameter.path


def test_values_resolve_by_effective_date(oman: PolicyPack) -> None:
    tree = oman.parameters
    assert tree.at(date(2025, 12, 31)).fis.single_woman_cap == 80_000
    assert tree.at(date(2026, 1, 1)).fis.single_woman_cap == 115_000
    assert tree.at(date(2025, 12, 31)).elderly.income_test.active is False
    assert tree.at(date(2026, 1, 1)).elderly.income_test.active is True
    assert tree.at(date(2026, 1, 1)).elderly.income_test.taper_rate == Fraction(1, 2)
    assert tree.at(date(2024, 1, 1)).combination.exclusive == (("disability", "elderly"),)


def test_a_date_before_the_first_value_is_an_error(oman: PolicyPack) -> None:
    with pytest.raises(ParameterError, match="no value before 2024-01-01"):
        _ = oman.parameters.at(date(2023, 12, 31)).child.amount


def test_reading_records_the_parameters_used(oman: PolicyPack) -> None:
    view = oman.parameters.at(date(2026, 1, 1)).recording()
    _ = view.child.amount, view.elderly.income_test.full_until
    assert view.used == ["child.amount", "elderly.income_test.full_until"]


def test_unknown_parameter_is_named(oman: PolicyPack) -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter .child\.amont."):
        _ = oman.parameters.at(date(2026, 1, 1)).child.amont


def _write(tmp_path: Path, relative: str, document: dict[str, object]) -> None:
    file = tmp_path / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


GOOD = {
    "description": {"en": "An amount", "ar": "مبلغ"},
    "unit": "OMR",
    "status": "CONFIRMED",
    "reference": "Law, art. 1",
    "values": {date(2024, 1, 1): "10.000"},
}


def test_the_folder_path_is_the_access_path(tmp_path: Path) -> None:
    _write(tmp_path, "a/b/c.yaml", GOOD)
    tree = load_parameters(tmp_path, currency=OMR)
    assert tree.at(date(2024, 5, 1)).a.b.c == 10_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reference": None}, "missing reference"),
        ({"status": None}, "missing status"),
        ({"unit": None}, "missing unit"),
        ({"values": None}, "missing values"),
        ({"description": {"en": "only English"}}, "description needs both 'en' and 'ar'"),
        ({"status": "PROBABLE"}, "'PROBABLE' is not a valid Status"),
        ({"unit": "dollars"}, "'dollars' is not a unit: OMR, years"),
        ({"unit": "IQD"}, "unit IQD: the pack's currency is OMR"),
        ({"unit": "money"}, "write the unit of money as the pack's currency code, OMR"),
        ({"values": {date(2024, 1, 1): 10.5}}, "write OMR as a quoted string"),
        ({"values": {date(2024, 1, 1): "10.0001"}}, "more than 3 decimals"),
        ({"values": {"soon": "10.000"}}, "effective date 'soon' is not a date"),
        ({"minimum": "20.000"}, r"value from 2024-01-01: '10.000' is out of range: at least 20.000 OMR"),
        ({"minimum": "5.000", "maximum": "1.000"}, "minimum '5.000' is above maximum '1.000'"),
        ({"unit": "switch", "values": {date(2024, 1, 1): True}, "maximum": True}, "only a number .* has a range"),
    ],
)
def test_a_parameter_missing_anything_is_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    _write(tmp_path, "x/amount.yaml", {**GOOD, **change})
    with pytest.raises(ParameterError, match=message):
        load_parameters(tmp_path, currency=OMR)


def test_reform_overrides_from_its_date_only(oman: PolicyPack) -> None:
    reform = parse_reform(
        {"name": "child 15", "changes": {"child.amount": {date(2027, 1, 1): "15.000"}}}, oman.parameters, source="t"
    )
    tree = reform.apply(oman.parameters)
    assert tree.at(date(2026, 12, 31)).child.amount == 10_000
    assert tree.at(date(2027, 1, 1)).child.amount == 15_000
    assert tree["child.amount"].reference_at(date(2027, 1, 1)) == "reform: child 15"
    assert oman.parameters.at(date(2027, 1, 1)).child.amount == 10_000  # the pack itself is untouched


def test_a_reform_dated_before_a_later_pack_value_holds_over_it(oman: PolicyPack) -> None:
    # The pack raises the cap to 115.000 in 2026; a reform "90 from 2025" holds in 2026 too (it once fell back to 115).
    cap = oman.parameters["fis.single_woman_cap"]
    assert cap.value_at(date(2026, 3, 1)).value == 115_000
    changes = {"fis.single_woman_cap": {date(2025, 1, 1): "90.000", date(2027, 1, 1): "95.000"}}
    tree = parse_reform({"name": "cap 90", "changes": changes}, oman.parameters, source="t").apply(oman.parameters)
    reformed = tree["fis.single_woman_cap"]
    assert [(v.start, v.value, v.reform) for v in reformed.values] == [
        (date(2024, 1, 1), 80_000, False),
        (date(2025, 1, 1), 90_000, True),
        (date(2027, 1, 1), 95_000, True),
    ]
    assert tree.at(date(2026, 3, 1)).fis.single_woman_cap == 90_000
    assert oman.parameters.at(date(2026, 3, 1)).fis.single_woman_cap == 115_000  # the pack itself is untouched


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"child.amont": {date(2027, 1, 1): "15.000"}}, "unknown parameter 'child.amont'"),
        (
            {"child.amount": {date(2027, 1, 1): "fifteen"}},
            r"child.amount from 2027-01-01: 'fifteen' is not an OMR amount",
        ),
        ({"child.amount": {date(2027, 1, 1): "-1"}}, "negative"),
        ({"child.amount": {date(2027, 1, 1): "99999999999999999999"}}, "too large: at most 12 digits"),
        ({"child.max_age": {date(2027, 1, 1): "18"}}, "not a whole number of years"),
        ({"child.max_age": {date(2027, 1, 1): -3}}, "-3 is out of range: a number of years is 0 or more"),
        ({"child.max_age": {date(2027, 1, 1): 1800}}, "1800 is out of range: at most 150 years"),
        ({"elderly.income_test.active": {date(2027, 1, 1): "yes"}}, "not true or false"),
        ({"child.amount": {"2027": "15.000"}}, "effective date '2027' is not a date"),
        ({"child.amount": "15.000"}, r"give the values as \{YYYY-MM-DD: value\}"),
    ],
)
def test_bad_reforms_name_the_parameter_and_value(oman: PolicyPack, changes: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_reform({"name": "bad", "changes": changes}, oman.parameters, source="bad.yaml")


def test_reform_file_errors(oman: PolicyPack, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="cannot be read"):
        load_reform(tmp_path / "missing.yaml", oman.parameters)
    broken = tmp_path / "broken.yaml"
    broken.write_text("changes: [unclosed", encoding="utf-8")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_reform(broken, oman.parameters)
    extra = tmp_path / "extra.yaml"
    extra.write_text("name: x\nchanges: {}\nwhen: never\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown key"):
        load_reform(extra, oman.parameters)


@pytest.mark.parametrize(
    ("name", "raw", "allowed"),
    [
        ("pension_age", 0, "from 40 years to 80 years"),
        ("entry_age", 70, "from 15 years to 40 years"),
        ("average_wage", "0", "at least 0.001 OMR"),
        ("density", "5", "from 0.01 to 1"),
        ("insured_men", "3", "from 0.01 to 1"),
        ("administration", "10", "from 0 to 1"),
        ("job_security_months", 99, "from 0 to 24"),
    ],
)
def test_a_reform_out_of_a_parameters_range_is_refused(oman: PolicyPack, name: str, raw: object, allowed: str) -> None:
    path = f"insurance.projection.{name}"
    document = {"name": "r", "changes": {path: {date(2024, 1, 1): raw}}}
    with pytest.raises(ParameterError) as caught:
        parse_reform(document, oman.parameters, source="r.yaml")
    assert f"reform r.yaml: {path} from 2024-01-01: {raw!r} is out of range: {allowed}" in str(caught.value)


def test_every_assumption_of_the_fund_has_a_range(oman: PolicyPack) -> None:
    found = [p for p in oman.parameters if p.path.startswith("insurance.projection.")]
    assert len(found) >= 20
    for parameter in found:
        assert parameter.bounds[0] is not None, parameter.path
        if parameter.unit is Unit.RATE:
            assert parameter.bounds[1] is not None and parameter.bounds[1] <= 2, parameter.path
    edge = parse_reform(
        {"changes": {"insurance.projection.density": {date(2024, 1, 1): "1"}}}, oman.parameters, source="r"
    )
    assert edge.changed[0].values[0].value == 1
