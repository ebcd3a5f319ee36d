"""Attacks on `/cases` and `/events` (issues 13 and 15, an outside attack), kept as tests: bodies a
lax parser would take, values no answer should echo whole, filters that match nothing silently, dates
no application has, assignees the case may not go to. On SQLite and PostgreSQL (the `world` fixture)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from himaya.db.case_tables import case_file
from tests.api.conftest import World

BIG = 900_000  # characters: under the body limit, far over anything an answer should repeat


def _open(world: World, body: dict[str, Any], user: str = "case_worker") -> Any:
    return world.client.post("/cases", headers=world.headers(user), json=body)


def _count(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(case_file)).scalar_one())


def _grievance(world: World, **form: Any) -> dict[str, Any]:
    return {"type": "grievance", "civil_number": world.inside["person_id"], "category": "data_error", "form": form}


def test_an_error_quotes_at_most_80_characters_of_a_bad_value(world: World) -> None:
    huge = "x" * BIG
    for response in (
        _open(world, {**_grievance(world, details="x"), "subject": huge}),  # the parser's refusal
        _open(world, {**_grievance(world, details="x"), "wilayat": huge}),
        _open(
            world,
            {"type": "application", "civil_number": world.inside["person_id"], "form": {"programme": huge[:1990]}},
        ),
        _open(world, {**_grievance(world, details="x"), "form": {huge: "1"}}),  # a key the caller chose
    ):
        assert response.status_code == 422, response.text[:300]
        assert len(response.text) < 4_000, response.text[:300]
        assert "x" * 81 not in response.text and "…" in response.text, response.text[:300]


def test_an_inbox_filter_that_names_nothing_is_refused_with_the_allowed_values(world: World) -> None:
    headers = world.headers("case_worker")
    for query, field, allowed in (
        ("state=bogus", "state", "received"),
        ("type=grievance&state=prepared", "state", "in_review"),  # a state of another type only
        ("type=bogus", "type", "grievance"),
        ("governorate=Atlantis", "governorate", world.inside["governorate"]),
        ("wilayat=Atlantis", "wilayat", "wilayat"),
    ):
        page = world.client.get(f"/cases?{query}", headers=headers)
        assert page.status_code == 422, (query, page.text)
        message = page.json()["error"]["message"]
        assert message.startswith(f"{field}:") and allowed in message, (query, message)
    for query in ("state=received", "type=grievance&state=in_review", f"governorate={world.inside['governorate']}"):
        assert world.client.get(f"/cases?{query}", headers=headers).status_code == 200, query


def test_a_lax_value_is_refused_not_coerced(world: World) -> None:
    before = _count(world)
    good = _grievance(world, details="x")
    for body, field in (
        ({**good, "sensitive": "yes"}, "body.sensitive"),
        ({**good, "sensitive": 1}, "body.sensitive"),
        ({**good, "civil_number": int(world.inside["person_id"])}, "body.civil_number"),
    ):
        response = _open(world, body)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == field, response.text
    assert _count(world) == before
    number, headers = world.inside["case_number"], world.headers("case_worker")
    for path, body in (
        ("assign", {"version": True, "to": "case_worker"}),
        ("assign", {"version": "1", "to": "case_worker"}),
        ("assign", {"version": 1.0, "to": "case_worker"}),
        ("decision", {"version": True, "to": "in_review"}),
        ("close", {"version": "1"}),
        ("notes", {"text": 5}),
    ):
        response = world.client.post(f"/cases/{number}/{path}", headers=headers, json=body)
        assert response.status_code == 422, (path, body, response.text)
    person, registrar = world.inside["person_id"], world.headers("registrar")
    for body in (
        {"version": True, "disability_category": None},
        {"version": 1, "disability_category": None, "disability_card": "yes"},
        {"version": 1, "disability_category": None, "valid_from": 1767225600},
    ):
        response = world.client.put(f"/people/{person}/assessment", headers=registrar, json=body)
        assert response.status_code == 422, (body, response.text)


def test_a_date_stays_iso_text(world: World) -> None:
    person, registrar = world.inside["person_id"], world.headers("registrar")
    bad = world.client.put(
        f"/people/{person}/assessment", headers=registrar, json={"version": 1, "disability_category": None,
                                                                  "valid_from": "2026-13-01"})  # fmt: skip
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text, bad.text
    stale = world.client.put(
        f"/people/{person}/assessment", headers=registrar, json={"version": 999, "disability_category": None,
                                                                  "valid_from": "2026-01-05"})  # fmt: skip
    assert stale.status_code == 409, stale.text  # the date was read: the refusal is the version's


def test_control_and_bidi_characters_are_refused_naming_the_field(world: World) -> None:
    before, number = _count(world), world.inside["case_number"]
    for body, field in (
        ({**_grievance(world, details="x"), "subject": "pay\x1b[2J"}, "subject"),
        (_grievance(world, details="refund \u202edenied"), "form field details"),
    ):
        response = _open(world, body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["message"].startswith(f"{field}: a control or bidi character (U+")
    note = world.client.post(f"/cases/{number}/notes", headers=world.headers("case_worker"), json={"text": "a\u2066b"})
    assert note.status_code == 422 and "text: a control or bidi character (U+2066 at character 2)" in note.text
    assert _count(world) == before
