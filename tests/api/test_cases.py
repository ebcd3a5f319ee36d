"""`/cases` from the attacker's side, on both databases: another branch's case and a sensitive case
answer as missing ones and never show in lists; a case worker cannot decide; the preparer cannot
approve a payment; a stale version is a conflict; bad input is named and writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from himaya.db.case_tables import case_file
from tests.api.conftest import World


def _open(world: World, user: str, body: dict[str, Any]) -> Any:
    return world.client.post("/cases", headers=world.headers(user), json=body)


def _count(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(case_file)).scalar_one())


def test_a_sensitive_case_is_only_for_who_may_see_it(world: World) -> None:
    body = {"type": "grievance", "civil_number": world.inside["person_id"], "category": "staff_conduct"}
    opened = _open(world, "case_worker", {**body, "form": {"details": "rude at the counter"}})
    assert opened.status_code == 201 and opened.json()["sensitive"] is True
    number = opened.json()["number"]
    hidden = world.client.get(f"/cases/{number}", headers=world.headers("case_worker"))
    missing = world.client.get("/cases/C-2099-999999", headers=world.headers("case_worker"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(number, "?") == missing.json()["error"]["message"].replace(
        "C-2099-999999", "?"
    )
    assert number not in world.client.get("/cases?closed=true", headers=world.headers("case_worker")).text
    assert number not in world.client.get("/cases/overdue", headers=world.headers("registrar")).text
    seen = world.client.get(f"/cases/{number}", headers=world.headers("supervisor"))
    assert seen.status_code == 200 and seen.json()["sensitive"] and seen.json()["form"]["details"]
    assert number in world.client.get("/cases", headers=world.headers("supervisor")).text


def test_another_branch_cannot_read_or_work_a_case(world: World) -> None:
    number = world.inside["case_number"]
    other = world.headers("other_registrar")
    assert world.client.get(f"/cases/{number}", headers=other).status_code == 404
    assert number not in world.client.get("/cases", headers=other).text
    for path, body in (
        ("assign", {"version": 1, "to": "other_registrar"}),
        ("notes", {"text": "mine now"}),
        ("decision", {"version": 1, "to": "in_review"}),
        ("close", {"version": 1}),
    ):
        response = world.client.post(f"/cases/{number}/{path}", headers=other, json=body)
        assert response.status_code == 404, (path, response.text)
    theirs = {"type": "grievance", "civil_number": world.inside["person_id"], "category": "data_error"}
    assert _open(world, "other_registrar", {**theirs, "form": {"details": "x"}}).status_code == 404


def test_a_payment_decision_needs_the_decider_not_the_preparer(world: World) -> None:
    form = {
        "programme": "disability", "applied_on": "2026-01-05", "disability_category": "visual",
        "disability_card": True, "evidence": "card",
    }  # fmt: skip
    opened = _open(
        world, "case_worker", {"type": "application", "civil_number": world.inside["person_id"], "form": form}
    )
    assert opened.status_code == 201, opened.text
    number, path = opened.json()["number"], f"/cases/{opened.json()['number']}/decision"

    def step(user: str, body: dict[str, Any]) -> Any:
        return world.client.post(path, headers=world.headers(user), json=body)

    assert step("case_worker", {"version": 1, "to": "in_review"}).status_code == 200
    assert step("supervisor", {"version": 2, "to": "prepared"}).json()["state"] == "prepared"
    worker = step("case_worker", {"version": 3, "to": "approved", "reason": "ok"})
    assert worker.status_code == 403 and "case.decide" in worker.json()["error"]["message"]
    own = step("supervisor", {"version": 3, "to": "approved", "reason": "ok"})
    assert own.status_code == 403 and "maker-checker" in own.json()["error"]["message"]
    assign = {"version": 2, "to": "case_worker"}
    stale = world.client.post(f"/cases/{number}/assign", headers=world.headers("case_worker"), json=assign)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_record"
    shown = world.client.get(f"/cases/{number}", headers=world.headers("case_worker")).json()
    assert shown["state"] == "prepared" and shown["version"] == 3 and shown["prepared_by"] == "supervisor"
    assert [e["kind"] for e in shown["events"]] == ["opened", "moved", "moved"]
    assert shown["messages"][0]["language"] == "ar" and shown["moves"] == ["in_review", "approved", "refused"]


def test_bad_input_is_named_and_writes_nothing(world: World) -> None:
    before = _count(world)
    person = world.inside["person_id"]
    for body, said in (
        ({"type": "complaint", "civil_number": person}, "unknown case type 'complaint'"),
        ({"type": "grievance", "civil_number": person, "category": "data_error", "form": {"colour": "red"}}, "colour"),
        ({"type": "grievance", "civil_number": person, "category": "data_error", "form": {"amount": "-1"}}, "negative"),
        ({"type": "appeal", "civil_number": person, "form": {"notified_on": "2020-01-01"}}, "form field"),
        ({"type": "grievance", "channel": "anonymous", "category": "data_error", "form": {"details": "x"}}, "wilayat"),
    ):
        response = _open(world, "case_worker", body)
        assert response.status_code == 422 and said in response.json()["error"]["message"], response.text
    assert _open(world, "case_worker", {"type": "grievance", "extra": 1}).status_code == 422
    assert _count(world) == before
    page = world.client.get("/cases?type=complaint", headers=world.headers("case_worker"))
    assert page.status_code == 422 and "unknown case type" in page.text
