"""The explanation a citizen can follow: every benefit of the Oman pack on real cases, the arithmetic
written out, Arabic with no Latin letter, number agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from himaya.bootstrap import load_people
from himaya.core.periods import Period
from himaya.policy.explain import explain, explain_families, render
from himaya.policy.pack import PolicyPack
from himaya.policy.statement import (
    Statement,
    members_counted,
    members_of,
    render_statement,
    statement,
    statement_json,
)
from himaya.synth.generate import SynthRequest, generate

EXAMPLES = Path(__file__).parents[2] / "src/himaya/policy/packs/oman/examples/people.csv"
JANUARY = Period(2026, 1)
LATIN = re.compile(r"[A-Za-z]")
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def examples(oman: PolicyPack) -> dict[str, Statement]:
    people = load_people(EXAMPLES, oman)
    return {
        family: statement(explanation)
        for family, explanation in explain_families(people, oman, oman.parameters, JANUARY).items()
    }


def _texts(result: Statement, language: str) -> list[str]:
    words = [result.title.ar if language == "ar" else result.title.en]
    for section in result.sections:
        words.append(section.title.ar if language == "ar" else section.title.en)
        words += [line.text.ar if language == "ar" else line.text.en for line in section.lines]
    return words


def test_every_benefit_of_the_pack_is_explained_on_the_examples(examples: dict[str, Statement]) -> None:
    paid = {s.programme for r in examples.values() for s in r.sections if s.amount}
    assert paid == {"child", "elderly", "disability", "orphan", "widow", "family_income_support"}
    for result in examples.values():
        assert sum(s.amount or 0 for s in result.sections) == result.total


def test_the_arabic_has_no_latin_letter_and_the_english_no_arabic(examples: dict[str, Statement]) -> None:
    for result in examples.values():
        for text in _texts(result, "ar"):
            assert not LATIN.search(text), text
        for text in _texts(result, "en"):
            assert not ARABIC.search(text), text
        assert not LATIN.search(render_statement(result, "ar"))


def test_the_widows_family_support_is_worked_out(examples: dict[str, Statement]) -> None:
    support = next(s for s in examples["F006"].sections if s.programme == "family_income_support")
    arithmetic = [line for line in support.lines if line.kind == "arithmetic"]
    assert [line.text.ar for line in arithmetic] == [
        "الحد المستهدف: المبلغ لفرد واحد 115.000 × الجذر التربيعي لعدد الأفراد المحتسبين (2) = 162.635",
        "مبلغ الدعم: الحد المستهدف 162.635 − الدخل المحتسب 80.000 = 82.635",
    ]
    assert arithmetic[-1].text.en == "the support: the target 162.635 − the income counted 80.000 = 82.635"
    assert arithmetic[-1].amount == support.amount == 82_635
    excluded = [line for line in support.lines if line.kind == "excluded"]
    assert [(line.amount, "النفقة" in line.text.ar, "alimony" in line.text.en) for line in excluded] == [
        (50_000, True, True)
    ]
    assert any(line.text.ar == "أفراد الأسرة المحتسبون: فردان" for line in support.lines)
    assert any(line.kind == "reference" and "المواد 39" in line.text.ar for line in support.lines)


def test_a_topped_up_pension_and_a_childs_excluded_survivor_pension(examples: dict[str, Statement]) -> None:
    family = examples["F002"]
    orphan = next(s for s in family.sections if s.programme == "orphan")
    assert [line.text.ar for line in orphan.lines if line.kind == "arithmetic"] == [
        "مبلغ المنفعة: الحد الأعلى 80.000 − معاش المستحقين 22.500 = 57.500"
    ]
    support = next(s for s in family.sections if s.programme == "family_income_support")
    assert [line.amount for line in support.lines if line.kind == "excluded"] == [22_500, 22_500]
    arithmetic = [line.text.ar for line in support.lines if line.kind == "arithmetic"]
    assert arithmetic[-1].endswith("= 0.000 (لا يقل عن صفر)")
    assert support.lines[-1].kind == "reference"


@pytest.mark.parametrize(
    ("n", "ar", "en"),
    [
        (1, "فرد واحد", "1 member"),
        (2, "فردان", "2 members"),
        (3, "3 أفراد", "3 members"),
        (10, "10 أفراد", "10 members"),
        (11, "11 فرداً", "11 members"),
        (99, "99 فرداً", "99 members"),
        (100, "100 فرد", "100 members"),
    ],
)
def test_members_are_counted_with_agreement(n: int, ar: str, en: str) -> None:
    assert (members_counted(n, "ar"), members_counted(n, "en")) == (ar, en)


def test_synthetic_families_named_in_arabic(oman: PolicyPack) -> None:
    """On a synthetic population (with names): the Arabic holds no Latin letter, every family with
    support has its arithmetic (unless capped), and the JSON's amounts are the sections'."""
    people = generate(SynthRequest(persons=800, seed=3)).people
    table = people.select(oman.schema.names)
    explained = explain_families(table, oman, oman.parameters, JANUARY)
    names = members_of(people)
    supported = 0
    for explanation in explained.values():
        result = statement(explanation, names)
        for text in _texts(result, "ar"):
            assert not LATIN.search(text), text
        support = [s for s in result.sections if s.programme == "family_income_support" and s.amount]
        for section in support:
            supported += 1
            assert any(line.kind == "arithmetic" and line.amount == section.amount for line in section.lines) or (
                section.amount == oman.parameters["fis.single_woman_cap"].value_at(JANUARY.start).value
            )
        document = statement_json(result, "ar")
        assert document["total_baisa"] == sum(s["amount_baisa"] or 0 for s in document["sections"])
    assert supported > 5


def test_one_person(oman: PolicyPack) -> None:
    people = load_people(EXAMPLES, oman)
    result = statement(explain(people, oman, oman.parameters, JANUARY, person_id="10000012"))
    assert {s.person_id for s in result.sections if s.programme != "family_income_support"} == {"10000012"}


def test_a_support_worked_out_at_zero_says_why(examples: dict[str, Statement], oman: PolicyPack) -> None:
    # Every condition holds and the income counted outweighs the target: a zero once came with no reason.
    support = next(s for s in examples["F002"].sections if s.programme == "family_income_support")
    assert support.amount == 0
    reason = support.lines[0]
    assert reason.kind == "condition"
    assert reason.text.en == "Not paid: the income counted 255.000 is not below the target 199.186"
    assert reason.text.ar == "لا تُصرف: الدخل المحتسب 255.000 لا يقل عن الحد المستهدف 199.186"
    plain = render(explain(load_people(EXAMPLES, oman), oman, oman.parameters, JANUARY, family_id="F002"), "en")
    assert "Family Income Support: not entitled\n    Not paid: the income counted 255.000 is not below" in plain
