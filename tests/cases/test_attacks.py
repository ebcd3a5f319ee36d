"""Attacks on the case actions (issue 13, an outside attack), kept as tests on both databases: a case
given to a machine or to another branch's user, the answer that would tell user names apart, and
form dates no application has."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from himaya.cases import actions
from himaya.cases.model import NewCase
from himaya.core.access import Role, Scope
from himaya.core.errors import InvalidInputError
from himaya.db import access
from himaya.policy.packs import load_pack
from tests.cases.conftest import Branches, user

CATALOGUE = load_pack().cases
DAY = date(2026, 1, 7)


def _case(b: Branches, *, category: str = "data_error") -> str:
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", b.here["wilayat"]),))
    request = NewCase("grievance", "branch", b.here["person_id"], category=category, form={"details": "x"})
    if category == "staff_conduct":
        wafa = user("salim", Role.SUPERVISOR, scopes=(Scope("all"),))
    return actions.open_case(b.uow(), CATALOGUE, request, principal=wafa, today=DAY).number


def test_a_case_goes_only_to_a_human_who_works_the_cases_of_its_branch(branches: Branches) -> None:
    engine, here, there = branches.engine, branches.here, branches.there
    for name, kind, roles, scope in (
        ("crvs", "client", ["civil_registry"], Scope("all")),
        ("dci", "client", ["partner"], Scope("all")),
        ("omar", "person", ["case_worker"], Scope("wilayat", there["wilayat"])),
        ("aisha", "person", ["finance_officer"], Scope("all")),  # no case.work
        ("gone", "person", ["case_worker"], Scope("all")),
        ("huda", "person", ["supervisor"], Scope("governorate", here["governorate"])),
    ):
        access.create_user(engine, name, "not-a-hash", kind=kind, actor="setup", roles=roles, scopes=[scope])
    access.set_active(engine, "gone", False, actor="setup")
    number, sensitive = _case(branches), _case(branches, category="staff_conduct")
    worker = user("salim", Role.SUPERVISOR, scopes=(Scope("all"),))
    answers = {}
    for name, case in (("crvs", number), ("dci", number), ("omar", number), ("aisha", number), ("gone", number),
                       ("no-such-user", number), ("wafa", sensitive)):  # fmt: skip
        with pytest.raises(InvalidInputError) as refused:
            actions.assign(branches.uow(), case, name, expected_version=1, principal=worker)
        answers[name] = str(refused.value).replace(repr(name), "?")
    plain = {k: v for k, v in answers.items() if k != "wafa"}
    assert len(set(plain.values())) == 1, plain  # an unknown name and a refused one answer alike
    assert "sees sensitive cases" in answers["wafa"]
    assert [r["assigned_to"] for r in branches.rows("case_file")] == [None, None]
    assert actions.assign(branches.uow(), number, "wafa", expected_version=1, principal=worker) == 2
    assert actions.assign(branches.uow(), sensitive, "huda", expected_version=1, principal=worker) == 2


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("applied_on", "2099-01-05", "form field applied_on: 2099-01-05 is after today (2026-01-07)"),
        ("applied_on", str(DAY + timedelta(days=1)), "is after today"),
        ("applied_on", "1800-01-05", "form field applied_on: 1800-01-05 is before 1900-01-01"),
    ],
)
def test_an_application_dated_in_the_future_or_long_ago_is_refused(
    branches: Branches, field: str, value: str, said: str
) -> None:
    form = {"programme": "disability", "applied_on": "2026-01-05", "disability_card": "true", "evidence": "card"}
    request = NewCase("application", "branch", branches.here["person_id"], form={**form, field: value})
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", branches.here["wilayat"]),))
    with pytest.raises(InvalidInputError, match=re.escape(said)):
        actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    changed = {"change": "address", "wilayat": "Nizwa", "effective_from": "1850-03-01", "evidence": "lease"}
    change = NewCase("change_request", "branch", branches.here["person_id"], form=changed)
    with pytest.raises(InvalidInputError, match="form field effective_from: 1850-03-01 is before"):
        actions.open_case(branches.uow(), CATALOGUE, change, principal=wafa, today=DAY)
    assert branches.rows("case_file") == []
