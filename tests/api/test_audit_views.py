"""What an auditor, who may not identify people, learns from `/audit` (issue 12, item 4), and who
may read the trail at all (item 2): each attack here succeeded before the masked views were fixed."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import polars as pl
import sqlalchemy as sa

from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access, audit
from himaya.db.people import merge_people
from himaya.db.tables import audit_entry
from tests.api.conftest import PASSWORD, World


def _entries(world: World, user: str, action: str) -> list[dict[str, object]]:
    response = world.client.get(f"/audit/entries?action={action}&limit=1000", headers=world.headers(user))
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


def test_a_searched_name_does_not_reach_the_auditor(world: World) -> None:
    name = str(world.inside["given_name_en"])
    found = world.client.get(f"/people?name={name}", headers=world.headers("case_worker"))
    assert found.status_code == 200 and found.json()["people"], found.text
    numbers = [p["civil_number"] for p in found.json()["people"]]
    reads = _entries(world, "auditor", "read")
    searches = [e for e in reads if e["subject"] == "people:search"]
    assert searches, "the search was audited"
    text = json.dumps(reads)
    assert name not in text
    assert not [n for n in numbers if n in text]
    assert searches[-1]["after"]["filters"]["name"] == "***"  # what was searched is told, not the words
    refs = searches[-1]["after"]["people"]
    assert refs and all(str(r).startswith("anon-") for r in refs)


def test_a_merge_entry_names_no_civil_number_to_the_auditor(world: World) -> None:
    members = world.people.filter(pl.col("family_id") == world.outside["family_id"])
    keep, drop = members["person_id"][0], members["person_id"][1]
    merge_people(world.engine, keep, drop, actor="registrar", as_of=date(2026, 1, 1))
    merges = _entries(world, "auditor", "person.merge")
    assert merges
    text = json.dumps(merges)
    assert keep not in text and drop not in text
    assert str(merges[-1]["before"]["merged"]).startswith("anon-")


def test_a_masked_civil_number_cannot_be_recovered_from_what_the_auditor_sees(world: World) -> None:
    """The attack: an entry's published hash is recomputed for every candidate civil number until
    one matches. Here the attacker is given the best case: the true civil number and the entry's
    true content; nothing they were shown may still match it."""
    civil = str(world.inside["person_id"])
    assert world.client.get(f"/people/{civil}", headers=world.headers("case_worker")).status_code == 200
    with world.engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_entry).where(audit_entry.c.subject == f"person:{civil}").order_by(audit_entry.c.id)
        ).mappings()
        truth = {r["id"]: dict(r) for r in rows}
    shown = {e["id"]: e for e in _entries(world, "auditor", "read") if e["id"] in truth}
    assert shown
    for number, entry in shown.items():
        row = truth[number]
        assert civil not in json.dumps(entry)
        assert entry["previous_hash"] is None
        content = [audit.utc_stamp(row["at"]), row["actor"], row["action"], f"person:{civil}"]
        content += [row["request_id"], row["before"], row["after"]]
        unkeyed = hashlib.sha256(json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        recomputed = {
            hashlib.sha256((row["previous_hash"] + unkeyed).encode()).hexdigest(),  # scheme 2
            audit.entry_hash(row["previous_hash"], *content, scheme=1),
        }
        assert entry["hash"] not in recomputed
        assert entry["subject"] != "person:" + civil
        for published in (entry["hash"], entry["subject"].removeprefix("person:anon-")):
            assert published is None or all(
                not h.startswith(str(published)) for h in (hashlib.sha256(civil.encode()).hexdigest(), unkeyed)
            )


def test_verify_names_no_civil_number_to_a_masked_user(world: World) -> None:
    civil = str(world.inside["person_id"])
    assert world.client.get(f"/people/{civil}", headers=world.headers("case_worker")).status_code == 200
    with world.engine.begin() as connection:
        target = connection.execute(
            sa.select(audit_entry.c.id, audit_entry.c.actor).where(audit_entry.c.subject == f"person:{civil}").limit(1)
        ).one()
        connection.execute(sa.update(audit_entry).where(audit_entry.c.id == target.id).values(actor="intruder"))
    try:
        report = world.client.get("/audit/verify", headers=world.headers("auditor"))
        assert report.status_code == 200
        body = report.json()
        assert not body["intact"]
        assert any(f"entry {target.id} (read person:anon-" in p for p in body["problems"]), body["problems"]
        assert civil not in report.text
    finally:
        with world.engine.begin() as connection:
            connection.execute(sa.update(audit_entry).where(audit_entry.c.id == target.id).values(actor=target.actor))
    assert world.client.get("/audit/verify", headers=world.headers("auditor")).json()["intact"]


def test_reading_the_trail_is_country_wide(world: World) -> None:
    """An auditor scoped to one wilayat would read entries about every branch: refused."""
    access.create_user(world.engine, "branch_auditor", hash_password(PASSWORD), actor="setup")
    access.grant(
        world.engine,
        "branch_auditor",
        roles=["auditor"],
        scopes=[Scope("wilayat", world.inside["wilayat"])],
        actor="setup",
    )
    token = world.login("branch_auditor")["access_token"]
    for path in ("/audit/entries", "/audit/verify"):
        refused = world.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403, refused.text
        assert "country-wide" in refused.json()["error"]["message"]
        assert world.client.get(path, headers=world.headers("auditor")).status_code == 200


def test_the_auditor_still_sees_who_was_granted_what(world: World) -> None:
    grants = _entries(world, "auditor", "user.grant")
    auditor = next(e for e in grants if e["subject"] == "user:auditor")
    assert auditor["after"] == {"roles": ["auditor"], "scopes": ["all"]}
