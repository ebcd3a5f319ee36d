"""Attacks on `POST /events/opencrvs` (issue 15, an outside attack), kept as tests on both databases:
a webhook delivery holding several registrations, a bundle sent on another kind's topic, and a
registration changed but sent again under a tracking id the inbox holds."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.core.errors import ConflictError
from himaya.db import access
from himaya.events.model import CALENDAR, LifeEvent
from tests.events.conftest import FIXTURES, death, inbox, receive

KEY = "test-signing-key-" + "x" * 32
SECRET = "correct-horse-battery-9"


class Registry:
    """The civil registry's system, logged in."""

    def __init__(self, engine: Engine) -> None:
        access.create_user(engine, "crvs", hash_password(SECRET), kind="client", actor="setup")
        access.grant(engine, "crvs", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
        self.client = TestClient(create_app(engine, tokens=TokenSettings(key=KEY)))
        token = self.client.post(
            "/auth/token", data={"grant_type": "client_credentials", "client_id": "crvs", "client_secret": SECRET}
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def send(self, document: dict[str, Any]) -> Any:
        return self.client.post("/events/opencrvs", json=document, headers=self.headers)


@pytest.fixture
def crvs(registry: Engine) -> Registry:
    return Registry(registry)


def _bundle(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}-bundle.json").read_text()))


def _retracked(bundle: dict[str, Any], tracking: str) -> dict[str, Any]:
    copied = copy.deepcopy(bundle)
    for entry in (e for e in copied["entry"] if e["resource"]["resourceType"] == "Task"):
        for identifier in entry["resource"]["identifier"]:
            if str(identifier.get("system", "")).endswith("tracking-id"):
                identifier["value"] = tracking
    return copied


def _delivery(topic: str, *bundles: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": "2026-10-06T09:00:00Z", "event": {"hub": {"topic": topic}, "context": list(bundles)}}


def test_every_registration_of_a_delivery_is_received(crvs: Registry, registry: Engine) -> None:
    birth = _bundle("birth")
    twins = [_retracked(birth, f"BTWIN{i}") for i in range(3)]
    answer = crvs.send(_delivery("BIRTH_REGISTERED", *twins))
    assert answer.status_code == 202, answer.text
    assert answer.json()["received"] == 3 and answer.json()["failed"] == 0
    assert sorted(e["source_event_id"] for e in answer.json()["events"]) == ["BTWIN0", "BTWIN1", "BTWIN2"]
    assert sorted(inbox(registry)["source_event_id"]) == ["BTWIN0", "BTWIN1", "BTWIN2"]
    again = crvs.send(_delivery("BIRTH_REGISTERED", *twins))
    assert again.json()["duplicate"] == 3 and inbox(registry).height == 3


def test_a_bundle_on_another_kinds_topic_is_refused(crvs: Registry, registry: Engine) -> None:
    answer = crvs.send(_delivery("BIRTH_REGISTERED", _bundle("death")))
    assert answer.status_code == 202 and answer.json()["failed"] == 1, answer.text
    (event,) = answer.json()["events"]
    assert event["state"] == "failed" and "the hub topic 'BIRTH_REGISTERED' is not for a death" in event["reason"]
    assert event["source_event_id"].startswith("sha256:")  # the tracking id stays free for the right topic
    right = crvs.send(_delivery("DEATH_REGISTERED", _bundle("death")))
    assert right.json()["received"] == 1 and right.json()["events"][0]["state"] == "received", right.text


def test_a_changed_document_under_a_known_tracking_id_is_a_conflict_kept_for_review(
    crvs: Registry, registry: Engine
) -> None:
    death = _bundle("death")
    assert crvs.send(death).json()["received"] == 1
    assert crvs.send(death).json()["duplicate"] == 1  # the same document again: idempotent
    changed = copy.deepcopy(death)
    for entry in changed["entry"]:
        if entry["resource"].get("deceasedDateTime"):
            entry["resource"]["deceasedDateTime"] = "2026-01-02T00:00:00Z"
    refused = crvs.send(changed)
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    tracking = inbox(registry)["source_event_id"][0]
    assert tracking in message and "a different document" in message and "kept for review" in message, message
    rows = inbox(registry).sort("id")
    assert rows["state"].to_list() == ["received", "needs_review"]
    assert rows["source_event_id"][1].startswith(f"{tracking}#changed:")
    again = crvs.send(changed)  # the same changed document again: one review, the same answer
    assert again.status_code == 409 and inbox(registry).height == 2


def test_a_changed_event_from_a_file_is_a_conflict_but_the_calendars_own_is_not(registry: Engine) -> None:
    assert receive(registry, death("D1", "71000001", "2026-09-10", source="file")).received == 1
    with pytest.raises(ConflictError, match="'D1': the inbox holds a different document"):
        receive(registry, death("D1", "71000001", "2026-09-11", source="file"), death("D2", "71000002", "2026-09-10"))
    assert inbox(registry)["state"].to_list() == ["received", "received", "needs_review"]  # D2 was received
    turned = LifeEvent(CALENDAR, "turned_60:71000001", "turned_60", date(2026, 5, 1), {"person_id": "71000001"})
    assert receive(registry, turned).received == 1
    later = LifeEvent(CALENDAR, "turned_60:71000001", "turned_60", date(2026, 6, 1), {"person_id": "71000001"})
    assert receive(registry, later).duplicate == 1  # the birth date was corrected: the calendar follows it
