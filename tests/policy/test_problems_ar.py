"""Every refusal of the people table has an Arabic sentence for the front office: each kind of bad
value of each column of each shipped pack is fed through the validator, and none may fall back to
the generic sentence or carry English words."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import himaya.policy.packs
from himaya.core.errors import InputTableError, Problem
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.problems_ar import GENERIC, in_arabic
from himaya.policy.schema import Column, Kind, TableSchema
from himaya.policy.table import validate_table

PACKS = Path(himaya.policy.packs.__file__).parent
# Latin that an Arabic sentence may hold: the shapes people type (OM, IBAN, YYYY-MM-DD, +968).
ALLOWED_LATIN = {"OM", "IQ", "IBAN", "YYYY", "MM", "DD"}  # an IBAN begins with its country's letters
OMANI_IBAN = "OM810180000001299123456"  # bank 018; ISO 13616 check digits hold


def _bad_values(column: Column, schema: TableSchema) -> list[str]:
    """Values that break `column`'s own rule, one per way of breaking it."""
    if column.kind in (Kind.PATTERN, Kind.IBAN):
        bad = ["<bad value>\u202e"]
        return [*bad, "OM000000000000000000000"] if column.kind is Kind.IBAN else bad
    if column.kind is Kind.CODE:
        return ["no such code"]
    if column.kind is Kind.COUNTRY:
        return ["om"]
    if column.kind is Kind.DATE:
        return ["2026-13-45"]
    if column.kind is Kind.BOOL:
        return ["maybe"]
    if column.kind is Kind.MONEY:
        currency = schema.money_currency
        most = [currency.format(column.maximum + currency.per_unit)] if column.maximum is not None else []
        return ["-5", "1.23456", "1.5" if currency.decimals == 0 else "1.5555", "abc", "9" * 14, *most]
    return []


def _problems(pack: PolicyPack) -> list[Problem]:
    schema = pack.registry
    example = pl.read_csv(PACKS / pack.name / "examples" / "people.csv", infer_schema=False)
    base = example.row(0, named=True) | {c: None for c in schema.names if c not in example.columns}
    rows = [dict(base, person_id=None)]  # a required value missing
    for column in schema.columns:
        for value in _bad_values(column, schema):
            rows.append(dict(base, **{column.name: value}))
    rows += [dict(base), dict(base, death_date="1900-01-01")]  # the same person again; death before birth
    rows += [dict(base, family_id="F-ALONE", relationship="child", person_id="87654321")]  # a family without head
    for rule in schema.part_of:  # a part that does not match its whole (a bank code beside its IBAN)
        rows.append(dict(base, person_id="87654322", **{rule.source: OMANI_IBAN, rule.column: "999"}))
        rows.append(dict(base, person_id="87654323", **{rule.source: None, rule.column: "999"}))
    table = pl.DataFrame(rows, schema={c: pl.String for c in rows[0]})
    with pytest.raises(InputTableError) as refused:
        validate_table(table, schema, source="bad values")
    return refused.value.problems


@pytest.mark.parametrize("name", ["oman", "iraq"])
def test_every_refusal_is_said_in_arabic(name: str) -> None:
    pack = load_pack(name)
    problems = _problems(pack)
    kinds = {p.kind or p.rule for p in problems}
    assert len(kinds) >= 12, kinds  # the test reaches the rules it is about
    for problem in problems:
        said = in_arabic(problem, pack.registry, codes=pack.code_names, labels={"birth_date": "تاريخ الميلاد"})
        assert said != GENERIC, f"no Arabic for {problem}"
        latin = set(re.findall(r"[A-Za-z]+", said)) - ALLOWED_LATIN
        assert not latin, f"English in the Arabic of {problem}: {said}"


def test_a_shape_of_the_pack_and_a_code_list_in_arabic() -> None:
    pack = load_pack("oman")
    problem = Problem(1, "person_id", "0123", pack.registry.column("person_id").rule)
    assert in_arabic(problem, pack.registry) == "يجب أن يكون رقمًا مدنيًا من 8 أرقام لا يبدأ بصفر."
    unknown = Problem(1, "nowhere", "x", "a rule nobody taught this module")
    assert in_arabic(unknown, pack.registry) == GENERIC
