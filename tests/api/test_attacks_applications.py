"""Attacks on an application's life over the API, on SQLite and PostgreSQL (the `world` fixture):
an application dated before its applicant was born (opened, then never approvable) or after today;
an override whose notice told the person the conditions were not met; facts written by an approval
that named the registry's import as their source; and facts no import would accept (an income of a
trillion rials, a card without its category) let in by an override."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db.case_tables import case_file, notification_outbox
from himaya.db.exception_tables import benefit_exception
from himaya.db.tables import income, person
from tests.adapters.pdf_text import pdf_text
from tests.api.conftest import World

APPLIED = "2026-11-02"


def _open(world: World, language: str = "ar", **form: Any) -> Any:
    body = {
        "type": "application",
        "civil_number": world.inside["person_id"],
        "language": language,
        "form": {"applied_on": APPLIED, "evidence": "papers"} | form,
    }
    return world.client.post("/cases", headers=world.headers("case_worker"), json=body)


def _prepared(world: World, language: str = "ar", **form: Any) -> str:
    """An application about the inside head, opened and prepared by the case worker (version 3)."""
    opened = _open(world, language, **form)
    assert opened.status_code == 201, opened.text
    number = str(opened.json()["number"])
    for version, state in ((1, "in_review"), (2, "prepared")):
        moved = world.client.post(
            f"/cases/{number}/decision", headers=world.headers("case_worker"), json={"version": version, "to": state}
        )
        assert moved.status_code == 200, moved.text
    return number


def _decide(world: World, number: str, **body: Any) -> Any:
    return world.client.post(
        f"/cases/{number}/decision", headers=world.headers("supervisor"), json={"version": 3, "reason": "seen"} | body
    )


def _holds() -> dict[str, str]:
    """An override's exception: its review month (three months from the service's today) and amount."""
    return {"override_until": str(Period.containing(today("Asia/Muscat")).shifted(3)), "override_amount": "130.000"}


def _cases(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(case_file)).scalar_one())


def _born(world: World) -> date:
    with world.engine.connect() as connection:
        return date.fromisoformat(
            str(
                connection.execute(
                    select(person.c.birth_date).where(person.c.civil_number == world.inside["person_id"])
                ).scalar_one()
            )
        )


def test_an_application_dated_before_its_applicant_was_born_is_refused_at_creation(world: World) -> None:
    """It was opened (201), and its approval then failed for ever: its facts cannot be dated before the birth."""
    before, born = _cases(world), _born(world)
    early = (born - timedelta(days=1)).isoformat()
    refused = _open(world, programme="disability", disability_category="visual", applied_on=early)
    assert refused.status_code == 422, refused.text
    message = refused.json()["error"]["message"]
    assert f"form field applied_on: {early} must not be before the applicant's birth date ({born})" in message
    assert _cases(world) == before
    # After today makes no sense either (refused as ever); the day of the birth itself is a day it may be made.
    tomorrow = (today("Asia/Muscat") + timedelta(days=1)).isoformat()
    future = _open(world, programme="disability", disability_category="visual", applied_on=tomorrow)
    assert future.status_code == 422 and "applied_on" in future.json()["error"]["message"], future.text
    assert _cases(world) == before
    assert (
        _open(world, programme="disability", disability_category="visual", applied_on=born.isoformat()).status_code
        == 201
    )


def _messages(world: World, number: str) -> list[str]:
    with world.engine.connect() as connection:
        key = select(case_file.c.id).where(case_file.c.number == number).scalar_subquery()
        return list(
            connection.execute(
                select(notification_outbox.c.body)
                .where(notification_outbox.c.case_id == key)
                .order_by(notification_outbox.c.id)
            ).scalars()
        )


def test_an_override_is_told_as_an_approval_by_override_never_as_conditions_not_met(
    world: World, tmp_path: Path
) -> None:
    """The decision's SMS said "approved" and "conditions not met" in one breath; it says the approval
    is a supervisor's override, recorded with the supervisor, in Arabic and in English (the letter too)."""
    said = {
        "en": ("approved by a supervisor's override of the eligibility rules", "recorded with the supervisor"),
        "ar": ("تمت الموافقة بقرار استثنائي من المشرف", "يتجاوز شروط الاستحقاق"),
    }
    never = ("conditions not met", "الشروط غير المستوفاة", "refused", "مرفوض")
    for language in ("en", "ar"):
        number = _prepared(world, language, programme="disability", disability_category="visual")  # no card
        overridden = _decide(world, number, to="approved", override="card renewal pending: minutes 7", **_holds())
        assert overridden.status_code == 200, overridden.text
        assert overridden.json()["rules"] | {"failed": None} == {
            "programme": "disability", "entitled": False, "amount": 0, "failed": None,
            "override": "card renewal pending: minutes 7", "by": "supervisor",
        }  # fmt: skip
        decision = _messages(world, number)[-1]
        assert all(s in decision for s in said[language]) and "(supervisor)" in decision, decision
        assert not [w for w in never if w in decision], decision
        letter = world.client.get(f"/cases/{number}/letter?lang={language}", headers=world.headers("supervisor"))
        assert letter.status_code == 200, letter.text
        text = " ".join(pdf_text(letter.content, tmp_path).split())
        assert {"en": "override", "ar": "استثنائي"}[language] in text and not [w for w in never if w in text], text
        with world.engine.begin() as connection:  # one exception per person and programme: the next language's
            connection.execute(delete(benefit_exception))
    # An override is an approval's: a refusal given one is refused, and so is one the rules do not need.
    number = _prepared(world, programme="disability", disability_category="visual")
    refusal = _decide(world, number, to="refused", override="because")
    assert refusal.status_code == 422 and "override" in refusal.json()["error"]["message"], refusal.text


def _incomes(world: World) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        key = select(person.c.id).where(person.c.civil_number == world.inside["person_id"]).scalar_subquery()
        rows = connection.execute(
            select(income.c.kind, income.c.monthly_amount, income.c.source, income.c.valid_from, income.c.valid_to)
            .where(income.c.person_id == key)
            .order_by(income.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def _approve(world: World, number: str) -> Any:
    """Approved, by the rules or else by the supervisor's override."""
    approved = _decide(world, number, to="approved")
    if approved.status_code == 409 and approved.json()["error"]["code"] == "conflict":
        approved = _decide(world, number, to="approved", override="minutes 9", **_holds())
    return approved


def test_the_facts_an_approval_writes_name_the_case_as_their_source(world: World) -> None:
    """The income an approved application wrote said `source: import` in the person's history."""
    number = _prepared(world, programme="family_income_support", monthly_income="123.456")
    approved = _approve(world, number)
    assert approved.status_code == 200, approved.text
    written = [r for r in _incomes(world) if r["kind"] == "other_income" and r["valid_to"] is None]
    assert [(r["monthly_amount"], r["source"], str(r["valid_from"])) for r in written] == [
        (123456, f"case {number}", APPLIED)
    ]
    history = world.client.get(f"/people/{world.inside['person_id']}", headers=world.headers("supervisor")).json()
    shown = [r for r in history["history"]["incomes"] if r["kind"] == "other_income" and r["valid_to"] is None]
    assert [r["source"] for r in shown] == [f"case {number}"]


def test_an_override_does_not_let_in_facts_no_import_would_accept(world: World) -> None:
    """An income of a trillion rials a month, and a card without its category, were written by an
    approval with an override; they are refused (422) naming the field and the rule, nothing written,
    and the application can still be refused: in Arabic, by the form field's Arabic label (the SMS
    once read `بيانات الطلب غير صالحة: other_income '999999999999.999': must be at most ...`). A card
    without its category is now refused when the application is opened, naming the field."""
    before = _cases(world)
    card = _open(world, programme="disability", disability_card=True)
    assert card.status_code == 422, card.text
    assert "form field disability_category: required for programme disability" in card.json()["error"]["message"]
    assert _cases(world) == before
    attacks = (
        ({"programme": "family_income_support", "monthly_income": "999999999999.999"}, "other_income",
         "must be at most 1000000.000", "form field monthly_income"),
    )  # fmt: skip
    for form, column, rule, field in attacks:
        number = _prepared(world, **form)
        incomes = _incomes(world)
        for override in (None, "minutes 10"):
            refused = _decide(world, number, to="approved", **({"override": override} | _holds() if override else {}))
            assert refused.status_code == 422, refused.text
            error = refused.json()["error"]
            assert error["fields"][0]["field"] == column and rule in error["message"], error
            assert field in error["fields"][0]["message"] and "even by override" in error["message"], error
        case = world.client.get(f"/cases/{number}", headers=world.headers("supervisor")).json()
        assert (case["state"], case["version"]) == ("prepared", 3) and _incomes(world) == incomes
        refusal = _decide(world, number, to="refused", reason="لم تثبت صحة الدخل المصرح به")  # the officer's words
        assert refusal.status_code == 200, refusal.text
        assert any(column in f["en"] for f in refusal.json()["rules"]["failed"]), refusal.json()
        arabic = [f["ar"] for f in refusal.json()["rules"]["failed"]]
        assert arabic == ["بيانات الطلب غير صالحة ولا يقبلها السجل: دخل الأسرة المصرح به (ريال عماني شهرياً)"], arabic
        sms = _messages(world, number)[-1].replace(number, "")
        assert "بيانات الطلب غير صالحة" in sms and not re.search("[A-Za-z_]", sms), sms
