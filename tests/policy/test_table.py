"""Bad input: every rule of the people-table contract refuses the table and names row, column, value, rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from himaya.core.errors import InputTableError, Problem
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import people_frame

HEAD: dict[str, Any] = {
    "person_id": "p1",
    "family_id": "f1",
    "relationship": "head",
    "sex": "M",
    "birth_date": "1980-05-01",
    "nationality": "OM",
    "resident": "true",
    "marital_status": "married",
}
SPOUSE = {**HEAD, "person_id": "p2", "relationship": "spouse", "sex": "F"}


def problems(oman: PolicyPack, *rows: dict[str, Any], frame: pl.DataFrame | None = None) -> list[Problem]:
    with pytest.raises(InputTableError) as caught:
        validate_table(frame if frame is not None else people_frame(rows), oman.schema, source="people.csv")
    return caught.value.problems


def test_a_good_table_parses_to_types(oman: PolicyPack) -> None:
    table = validate_table(
        people_frame([{**HEAD, "wage": "1.5", "pension": "0.125", "employed": "1"}, SPOUSE]), oman.schema, source="t"
    )
    row = table.row(0, named=True)
    assert row["birth_date"] == date(1980, 5, 1)
    assert row["wage"] == 1500 and row["pension"] == 125 and row["alimony"] == 0
    assert row["employed"] is True and row["has_children"] is False and row["death_date"] is None
    assert table.columns == list(oman.schema.names)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("relationship", "cousin", "must be one of head, spouse, child, other"),
        ("sex", "X", "must be one of F, M"),
        ("sex", "f", "must be one of F, M"),
        ("marital_status", "engaged", "must be one of single, married, divorced, widowed"),
        ("disability_category", "blind", "must be one of autism"),
        ("nationality", "Oman", "ISO 3166-1 alpha-2"),
        ("nationality", "om", "ISO 3166-1 alpha-2"),
        ("nationality", "XX", "ISO 3166-1 alpha-2"),
        ("birth_date", "2020-02-30", "must be a real date written YYYY-MM-DD"),
        ("birth_date", "15/03/2008", "must be a real date written YYYY-MM-DD"),
        ("birth_date", "2008-3-15", "must be a real date written YYYY-MM-DD"),
        ("death_date", "yesterday", "must be a real date written YYYY-MM-DD"),
        ("resident", "yes", "must be true or false (or 1 or 0)"),
        ("employed", "2", "must be true or false (or 1 or 0)"),
        ("wage", "-5.000", "must not be negative"),
        ("pension", "10.0001", "has more than 3 decimals"),
        ("alimony", "12,5", "must be an amount in OMR such as 115.000"),
        ("other_income", "1e3", "must be an amount in OMR such as 115.000"),
        ("earning_capacity", "OMR 5", "must be an amount in OMR such as 115.000"),
        ("person_id", "", "required value missing"),
        ("family_id", None, "required value missing"),
        ("birth_date", None, "required value missing"),
        ("resident", None, "required value missing"),
        ("nationality", None, "required value missing"),
        ("marital_status", None, "required value missing"),
    ],
)
def test_each_broken_value_is_named(oman: PolicyPack, column: str, value: str | None, rule: str) -> None:
    found = problems(oman, HEAD, {**SPOUSE, column: value})
    assert len(found) == 1
    problem = found[0]
    assert (problem.row, problem.column) == (2, column)
    assert problem.value == (value if value != "" else "") or problem.value is None
    assert rule in problem.rule
    assert f"row 2, column {column}" in str(problem)


def test_duplicate_person_id_names_both_rows(oman: PolicyPack) -> None:
    found = problems(oman, HEAD, {**SPOUSE, "person_id": "p1"})
    assert [(p.row, p.column, p.value) for p in found] == [(1, "person_id", "p1"), (2, "person_id", "p1")]
    assert "must be unique: also on row 2" in found[0].rule


def test_a_family_without_a_head(oman: PolicyPack) -> None:
    found = problems(oman, HEAD, {**SPOUSE, "family_id": "f2"})
    assert len(found) == 1
    assert (found[0].row, found[0].column, found[0].value) == (2, "family_id", "f2")
    assert "has no row with relationship 'head'" in found[0].rule


def test_a_family_with_two_heads(oman: PolicyPack) -> None:
    found = problems(oman, HEAD, {**SPOUSE, "relationship": "head"})
    assert [(p.row, p.column) for p in found] == [(1, "relationship"), (2, "relationship")]
    assert "family_id f1 has 2 rows with relationship 'head' (rows 1, 2): exactly one is allowed" in found[0].rule


def test_death_before_birth(oman: PolicyPack) -> None:
    found = problems(oman, HEAD, {**SPOUSE, "death_date": "1979-12-31"})
    assert [(p.row, p.column, p.value) for p in found] == [(2, "death_date", "1979-12-31")]
    assert "is before birth_date 1980-05-01" in found[0].rule


def test_a_missing_required_column_is_named(oman: PolicyPack) -> None:
    found = problems(oman, frame=people_frame([HEAD]).drop("sex"))
    assert [(p.row, p.column) for p in found] == [(0, "sex")]
    assert str(found[0]) == "header, column sex: required column is missing from the table"


def test_every_broken_row_is_reported_not_just_the_first(oman: PolicyPack) -> None:
    rows = [HEAD] + [{**SPOUSE, "person_id": f"s{i}", "sex": "?", "wage": "-1"} for i in range(50)]
    found = problems(oman, *rows)
    assert len(found) == 100
    assert {p.row for p in found} == set(range(2, 52))


def test_optional_columns_may_be_absent_and_extra_columns_are_ignored(oman: PolicyPack) -> None:
    frame = people_frame([HEAD]).select(
        ["person_id", "family_id", "relationship", "sex", "birth_date", "nationality", "resident", "marital_status"]
    )
    table = validate_table(frame.with_columns(pl.lit("x").alias("notes")), oman.schema, source="t")
    assert table.columns == list(oman.schema.names)
    assert table.row(0, named=True)["wage"] == 0


def test_parquet_native_types_are_accepted(oman: PolicyPack) -> None:
    frame = pl.DataFrame(
        {
            **{k: [v] for k, v in HEAD.items() if k not in ("birth_date", "resident")},
            "birth_date": [date(1980, 5, 1)],
            "resident": [True],
            "wage": pl.Series([Decimal("12.345")], dtype=pl.Decimal(12, 3)),
            "pension": pl.Series([100], dtype=pl.Int64),
            "alimony": pl.Series([2.5], dtype=pl.Float64),
        }
    )
    row = validate_table(frame, oman.schema, source="t").row(0, named=True)
    assert (row["wage"], row["pension"], row["alimony"]) == (12_345, 100_000, 2_500)


def test_float_money_that_is_not_exact_is_refused(oman: PolicyPack) -> None:
    frame = people_frame([HEAD]).with_columns(pl.Series("wage", [0.1 + 0.2]))
    found = problems(oman, frame=frame)
    assert [(p.column, p.value) for p in found] == [("wage", "0.30000000000000004")]


@pytest.mark.parametrize("value", ["99999999999999999999", "9999999999999999", "1000000000000"])
def test_money_too_large_is_refused_not_wrapped(oman: PolicyPack, value: str) -> None:
    found = problems(oman, HEAD, {**SPOUSE, "wage": value})
    assert [(p.row, p.column) for p in found] == [(2, "wage")]
    assert "too large" in found[0].rule


def test_money_too_large_in_parquet_integers(oman: PolicyPack) -> None:
    frame = people_frame([HEAD]).with_columns(pl.Series("wage", [10**17], dtype=pl.Int64))
    found = problems(oman, frame=frame)
    assert [(p.column, p.rule.split(":")[0]) for p in found] == [("wage", "is too large")]


def test_registry_family_ids_are_bounded(oman: PolicyPack) -> None:
    frame = people_frame([{**HEAD, "person_id": "12345678", "family_id": "F" * 33}])
    with pytest.raises(InputTableError) as caught:
        validate_table(frame, oman.registry, source="registry")
    assert any(p.column == "family_id" and "1 to 32 " in p.rule for p in caught.value.problems)


def test_a_bank_code_that_is_not_the_ibans_is_refused_naming_both(oman: PolicyPack) -> None:
    """An Omani IBAN carries its bank's code (characters 5 to 7): a payment file names the bank by
    both, so a bank code beside it that differs would send the money to another bank."""
    iban = "OM810180000001299123456"  # bank 018
    rows = [{**HEAD, "person_id": "12345678", "iban": iban, "bank_code": code} for code in ("018", "019")]
    frame = people_frame(rows[:1])
    validate_table(frame, oman.registry, source="registry")  # the IBAN's own bank: accepted
    with pytest.raises(InputTableError) as caught:
        validate_table(people_frame(rows[1:]), oman.registry, source="registry")
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (1, "bank_code", "019")
    assert problem.rule == f"does not match iban {iban}, whose characters 5 to 7 are 018"


def test_a_bank_code_without_an_iban_is_refused(oman: PolicyPack) -> None:
    """A bank code alone is no account: refused, not dropped (with the account on record ended)."""
    frame = people_frame([{**HEAD, "person_id": "12345678", "bank_code": "019"}])
    with pytest.raises(InputTableError) as caught:
        validate_table(frame, oman.registry, source="registry")
    (problem,) = caught.value.problems
    assert (problem.column, problem.value) == ("bank_code", "019")
    assert problem.rule == "is given without iban: give the iban it is part of, or neither"
