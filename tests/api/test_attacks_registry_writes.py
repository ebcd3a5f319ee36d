"""Attacks on the registry's writes, from outside, on SQLite and PostgreSQL (the `world` fixture): a
registrar placing a person in a wilayat outside their branches, by registering them into a family of
theirs or by moving them there (the place written is checked, at both ends of a move: 403 and nothing
written); and a disability assessment holding a card without the category it was issued for (422,
naming the field and the rule, nothing written)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from himaya.db.tables import audit_entry, disability, person
from himaya.policy.packs import load_pack
from tests.api.conftest import World

PLACES = load_pack().places


def _neighbour(world: World) -> str:
    """Another wilayat of the registrar's governorate: outside a registrar of one wilayat, inside
    the supervisor's governorate."""
    return next(w for w, g in PLACES.items() if g == world.inside["governorate"] and w != world.inside["wilayat"])


def _far(world: World) -> str:
    """A wilayat of another governorate."""
    return next(w for w, g in PLACES.items() if g != world.inside["governorate"])


def _member(world: World, civil: str, **extra: Any) -> dict[str, Any]:
    """A record of a new member of the inside family (the registrar's branch)."""
    return {
        "person_id": civil, "family_id": world.inside["family_id"], "relationship": "other", "sex": "F",
        "birth_date": "1995-03-04", "nationality": "OM", "resident": True, "marital_status": "single",
        "given_name_en": "Salma", "family_name_en": "Al Abri", "wilayat": world.inside["wilayat"], **extra,
    }  # fmt: skip


def _count(world: World, table: Any, *where: Any) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _shown(world: World, civil: str, user: str = "supervisor") -> dict[str, Any]:
    response = world.client.get(f"/people/{civil}", headers=world.headers(user))
    assert response.status_code == 200, response.text
    return dict(response.json()["person"])


def test_a_member_cannot_be_registered_in_a_wilayat_outside_the_registrars_branches(world: World) -> None:
    """The family is the registrar's, the place written was not: `POST /people` answered 201 and put
    the person in another branch's wilayat."""
    headers = world.headers("registrar")
    for civil, wilayat in (("92000001", _neighbour(world)), ("92000002", _far(world))):
        before = _count(world, person)
        response = world.client.post(
            "/people", headers=headers, json={"record": _member(world, civil, wilayat=wilayat)}
        )
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "forbidden" and f"wilayat {wilayat}" in error["message"], error
        assert _count(world, person) == before
        assert _count(world, person, person.c.civil_number == civil) == 0
        assert _count(world, audit_entry, audit_entry.c.subject == f"person:{civil}") == 0
    # A head of a family of the branch cannot be registered elsewhere either, nor given only a governorate.
    head = _member(world, "92000003", relationship="head", family_id="F92000003", wilayat=None)
    refused = world.client.post(
        "/people", headers=headers, json={"record": head | {"governorate": world.inside["governorate"]}}
    )
    assert refused.status_code == 403, refused.text
    # Inside the branches, the same record is registered.
    done = world.client.post("/people", headers=headers, json={"record": _member(world, "92000004")})
    assert done.status_code == 201, done.text


def test_a_member_cannot_be_moved_out_of_the_registrars_branches(world: World) -> None:
    """`PATCH /people/{n}` checked the new place only for a family's head: a member moved anywhere."""
    headers = world.headers("registrar")
    civil = "92000011"
    assert world.client.post("/people", headers=headers, json={"record": _member(world, civil)}).status_code == 201
    for wilayat in (_neighbour(world), _far(world)):
        version = _shown(world, civil)["version"]
        moved = world.client.patch(
            f"/people/{civil}", headers=headers, json={"version": version, "changes": {"wilayat": wilayat}}
        )
        assert moved.status_code == 403, moved.text
        assert f"wilayat {wilayat}" in moved.json()["error"]["message"]
        after = _shown(world, civil)
        assert (after["wilayat"], after["version"]) == (world.inside["wilayat"], version)
    # The supervisor of the governorate moves them within it, not out of it.
    version = _shown(world, civil)["version"]
    supervisor = world.headers("supervisor")
    out = world.client.patch(
        f"/people/{civil}", headers=supervisor, json={"version": version, "changes": {"wilayat": _far(world)}}
    )
    assert out.status_code == 403, out.text
    within = world.client.patch(
        f"/people/{civil}", headers=supervisor, json={"version": version, "changes": {"wilayat": _neighbour(world)}}
    )
    assert within.status_code == 200, within.text


def test_a_member_living_outside_the_branches_is_not_moved_by_the_registrar(world: World) -> None:
    """The place left is checked too: a member the supervisor placed in a neighbouring wilayat is not
    moved by a registrar of one wilayat (neither back nor anywhere else); their name still is."""
    civil = "92000021"
    record = _member(world, civil, wilayat=_neighbour(world))
    assert world.client.post("/people", headers=world.headers("supervisor"), json={"record": record}).status_code == 201
    headers, version = world.headers("registrar"), _shown(world, civil)["version"]
    for wilayat in (world.inside["wilayat"], _far(world)):
        moved = world.client.patch(
            f"/people/{civil}", headers=headers, json={"version": version, "changes": {"wilayat": wilayat}}
        )
        assert moved.status_code == 403, moved.text
        assert f"wilayat {_neighbour(world)}" in moved.json()["error"]["message"]  # the place it would leave
    assert _shown(world, civil)["wilayat"] == _neighbour(world)
    renamed = world.client.patch(
        f"/people/{civil}", headers=headers, json={"version": version, "changes": {"given_name_en": "Salima"}}
    )
    assert renamed.status_code == 200, renamed.text


def _assessments(world: World, civil: str) -> list[tuple[Any, ...]]:
    key = select(person.c.id).where(person.c.civil_number == civil).scalar_subquery()
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(disability.c.category, disability.c.card, disability.c.valid_from, disability.c.valid_to)
            .where(disability.c.person_id == key)
            .order_by(disability.c.id)
        )
        return [tuple(r) for r in rows]


def test_an_assessment_with_a_card_but_no_category_is_refused(world: World) -> None:
    """`PUT /people/{n}/assessment` answered 200 to a card without the category it was issued for."""
    civil, headers = world.inside["person_id"], world.headers("case_worker")
    version, before = _shown(world, civil)["version"], _assessments(world, civil)
    body = {"version": version, "disability_category": None, "disability_card": True}
    refused = world.client.put(f"/people/{civil}/assessment", headers=headers, json=body)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_input" and error["fields"][0]["field"] == "disability_category", error
    assert "is required when disability_card is true" in error["message"], error
    assert _assessments(world, civil) == before and _shown(world, civil)["version"] == version
    # A category without a card, and none at all, are assessments.
    for category in ("visual", None):
        body = {"version": version, "disability_category": category, "disability_card": False}
        done = world.client.put(f"/people/{civil}/assessment", headers=headers, json=body)
        assert done.status_code == 200, done.text
        version = done.json()["version"]
