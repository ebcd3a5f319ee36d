"""What branch staff and the finance department do through the API, the audit trail it leaves,
and what bad input and injection attempts get."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from himaya import bootstrap
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access, audit
from himaya.db.tables import audit_entry
from tests.api.conftest import PASSWORD, World


def _family_record(world: World, civil: str, family: str, relationship: str, **extra: Any) -> dict[str, Any]:
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
        "given_name_ar": "منى",
        "family_name_ar": "الهنائي",
        "governorate": world.inside["governorate"],
        "wilayat": world.inside["wilayat"],
        **extra,
    }


def test_register_a_person_then_record_their_facts(world: World) -> None:
    headers = world.headers("registrar")
    record = _family_record(world, "90000001", world.inside["family_id"], "other")
    created = world.client.post("/people", headers=headers, json={"record": record, "valid_from": "2026-01-01"})
    assert created.status_code == 201, created.text
    assert created.json()["created"] == 1
    again = world.client.post("/people", headers=headers, json={"record": record})
    assert again.status_code == 409
    person = world.client.get("/people/90000001", headers=headers).json()["person"]
    version = person["version"]
    assessed = world.client.put(
        "/people/90000001/assessment",
        headers=headers,
        json={
            "version": version,
            "disability_category": "physical",
            "disability_card": True,
            "valid_from": "2026-02-01",
        },
    )
    assert assessed.status_code == 200, assessed.text
    version = assessed.json()["version"]
    paid_into = world.client.put(
        "/people/90000001/bank-account",
        headers=headers,
        json={"version": version, "iban": "OM81018000000129912345x", "valid_from": "2026-02-01"},
    )
    assert paid_into.status_code == 422  # not an IBAN: the registry contract refuses it, naming the field
    assert paid_into.json()["error"]["fields"][0]["field"] == "iban"
    history = world.client.get("/people/90000001", headers=headers).json()["history"]
    assert history["disability"][0]["category"] == "physical"
    assert history["disability"][0]["valid_from"] == "2026-02-01"


def test_a_new_family_must_be_in_the_registrars_branch(world: World) -> None:
    elsewhere = _family_record(
        world,
        "90000002",
        "F90000002",
        "head",
        governorate=world.outside["governorate"],
        wilayat=world.outside["wilayat"],
    )
    response = world.client.post("/people", headers=world.headers("registrar"), json={"record": elsewhere})
    assert response.status_code == 403
    into_other_branch = _family_record(world, "90000003", world.outside["family_id"], "other")
    response = world.client.post("/people", headers=world.headers("registrar"), json={"record": into_other_branch})
    assert response.status_code == 403  # as for an unknown family number (tests/api/test_attacks_scope.py)


def test_bad_input_names_the_field(world: World) -> None:
    headers = world.headers("registrar")
    record = _family_record(world, "90000004", world.inside["family_id"], "other", birth_date="1990-13-45")
    response = world.client.post("/people", headers=headers, json={"record": record})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "birth_date"
    response = world.client.post("/people", headers=headers, json={"record": {**record, "shoe_size": 42}})
    assert response.status_code == 422 and "shoe_size" in response.json()["error"]["message"]
    response = world.client.patch(
        f"/people/{world.inside['person_id']}", headers=headers, json={"version": 1, "changes": {"sex": "M"}}
    )
    assert response.status_code == 422 and "sex" in response.json()["error"]["message"]
    response = world.client.patch(f"/people/{world.inside['person_id']}", headers=headers, json={"changes": {}})
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "body.version"
    response = world.client.get("/families/F1/entitlements?period=2026-13", headers=headers)
    assert response.status_code == 422


def test_two_officers_changing_one_record_lose_no_update(world: World) -> None:
    headers = world.headers("registrar")
    civil = world.inside["person_id"]
    version = world.client.get(f"/people/{civil}", headers=headers).json()["person"]["version"]
    first = world.client.patch(
        f"/people/{civil}", headers=headers, json={"version": version, "changes": {"mobile": "+96891111111"}}
    )
    second = world.client.patch(
        f"/people/{civil}",
        headers=world.headers("supervisor"),
        json={"version": version, "changes": {"mobile": "+96892222222"}},
    )
    assert first.status_code == 200 and second.status_code == 409
    assert second.json()["error"]["code"] == "stale_record"
    assert world.client.get(f"/people/{civil}", headers=headers).json()["person"]["mobile"] == "+96891111111"


def test_reads_and_writes_are_audited_with_the_request_id(world: World) -> None:
    civil = world.inside["person_id"]
    response = world.client.get(
        f"/people/{civil}", headers={**world.headers("case_worker"), "X-Request-ID": "req-read-123"}
    )
    assert response.headers["X-Request-ID"] == "req-read-123"
    version = response.json()["person"]["version"]
    world.client.put(
        f"/people/{civil}/incomes",
        headers={**world.headers("case_worker"), "X-Request-ID": "req-write-456"},
        json={"version": version, "wage": "250.000"},
    )
    with world.engine.connect() as connection:
        entries = connection.execute(
            select(audit_entry.c.actor, audit_entry.c.action, audit_entry.c.subject, audit_entry.c.request_id).where(
                audit_entry.c.request_id.in_(["req-read-123", "req-write-456"])
            )
        ).all()
        verification = audit.verify(connection)
    assert ("case_worker", "read", f"person:{civil}", "req-read-123") in entries
    written = {(e.action, e.subject) for e in entries if e.request_id == "req-write-456"}
    assert ("person.incomes", f"person:{civil}") in written and ("person.update", f"person:{civil}") in written
    assert verification.intact
    report = world.client.get("/audit/verify", headers=world.headers("auditor")).json()
    assert (report["intact"] and report["entries"] == verification.entries) or report["entries"] > verification.entries


def test_forbidden_requests_change_nothing_and_leave_no_read_entry(world: World) -> None:
    with world.engine.connect() as connection:
        before = audit.verify(connection).entries
    civil = world.outside["person_id"]
    world.client.get(f"/people/{civil}", headers=world.headers("finance_officer"))  # no right to read people
    with world.engine.connect() as connection:
        assert audit.verify(connection).entries == before
    # A probe outside the branch is answered 404 and audited as a read that found nothing.
    assert world.client.get(f"/people/{civil}", headers=world.headers("registrar")).status_code == 404
    with world.engine.connect() as connection:
        assert audit.verify(connection).entries == before + 1


INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE person; --",
    '" OR ""="',
    "%",
    "_%_",
    "\\",
    "1 UNION SELECT civil_number FROM person",
    "F0%' OR 1=1 --",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "\u0000",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_every_search_field_find_nothing(world: World, text: str) -> None:
    headers = world.headers("registrar")
    for params in ({"name": text + "xx"}, {"family_number": text}, {"wilayat": text}):
        response = world.client.get("/people", headers=headers, params=params)
        assert response.status_code in (200, 422), (params, response.text)
        if response.status_code == 200:
            assert response.json()["people"] == [], params
    quoted = quote(text, safe="")
    for path in (f"/families/{quoted}", f"/people/{quoted}", f"/families/{quoted}/entitlements"):
        response = world.client.get(path, headers=headers)
        assert response.status_code in (404, 422), (path, response.text)
    search = world.client.post(
        "/registry/sync/search",
        headers=world.headers("partner"),
        json=_dci_predicate([{"attribute_name": "wilayat", "operator": "eq", "attribute_value": text}]),
    )
    if "\x00" in text:
        assert search.status_code == 422
    else:
        assert search.status_code == 200
        assert search.json()["message"]["search_response"][0]["data"]["reg_records"] == []
    with world.engine.connect() as connection:  # and the tables are all still there
        assert connection.execute(select(audit_entry.c.id).limit(1)).first() is not None


def _dci_predicate(expressions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "header": {
            "message_id": f"m-{uuid.uuid4().hex}",  # a message id is used once
            "message_ts": "2026-01-01T10:00:00+04:00",
            "action": "search",
            "sender_id": "partner",
            "total_count": 1,
        },
        "message": {
            "transaction_id": f"t-{uuid.uuid4().hex}",  # and a transaction id
            "search_request": [
                {
                    "reference_id": "r-2",
                    "timestamp": "2026-01-01T10:00:00+04:00",
                    "search_criteria": {
                        "query_type": "predicate",
                        "query": [{"seq_num": i, "expression1": e} for i, e in enumerate(expressions)],
                    },
                }
            ],
        },
    }


@pytest.mark.usefixtures("payer")
def test_payroll_maker_checker_over_the_api(world: World) -> None:
    finance, approver = world.headers("finance_officer"), world.headers("payroll_approver")
    access.create_user(world.engine, "national.supervisor", hash_password(PASSWORD), actor="test")
    access.grant(world.engine, "national.supervisor", roles=["supervisor"], scopes=[Scope("all")], actor="test")
    national = {"Authorization": f"Bearer {world.login('national.supervisor')['access_token']}"}
    enrolled = world.client.post("/enrollments/sync/2026-01", headers=national)
    assert enrolled.status_code == 200 and enrolled.json()["enrolled"] > 0
    assert enrolled.json()["decisions"] == enrolled.json()["ended"] == 0  # a first month ends nothing
    calculated = world.client.post("/payroll/2026-01/run", headers=finance)
    assert calculated.status_code == 200, calculated.text
    assert calculated.json()["state"] == "calculated"
    assert world.client.post("/payroll/2026-01/approve", headers=approver).status_code == 409  # not submitted
    assert world.client.post("/payroll/2026-01/submit", headers=finance).status_code == 200
    assert world.client.post("/payroll/2026-01/approve", headers=finance).status_code == 403  # no right
    # A user holding both roles still cannot approve what they submitted.
    access.grant(world.engine, "finance_officer", roles=["payroll_approver"], scopes=[Scope("all")], actor="admin")
    both = world.login("finance_officer")
    self_approval = world.client.post(
        "/payroll/2026-01/approve", headers={"Authorization": f"Bearer {both['access_token']}"}
    )
    assert self_approval.status_code == 403
    assert "maker-checker" in self_approval.json()["error"]["message"]
    assert world.client.post("/payroll/2026-01/run", headers=finance).status_code == 401  # its old token ended
    approved = world.client.post("/payroll/2026-01/approve", headers=approver)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    exporter = {"Authorization": f"Bearer {both['access_token']}"}
    configured = bootstrap.settings()
    for unset in (None, bootstrap.DEMO_PAYER.iban):  # no account, or the demonstration's: refused, nothing written
        bootstrap.configure(replace(configured, payer_iban=unset))
        refused = world.client.post("/payroll/2026-01/export", headers=exporter)
        assert refused.status_code == 422 and "set HIMAYA_PAYER_IBAN" in refused.json()["error"]["message"]
    bootstrap.configure(configured)
    exported = world.client.post("/payroll/2026-01/export", headers=exporter)
    assert exported.status_code == 200, exported.text
    assert exported.json()["files"]
    # A lost folder is written again, the same bytes; never beside files already there.
    folder = Path(exported.json()["folder"])
    first = {f.name: f.read_bytes() for f in folder.iterdir()}
    there = world.client.post("/payroll/2026-01/export/again", headers=exporter)
    assert there.status_code == 409 and "are on the server: nothing was written" in there.json()["error"]["message"]
    shutil.rmtree(folder)
    again = world.client.post("/payroll/2026-01/export/again", headers=world.headers("payroll_approver"))
    assert again.status_code == 403  # the right to export
    again = world.client.post("/payroll/2026-01/export/again", headers=exporter)
    assert again.status_code == 200 and again.json()["files"] == exported.json()["files"]
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == first
    report = world.client.get("/payroll/2026-01/report", headers=approver)
    assert report.status_code == 200 and report.json()["rows"]
    diff = world.client.get("/payroll/2026-01/diff", headers=world.headers("policy_analyst"))
    assert diff.status_code == 200
    assert all("person_id" not in row and row["ref"].startswith("anon-") for row in diff.json()["rows"])
