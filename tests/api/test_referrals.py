"""`/services` and `/referrals` on both databases: a case worker confirms a proposal with the person's
consent, and its provider's system accepts, starts and completes it; from the attacker's side, the
provider cannot see an unconsented referral, another provider (or a DCI partner) gets 404 or 403
exactly as for a missing one, a stale or undeclared move is a conflict, and staff cannot answer for
a provider. Every step and probe is audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.cases import proposals
from himaya.core.access import Role, Scope
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.api.conftest import KEY, PASSWORD, _url
from tests.cases.conftest import user


@dataclass
class Desk:
    client: TestClient
    engine: Engine
    case: dict[str, Any]  # a proposed referral: number, wilayat, provider, civil_number
    tokens: dict[str, str]

    def call(self, who: str | None, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, json=body)

    def rows(self, sql: str, **values: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(text(sql), values).mappings()]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("referrals")
    urls = _url(request.param, Path(tmp))
    engine = connect(next(urls))
    upgrade(engine)
    pack = load_pack()
    people = validate_table(
        for_file(generate(SynthRequest(persons=600, seed=21)).people, "parquet"), pack.registry, source="synthetic"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    proposals.propose(
        SqlUnitOfWork(engine), pack, Period(2026, 1), principal=user("setup", Role.SUPERVISOR), today=date(2026, 2, 4)
    )
    with engine.connect() as connection:
        case = dict(
            connection.execute(
                text(
                    "SELECT c.number, c.wilayat, c.civil_number, r.provider FROM case_file c JOIN referral r"
                    " ON r.case_id = c.id WHERE r.rule = 'elderly_alone_home_care' ORDER BY c.id"
                )
            )
            .mappings()
            .first()
            or {}
        )
    other_wilayat = next(w for w in pack.places if w != case["wilayat"])
    staff = {
        "wafa": (["case_worker"], [Scope("wilayat", case["wilayat"])]),
        "omar": (["case_worker"], [Scope("wilayat", other_wilayat)]),
        "salim": (["supervisor"], [Scope("all")]),
    }
    systems = {
        "mine": (["provider"], [Scope("provider", case["provider"])]),
        "other": (["provider"], [Scope("provider", "mosd_assistive_devices")]),
        "partner": (["partner"], [Scope("all")]),
    }
    for name, (roles, scopes) in {**staff, **systems}.items():
        kind = "client" if name in systems else "person"
        access.create_user(engine, name, hash_password(PASSWORD), kind=kind, actor="setup", roles=roles, scopes=scopes)
    client = TestClient(create_app(engine, tokens=TokenSettings(key=KEY), files=tmp / "files"))
    tokens = {}
    for name in staff:
        login = {"grant_type": "password", "username": name, "password": PASSWORD}
        tokens[name] = client.post("/auth/token", data=login).json()["access_token"]
    for name in systems:
        login = {"grant_type": "client_credentials", "client_id": name, "client_secret": PASSWORD}
        tokens[name] = client.post("/auth/token", data=login).json()["access_token"]
    yield Desk(client, engine, case, tokens)
    engine.dispose()
    for _ in urls:
        pass


def test_the_catalogue(desk: Desk) -> None:
    listed = desk.call("wafa", "GET", "/services?wilayat=Nizwa&body=mosd")
    assert listed.status_code == 200, listed.text
    keys = [p["key"] for p in listed.json()["providers"]]
    assert "mosd_home_care_nizwa" in keys and all(p["synthetic"] for p in listed.json()["providers"])
    assert {s["key"] for s in listed.json()["services"]} == {
        "home_care", "elderly_day_care", "rehabilitation", "assistive_devices"
    }  # fmt: skip
    unknown = desk.call("wafa", "GET", "/services?service=massage")
    assert unknown.status_code == 422 and "'massage' is not a service" in unknown.json()["error"]["message"]
    assert desk.call("mine", "GET", "/services").status_code == 403
    assert desk.call(None, "GET", "/services").status_code == 401


def test_consent_then_the_providers_answers(desk: Desk) -> None:
    number = desk.case["number"]
    path = f"/referrals/{number}"
    # Unconsented: its provider does not see it, cannot answer it, and it is in no list of theirs.
    hidden = desk.call("mine", "GET", path)
    missing = desk.call("mine", "GET", "/referrals/C-2099-999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(number, "?") == missing.json()["error"]["message"].replace(
        "C-2099-999999", "?"
    )
    assert desk.call("mine", "GET", "/referrals").json()["referrals"] == []
    answer = desk.call("mine", "POST", f"{path}/outcome", {"version": 1, "to": "accepted"})
    assert answer.status_code == 404
    # The case worker of another branch, a provider, a DCI partner: none may confirm it.
    consent = {"version": 1, "given_by": "the person", "channel": "phone"}
    assert desk.call("omar", "POST", f"{path}/consent", consent).status_code == 404
    assert desk.call("mine", "POST", f"{path}/consent", consent).status_code == 403
    assert desk.call("partner", "POST", f"{path}/consent", consent).status_code == 403
    for bad in (
        {"version": 1, "channel": "phone"},  # who consented: required
        {**consent, "channel": "pigeon"},
        {**consent, "at": "2026-01-10T09:30:00"},  # no zone
        {**consent, "version": "1"},  # strict: a number is a number
        {**consent, "copy_to": "x"},  # unknown fields refused
    ):
        assert desk.call("wafa", "POST", f"{path}/consent", bad).status_code == 422, bad
    future = desk.call("wafa", "POST", f"{path}/consent", {**consent, "at": "2099-01-01T00:00:00+04:00"})
    assert future.status_code == 422 and "in the future" in future.json()["error"]["message"]
    stale = desk.call("wafa", "POST", f"{path}/consent", {**consent, "version": 3})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_record"
    _confirm(desk, number)
    _answer(desk, number)


def _confirm(desk: Desk, number: str) -> None:
    path, consent = f"/referrals/{number}", {"version": 1, "given_by": "the person", "channel": "phone"}
    wrong_door = desk.call("wafa", "POST", f"/cases/{number}/decision", {"version": 1, "to": "consented"})
    assert wrong_door.status_code == 403 and "consent" in wrong_door.json()["error"]["message"]
    assert desk.rows("SELECT * FROM notification_outbox") == []
    sent = desk.call("wafa", "POST", f"{path}/consent", consent)
    assert sent.status_code == 200, sent.text
    assert (sent.json()["state"], sent.json()["version"], sent.json()["notifications"]) == ("sent", 2, 1)
    # Sent with consent: its provider sees the person (to contact them); another provider does not.
    seen = desk.call("mine", "GET", path)
    assert seen.status_code == 200 and seen.json()["civil_number"] == desk.case["civil_number"]
    assert seen.json()["consent_channel"] == "phone" and seen.json()["name_ar"]
    assert [r["number"] for r in desk.call("mine", "GET", "/referrals?state=sent").json()["referrals"]] == [number]
    assert desk.call("other", "GET", path).status_code == 404
    assert desk.call("other", "GET", "/referrals").json()["referrals"] == []
    assert desk.call("other", "POST", f"{path}/outcome", {"version": 2, "to": "accepted"}).status_code == 404
    assert desk.call("partner", "GET", path).status_code == 403  # a DCI partner reads no referral
    assert desk.call("wafa", "POST", f"{path}/outcome", {"version": 2, "to": "accepted"}).status_code == 403
    probes = desk.rows("SELECT actor FROM audit_entry WHERE action = 'probe' AND subject = :s", s=f"case:{number}")
    assert {"actor": "other"} in probes and {"actor": "mine"} in probes


def _answer(desk: Desk, number: str) -> None:
    """The provider's answers, each on the version it read; the outcome is on the case."""
    path = f"/referrals/{number}"
    steps = [
        ({"version": 1, "to": "accepted"}, 409, "stale_record"),
        ({"version": 2, "to": "completed"}, 409, "conflict"),  # not from sent
        ({"version": 2, "to": "closed"}, 409, "conflict"),
        ({"version": 2, "to": "finished"}, 422, "invalid_input"),
        ({"version": 2, "to": "declined"}, 422, "invalid_input"),  # the person is told why: a note is needed
        ({"version": 2, "to": "accepted", "note": "first visit on Sunday"}, 200, None),
        ({"version": 3, "to": "in_service"}, 200, None),
        ({"version": 4, "to": "completed", "note": "weekly visits arranged"}, 200, None),
        ({"version": 5, "to": "closed"}, 403, "forbidden"),  # the Fund closes the case, not the provider
    ]
    for body, status, code in steps:
        response = desk.call("mine", "POST", f"{path}/outcome", body)
        assert response.status_code == status, (body, response.text)
        if code:
            assert response.json()["error"]["code"] == code, (body, response.text)
    # The outcome is on the case, for its case worker.
    shown = desk.call("wafa", "GET", f"/cases/{number}").json()
    assert shown["state"] == "completed" and shown["version"] == 5
    outcomes = [(e["kind"], e["to_state"], e["actor"]) for e in shown["events"] if e["kind"] == "outcome"]
    assert outcomes == [
        ("outcome", "accepted", "mine"),
        ("outcome", "in_service", "mine"),
        ("outcome", "completed", "mine"),
    ]
    made = [m for m in shown["messages"] if number in m["subject"]]
    assert len(made) == 1 and made[0]["language"] == "ar"
    audited = desk.rows("SELECT action, actor FROM audit_entry WHERE subject = :s ORDER BY id", s=f"case:{number}")
    assert ("referral.consent", "wafa") in [(a["action"], a["actor"]) for a in audited]
    assert [(a["action"], a["actor"]) for a in audited].count(("referral.respond", "mine")) == 3
    closed = desk.call("wafa", "POST", f"/cases/{number}/close", {"version": 5})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_the_referrals_list_is_scoped_and_its_filters_named(desk: Desk) -> None:
    mine = desk.call("wafa", "GET", "/referrals?period=2026-01")
    assert mine.status_code == 200
    assert mine.json()["referrals"] and {r["wilayat"] for r in mine.json()["referrals"]} == {desk.case["wilayat"]}
    everyone = desk.call("salim", "GET", "/referrals?period=2026-01")
    assert len(everyone.json()["referrals"]) >= len(mine.json()["referrals"])
    assert desk.case["number"] not in desk.call("omar", "GET", "/referrals").text
    for query, says in (
        ("service=massage", "'massage' is not a service"),
        ("provider=nobody", "'nobody' is not a provider"),
        ("state=lost", "'lost' is not a state"),
        ("wilayat=Atlantis", "'Atlantis' is not a known wilayat"),
    ):
        refused = desk.call("wafa", "GET", f"/referrals?{query}")
        assert refused.status_code == 422 and says in refused.json()["error"]["message"], query
    assert desk.call("wafa", "GET", "/referrals?period=2026-13").status_code == 422
    assert desk.call("wafa", "GET", "/referrals?period=0000-01").status_code == 422
    assert desk.call("partner", "GET", "/referrals").status_code == 403
    assert desk.call(None, "GET", "/referrals").status_code == 401
