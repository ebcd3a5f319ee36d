"""Attacks on branch scope and on the registry's input (issue 12, items 1, 3, 5, 11, 12, 13), kept as tests:
a registrar of one branch probing another's records, places that disagree, absurd values, and
dates that would freeze a record. On SQLite and PostgreSQL (the `world` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.db import access
from himaya.db.tables import audit_entry, person
from himaya.policy.packs import load_pack
from tests.api.conftest import PASSWORD, World

PLACES = load_pack().places
UNKNOWN = "91234567"


def _record(world: World, civil: str, family: str, relationship: str = "other", **extra: Any) -> dict[str, Any]:
    return {
        "person_id": civil,
        "family_id": family,
        "relationship": relationship,
        "sex": "F",
        "birth_date": "1990-05-01",
        "nationality": "OM",
        "resident": True,
        "marital_status": "married",
        "given_name_en": "Muna",
        "family_name_en": "Al Hinai",
        "wilayat": world.inside["wilayat"],
        **extra,
    }


def _error(response: Any, *secrets: str) -> tuple[int, str, str]:
    """A refusal as the caller sees it, with the values they gave blanked out."""
    error = response.json()["error"]
    message = error["message"]
    for secret in secrets:
        message = message.replace(secret, "?")
    return response.status_code, error["code"], message


def _people(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(person)).scalar_one())


@contextmanager
def _statements(world: World) -> Iterator[list[str]]:
    """The SQL statements the service runs meanwhile (their text, not their values)."""
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(world.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(world.engine, "before_cursor_execute", listen)


def _elsewhere(world: World) -> str:
    """A wilayat of another governorate than the registrar's."""
    return next(w for w, g in PLACES.items() if g != world.inside["governorate"])


def test_a_civil_number_of_another_branch_is_answered_as_an_unknown_one(world: World) -> None:
    headers, before = world.headers("registrar"), _people(world)
    family = world.inside["family_id"]
    # Invalid input is refused before any look-up: the same 422 for a number held elsewhere and an unknown one.
    bad = {
        civil: world.client.post("/people", headers=headers, json={"record": _record(world, civil, family, sex="X")})
        for civil in (world.outside["person_id"], UNKNOWN)
    }
    answers = {_error(r, c) for c, r in bad.items()}
    assert len(answers) == 1 and answers.pop()[:2] == (422, "invalid_input")
    # A number registered already, in this branch or another: one refusal, saying nothing of where.
    taken = {
        civil: world.client.post("/people", headers=headers, json={"record": _record(world, civil, family)})
        for civil in (world.outside["person_id"], world.inside["person_id"])
    }
    answers = {_error(r, c) for c, r in taken.items()}
    assert len(answers) == 1 and answers.pop()[:2] == (409, "conflict")
    assert ("probe", world.outside["person_id"]) in [(a, c) for c in taken for a, _ in _entries(world, f"person:{c}")]
    # Another branch's family number is answered as an unknown one (a non-head cannot found a family).
    refused = {
        number: world.client.post("/people", headers=headers, json={"record": _record(world, UNKNOWN, number)})
        for number in (world.outside["family_id"], "F91234567")
    }
    answers = {_error(r, n) for n, r in refused.items()}
    assert len(answers) == 1 and answers.pop()[:2] == (403, "forbidden")
    assert _people(world) == before


def test_probing_another_branch_runs_the_same_statements_as_an_unknown_number(world: World) -> None:
    headers = world.headers("registrar")
    runs = {}
    for civil in (world.outside["person_id"], UNKNOWN):
        with _statements(world) as seen:
            world.client.get(f"/people/{civil}", headers=headers)
            record = _record(world, civil, world.outside["family_id"])
            world.client.post("/people", headers=headers, json={"record": record})
        runs[civil] = seen
    assert runs[world.outside["person_id"]] == runs[UNKNOWN]


def test_a_place_is_one_wilayat_and_its_governorate_follows(world: World) -> None:
    headers = world.headers("registrar")
    muttrah_in_dakhiliyah = _record(
        world, "91234568", "F91234568", "head", wilayat="Muttrah", governorate=world.inside["governorate"]
    )
    response = world.client.post("/people", headers=headers, json={"record": muttrah_in_dakhiliyah})
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "governorate"
    head = world.client.post(
        "/people", headers=headers, json={"record": _record(world, "91234569", "F91234569", "head")}
    )
    assert head.status_code == 201, head.text
    shown = world.client.get("/people/91234569", headers=headers).json()["person"]
    assert shown["governorate"] == PLACES[world.inside["wilayat"]]
    # A governorate that is not the wilayat's is refused; moving the family out needs both branches.
    elsewhere = _elsewhere(world)
    for changes in ({"governorate": PLACES[elsewhere]}, {"wilayat": elsewhere}):
        response = world.client.patch(
            "/people/91234569", headers=headers, json={"version": shown["version"], "changes": changes}
        )
        assert response.status_code in (422, 403), response.text
    assert world.client.get("/people/91234569", headers=world.headers("other_registrar")).status_code == 404
    access.create_user(world.engine, "both_branches", hash_password(PASSWORD), actor="setup")
    scopes = [Scope("wilayat", world.inside["wilayat"]), Scope("wilayat", elsewhere)]
    access.grant(world.engine, "both_branches", roles=["registrar"], scopes=scopes, actor="setup")
    token = world.login("both_branches")["access_token"]
    moved = world.client.patch(
        "/people/91234569",
        headers={"Authorization": f"Bearer {token}"},
        json={"version": shown["version"], "changes": {"wilayat": elsewhere}},
    )
    assert moved.status_code == 200, moved.text
    with world.engine.connect() as connection:
        entry = connection.execute(
            select(audit_entry.c.before, audit_entry.c.after).where(
                audit_entry.c.action == "family.move", audit_entry.c.subject == "family:F91234569"
            )
        ).one()
    assert '"governorate"' in str(entry.after) and elsewhere in str(entry.after)
    assert world.client.get("/people/91234569", headers=headers).status_code == 404


def _entries(world: World, subject: str) -> list[tuple[str, str]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.action, audit_entry.c.after).where(audit_entry.c.subject == subject)
        ).all()
    return [(r.action, str(r.after)) for r in rows]


def test_every_write_and_read_names_its_records_and_probes_are_audited(world: World) -> None:
    headers = world.headers("registrar")
    record = _record(world, "91234570", "F91234570", "head")
    assert world.client.post("/people", headers=headers, json={"record": record}).status_code == 201
    assert any(a == "person.create" for a, _ in _entries(world, "person:91234570"))
    assert any(a == "family.create" for a, _ in _entries(world, "family:F91234570"))
    members = world.client.get(f"/families/{world.inside['family_id']}", headers=headers)
    assert members.status_code == 200
    read = _entries(world, f"family:{world.inside['family_id']}")
    assert any(world.inside["person_id"] in after for a, after in read if a == "read")
    for civil in (world.outside["person_id"], "91234571"):
        assert world.client.get(f"/people/{civil}", headers=headers).status_code == 404
        changed = world.client.patch(
            f"/people/{civil}", headers=headers, json={"version": 1, "changes": {"mobile": "+96891234567"}}
        )
        assert changed.status_code == 404
        assert len(_entries(world, f"person:{civil}")) >= 2, civil
    assert world.client.get(f"/families/{world.outside['family_id']}", headers=headers).status_code == 404
    assert any("false" in after.lower() for _, after in _entries(world, f"family:{world.outside['family_id']}"))


@pytest.mark.parametrize("version", [2**31, 2**63, 2**64 + 1])
def test_an_absurd_version_is_refused_not_a_server_error(world: World, version: int) -> None:
    civil, headers = world.inside["person_id"], world.headers("registrar")
    patched = world.client.patch(
        f"/people/{civil}", headers=headers, json={"version": version, "changes": {"mobile": "+96891234567"}}
    )
    incomes = world.client.put(f"/people/{civil}/incomes", headers=headers, json={"version": version, "wage": "1"})
    assert (patched.status_code, incomes.status_code) == (422, 422)


ABSURD = [
    {"mobile": "<script>alert(1)</script>"},
    {"mobile": "+9689123456789012345"},
    {"given_name_en": "A" * 100_000},
    {"given_name_en": ""},
    {"family_name_ar": None},
    {"given_name_en": "\u202eanuM"},
    {"given_name_ar": "منى\u200f"},
    {"death_date": "0001-01-01"},
    {"death_date": "9999-12-31"},
    {"wilayat": "Atlantis"},
]


@pytest.mark.parametrize("changes", ABSURD, ids=[str(i) for i in range(len(ABSURD))])
def test_a_change_is_validated_like_an_import(world: World, changes: dict[str, Any]) -> None:
    civil, headers = world.inside["person_id"], world.headers("registrar")
    version = world.client.get(f"/people/{civil}", headers=headers).json()["person"]["version"]
    response = world.client.patch(f"/people/{civil}", headers=headers, json={"version": version, "changes": changes})
    assert response.status_code == 422, response.text
    assert world.client.get(f"/people/{civil}", headers=headers).json()["person"]["version"] == version


@pytest.mark.parametrize(
    "extra",
    [
        {"mobile": "<script>alert(1)</script>"},
        {"given_name_en": "A" * 100_000},
        {"given_name_en": " "},
        {"family_name_en": "Al\u202eHinai"},
        {"birth_date": "9999-12-31"},
        {"birth_date": "0001-01-01"},
        {"death_date": "9999-12-31"},
    ],
    ids=[str(i) for i in range(7)],
)
def test_a_registration_is_validated_like_an_import(world: World, extra: dict[str, Any]) -> None:
    before = _people(world)
    record = _record(world, "91234572", world.inside["family_id"], **extra)
    response = world.client.post("/people", headers=world.headers("registrar"), json={"record": record})
    assert response.status_code == 422, response.text
    assert _people(world) == before


def test_a_far_future_effective_date_cannot_freeze_a_record(world: World) -> None:
    headers, civil = world.headers("registrar"), world.inside["person_id"]
    record = _record(world, "91234573", world.inside["family_id"])
    response = world.client.post("/people", headers=headers, json={"record": record, "valid_from": "9999-12-31"})
    assert response.status_code == 422
    version = world.client.get(f"/people/{civil}", headers=headers).json()["person"]["version"]
    for valid_from in ("9999-12-31", (today("Asia/Muscat") + timedelta(days=400)).isoformat(), "1900-01-01"):
        frozen = world.client.put(
            f"/people/{civil}/incomes",
            headers=headers,
            json={"version": version, "wage": "300", "valid_from": valid_from},
        )
        assert frozen.status_code == 422, (valid_from, frozen.text)
    later = world.client.put(f"/people/{civil}/incomes", headers=headers, json={"version": version, "wage": "300"})
    assert later.status_code == 200, later.text
