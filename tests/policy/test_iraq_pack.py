"""The Iraq pack's data: its places, its contract, and what its parameters assume."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from himaya.core.errors import InputTableError
from himaya.policy.packs import load_pack
from himaya.policy.packs.iraq.places import districts, governorates, outside_federal_scheme, rows
from himaya.policy.parameters import Status, Unit
from himaya.policy.table import validate_table

EXAMPLE = Path(__file__).parents[2] / "src/himaya/policy/packs/iraq/examples/people.csv"


def test_governorates_and_districts_in_both_languages() -> None:
    assert len(governorates()) == 19  # the 18 and Halabja (data/README.md)
    assert len(districts()) == len(set(districts())) >= 100
    for row in rows():
        assert all(row.values()) or (row["iso_3166_2"] == "" and row["governorate_en"] == "Halabja"), row
        assert any("\u0600" <= ch <= "\u06ff" for ch in row["district_ar"] + row["governorate_ar"]), row


def test_the_kurdistan_region_is_what_the_parameter_excludes() -> None:
    tree = load_pack("iraq").parameters
    excluded = tree.at(date(2025, 1, 1)).territory.excluded_governorates
    assert sorted(excluded) == sorted(outside_federal_scheme()) == ["Duhok", "Erbil", "Halabja", "Sulaymaniyah"]


def test_money_is_in_whole_dinars() -> None:
    pack = load_pack("iraq")
    assert pack.currency.code == "IQD" and pack.schema.currency is pack.currency
    money = [p for p in pack.parameters if p.unit is Unit.MONEY]
    assert money and all(p.unit_name == "IQD" for p in money)
    assert pack.parameters.at(date(2025, 1, 1)).poverty_line.per_person == 137000


def test_the_unpublished_values_are_assumed() -> None:
    tree = load_pack("iraq").parameters
    assumed = {p.path for p in tree if p.status is Status.ASSUMED}
    must = {
        "sp_cash.men.first_member",
        "sp_cash.women.first_member",
        "sp_cash.max_per_household",
        "sp_cash.pmt.weight.wage",
        "sp_cash.pmt.use_measured",
        "sp_cash.exclude.state_employee",
        "sp_cash.exclude.law18_insured",
        "student_grant.months",
    }
    assert must <= assumed
    assert {p.path for p in tree if p.status is Status.CONFIRMED} == {
        f"student_grant.amount.{level}"
        for level in ("primary", "intermediate", "preparatory", "university", "postgraduate")
    }


def test_a_measured_welfare_on_another_row_than_the_heads_is_refused_naming_the_row() -> None:
    # The researcher's score is the family's: on a child's row it was silently ignored (the formula used instead).
    pack = load_pack("iraq")
    raw = pl.read_csv(EXAMPLE, infer_schema=False)
    child = raw.with_row_index("row", 1).filter(pl.col("relationship") == "child")["row"][0]
    moved = raw.with_columns(
        pmt_pc_welfare=pl.when(pl.int_range(1, pl.len() + 1) == child).then(pl.lit("50000")).otherwise("pmt_pc_welfare")
    )
    with pytest.raises(InputTableError) as refused:
        validate_table(moved, pack.schema, source="people.csv")
    assert [(p.row, p.column, p.value) for p in refused.value.problems] == [(child, "pmt_pc_welfare", "50000")]
    assert "only the head's row may have it" in refused.value.problems[0].rule
    assert validate_table(raw, pack.schema, source="people.csv").height == raw.height  # on the heads' rows: read


def test_the_arabic_of_the_parameters_names_no_column_and_no_file() -> None:
    # An Arabic reader met `pmt_pc_welfare`, `person_id` and `shared/policy/iraq.md` in the middle of Arabic text.
    latin = [
        (p.path, text)
        for p in load_pack("iraq").parameters
        for text in (p.description.ar, p.note_ar or "", p.reference_ar or "")
        if re.search("[A-Za-z]", text)
    ]
    assert latin == []
