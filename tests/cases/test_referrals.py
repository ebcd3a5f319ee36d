"""The referral rules as Polars (`cases/referrals.py`), on people tables written by hand: who each of
the Oman pack's rules proposes, that nothing already held is proposed again, and how proposals are
numbered and placed. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.cases import referrals
from himaya.core.access import Principal, Scope
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack

JANUARY = Period(2026, 1)


def person(key: int, family: str, **values: Any) -> dict[str, Any]:
    return {
        "person_key": key, "person_id": f"{10_000_000 + key}", "family_id": family, "relationship": "head",
        "birth_date": date(1980, 6, 1), "death_date": None, "employed": True, "resident": True,
        "disability_category": None, "amount.disability": 0, "amount.elderly": 0, "amount.family_income_support": 0,
        **values,
    }  # fmt: skip


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={
            "person_key": pl.Int64, "person_id": pl.String, "family_id": pl.String, "relationship": pl.String,
            "birth_date": pl.Date, "death_date": pl.Date, "employed": pl.Boolean, "resident": pl.Boolean,
            "disability_category": pl.String, "amount.disability": pl.Int64, "amount.elderly": pl.Int64,
            "amount.family_income_support": pl.Int64,
        },
    )  # fmt: skip


def proposed(oman: PolicyPack, people: pl.DataFrame, before: pl.DataFrame | None = None) -> set[tuple[int, str]]:
    found = referrals.candidates(people, oman.services.monthly, JANUARY, before=before)
    return {(k, r) for k, r in found.select("person_key", "rule").iter_rows()}


def test_a_new_disability_beneficiary_is_proposed_a_rehabilitation_assessment(oman: PolicyPack) -> None:
    people = frame(
        person(1, "A", **{"amount.disability": 145_000, "disability_category": "physical"}),
        person(2, "B", **{"amount.disability": 145_000, "disability_category": "visual"}),
    )
    before = pl.DataFrame({"person_id": ["10000002"], "programme": ["disability"]})
    assert proposed(oman, people, before) == {(1, "new_disability_rehabilitation")}
    assert proposed(oman, people) == {(1, "new_disability_rehabilitation"), (2, "new_disability_rehabilitation")}
    other = pl.DataFrame({"person_id": ["10000001"], "programme": ["elderly"]})  # another programme's past
    assert (1, "new_disability_rehabilitation") in proposed(oman, people, other)


def test_an_elderly_beneficiary_living_alone_is_proposed_home_care(oman: PolicyPack) -> None:
    elderly = {"amount.elderly": 115_000, "birth_date": date(1950, 1, 1)}
    people = frame(
        person(1, "A", **elderly),  # alone
        person(2, "B", **elderly),
        person(3, "B", relationship="spouse"),  # not alone
        person(4, "C", **elderly),
        person(5, "C", relationship="spouse", death_date=date(2025, 3, 1)),  # alone since the spouse died
        person(6, "D", **elderly, death_date=date(2026, 1, 20)),  # died in the month: nothing proposed
        person(7, "E", birth_date=date(1950, 1, 1)),  # alone but not a beneficiary
    )
    assert proposed(oman, people) == {(1, "elderly_alone_home_care"), (4, "elderly_alone_home_care")}


def test_a_member_of_a_family_income_support_family_able_to_work_is_referred_to_labour(oman: PolicyPack) -> None:
    people = frame(
        person(1, "A", employed=False, **{"amount.family_income_support": 90_000}),  # the head: able
        person(2, "A", relationship="spouse", employed=True),  # works
        person(3, "A", relationship="child", employed=False, birth_date=date(2005, 2, 1)),  # 20: able
        person(4, "A", relationship="child", employed=False, birth_date=date(2008, 2, 1)),  # 17
        person(5, "A", relationship="other", employed=False, birth_date=date(1966, 1, 2)),  # 59 on 1 January
        person(6, "A", relationship="other", employed=False, birth_date=date(1966, 1, 1)),  # 60 that day
        person(7, "A", relationship="child", employed=False, disability_category="intellectual"),
        person(8, "A", relationship="child", employed=False, resident=False),
        person(9, "A", relationship="child", employed=None),  # not known to be out of work
        person(10, "B", employed=False),  # a family without the benefit
    )
    expected = {(k, "fis_member_able_to_work") for k in (1, 3, 5)}
    assert proposed(oman, people) == expected


def test_a_person_is_proposed_a_service_once_by_the_first_rule(oman: PolicyPack) -> None:
    people = frame(person(1, "A", **{"amount.disability": 1, "amount.elderly": 1, "birth_date": date(1950, 1, 1)}))
    found = referrals.candidates(people, oman.services.monthly, JANUARY)
    assert sorted(found["service"]) == ["home_care", "rehabilitation"]  # two services, each once
    doubled = referrals.candidates(people, [*oman.services.monthly, oman.services.monthly[1]], JANUARY)
    assert doubled.height == 2


def held(*rows: tuple[int, str, date, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"person_key": pl.Int64, "service": pl.String, "month": pl.Date, "open": pl.Boolean}, orient="row"
    )


def test_what_is_held_is_not_proposed_again(oman: PolicyPack) -> None:
    found = pl.DataFrame(
        {"person_key": [1, 2, 3, 4, 5], "service": ["home_care"] * 4 + ["job_placement"]}
        | {"rule": ["elderly_alone_home_care"] * 4 + ["fis_member_able_to_work"]}
    )
    have = held(
        (1, "home_care", date(2026, 1, 1), False),  # this month: never twice
        (2, "home_care", date(2025, 2, 1), False),  # 11 months ago, closed: within 12
        (3, "home_care", date(2025, 1, 1), False),  # 12 months ago, closed: again
        (4, "home_care", date(2020, 1, 1), True),  # still open
        (5, "job_placement", date(2025, 7, 1), False),  # 6 months ago (rule: again after 6)
        (3, "health", date(2026, 1, 1), True),  # another service
    )
    fresh = referrals.not_held(found, have, oman.services.monthly, JANUARY)
    assert sorted(fresh["person_key"]) == [3, 5]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20), st.sampled_from(["home_care", "rehabilitation"])), max_size=30))
def test_proposing_what_was_just_proposed_proposes_nothing(pairs: list[tuple[int, str]]) -> None:
    rule = {"home_care": "elderly_alone_home_care", "rehabilitation": "new_disability_rehabilitation"}
    rules = load_pack().services.monthly
    found = pl.DataFrame(
        {"person_key": [k for k, _ in pairs], "service": [s for _, s in pairs], "rule": [rule[s] for _, s in pairs]},
        schema={"person_key": pl.Int64, "service": pl.String, "rule": pl.String},
    ).unique()
    first = referrals.not_held(found, held(), rules, JANUARY)
    assert first.height == found.height
    written = held(*((k, s, JANUARY.start, True) for k, s in first.select("person_key", "service").iter_rows()))
    assert referrals.not_held(found, written, rules, JANUARY).height == 0
    closed = written.with_columns(pl.lit(False).alias("open"))
    assert referrals.not_held(found, closed, rules, JANUARY.shifted(11)).height == 0
    assert referrals.not_held(found, closed, rules, JANUARY.shifted(12)).height == found.height


def test_proposals_are_placed_numbered_and_kept_to_the_users_branches(oman: PolicyPack) -> None:
    found = pl.DataFrame(
        {
            "person_key": [2, 1, 3], "person_id": ["b", "a", "c"], "family_id": ["F", "F", "G"],
            "rule": ["elderly_alone_home_care", "fis_member_able_to_work", "elderly_alone_home_care"],
            "service": ["home_care", "job_placement", "home_care"], "wilayat": ["Nizwa", "Bahla", "Sur"],
            "governorate": ["Ad Dakhiliyah", "Ad Dakhiliyah", "South Ash Sharqiyah"],
        }
    )  # fmt: skip
    placed = referrals.with_providers(found, oman.services)
    assert dict(placed.select("person_key", "provider").iter_rows()) == {
        2: "mosd_home_care_nizwa",
        1: "mol_labour_ad_dakhiliyah",
        3: "mosd_home_care_sur",
    }
    kind = oman.cases.types["referral"]
    rows = referrals.case_rows(placed, oman.services.monthly, kind, year=2026, first=41, language="ar")
    assert rows["number"].to_list() == ["C-2026-000041", "C-2026-000042", "C-2026-000043"]
    assert rows["person_key"].to_list() == [1, 2, 3]  # numbered by person
    assert '"provider": "mol_labour_ad_dakhiliyah"' in rows["form"][0] and "وزارة" not in rows["form"][0]
    assert "التوظيف" in rows["form"][0] and rows["subject"][0].startswith("يُحال")
    nizwa = Principal("w", frozenset(), frozenset(), (Scope("wilayat", "Nizwa"),))
    dakhiliyah = Principal("s", frozenset(), frozenset(), (Scope("governorate", "Ad Dakhiliyah"),))
    everyone = Principal("a", frozenset(), frozenset(), (Scope("all"),))
    nobody = Principal("n", frozenset(), frozenset(), ())
    counts = [found.filter(referrals.in_scope(p)).height for p in (nizwa, dakhiliyah, everyone, nobody)]
    assert counts == [1, 2, 3, 0]


@pytest.mark.parametrize(("born", "age"), [(date(2008, 1, 1), 18), (date(2008, 1, 2), 17), (date(2004, 2, 29), 21)])
def test_ages_are_completed_years(born: date, age: int) -> None:
    got = pl.DataFrame({"birth_date": [born]}).select(referrals.age_on(date(2026, 1, 1)))
    assert got.item() == age


def test_the_month_before_is_read_for_the_new_rules_beneficiaries_only(oman: PolicyPack) -> None:
    people = frame(
        person(1, "A", **{"amount.disability": 1, "amount.family_income_support": 1}),
        person(2, "A", relationship="spouse"),
        person(3, "B", **{"amount.elderly": 1}),
    )
    rules = oman.services.monthly
    assert sorted(referrals.wanted_before(people, rules, families={"family_income_support"})) == ["10000001"]
    fis = replace(rules[2], new=True)  # a family programme: the whole family is read
    assert sorted(referrals.wanted_before(people, [fis], families={"family_income_support"})) == [
        "10000001",
        "10000002",
    ]
    assert referrals.wanted_before(people, rules[1:]).len() == 0  # no new rule: nothing read
