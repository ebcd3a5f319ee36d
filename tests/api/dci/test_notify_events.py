"""DCI notify of the civil events (issue 22): a partner subscribes to LiveBirth, Marriage or Divorce
and hears of exactly those: a child registered within a year of birth (a birth's registration, also
told to REGISTER subscriptions), a marital status become married or divorced (also told to UPDATE
subscriptions); an adult's registration or another change is not a civil event. And enrollment
changes: a programme begun for a person is told to partners subscribed to Enrollment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import select

from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from himaya.db.registry_import import import_people
from himaya.db.tables import enrollment, person
from tests.api.conftest import PASSWORD, World
from tests.api.dci.support import in_wilayat, subscribe
from tests.api.dci.test_notify import Received, _notified, _send, _subscribe, _valid


def _register(world: World, civil: str, born: date) -> None:
    record = {
        "person_id": civil, "family_id": world.inside["family_id"], "relationship": "child", "sex": "F",
        "birth_date": born.isoformat(), "nationality": "OM", "resident": True, "marital_status": "single",
        "given_name_en": "Maryam", "family_name_en": "Al Abri", "wilayat": world.inside["wilayat"],
    }  # fmt: skip
    response = world.client.post("/people", headers=world.headers("registrar"), json={"record": record})
    assert response.status_code == 201, response.text


def _event_types(received: Received, civil: str) -> list[str]:
    return [b["message"]["notify_event"][0]["data"]["reg_event_type"] for b in _notified(received, civil)]


def test_a_birth_registered_is_a_live_birth_and_a_registration(world: World, registered: Received) -> None:
    newborn, adult, today = "92700001", "92700002", datetime.now(UTC).date()
    for civil in (newborn, adult):
        _subscribe(world, registered, civil, "spdci-common:RegistryEventType:LiveBirth")
        _subscribe(world, registered, civil, "REGISTER")
    _register(world, newborn, today - timedelta(days=20))
    _register(world, adult, today - timedelta(days=3 * 365))  # registered at three: not a birth
    _send(world)
    assert sorted(_event_types(registered, newborn)) == ["REGISTER", "spdci-common:RegistryEventType:LiveBirth"]
    assert _event_types(registered, adult) == ["REGISTER"]
    assert all(_valid(body) for body in _notified(registered, newborn))


def _reimport(world: World, civil: str, **changes: Any) -> None:
    """The civil registry's file again, with this person's row changed (the import's own path)."""
    row = world.people.filter(pl.col("person_id") == civil).with_columns(
        *(pl.lit(v).alias(k) for k, v in changes.items())
    )
    import_people(world.engine, row, as_of=date(2026, 2, 1), actor="crvs-file", source={"file": "crvs"})


def test_a_marriage_and_a_divorce_are_told_to_their_subscribers(world: World, registered: Received) -> None:
    single = world.people.filter(
        pl.col("wilayat") == world.inside["wilayat"],
        pl.col("marital_status") == "single",
        pl.col("birth_date") < date(2005, 1, 1),
    )
    civil = single.row(0, named=True)["person_id"]
    for event in ("spdci-common:RegistryEventType:Marriage", "spdci-common:RegistryEventType:Divorce", "UPDATE"):
        _subscribe(world, registered, civil, event)
    _reimport(world, civil, marital_status="married")
    _send(world)
    assert sorted(_event_types(registered, civil)) == ["UPDATE", "spdci-common:RegistryEventType:Marriage"]
    _reimport(world, civil, marital_status="divorced")
    _send(world)
    assert sorted(_event_types(registered, civil)[2:]) == ["UPDATE", "spdci-common:RegistryEventType:Divorce"]
    _reimport(world, civil, marital_status="divorced", mobile="+96899334455")  # not a civil event
    _send(world)
    assert _event_types(registered, civil)[4:] == ["UPDATE"]


def test_enrollments_begun_are_told_once_per_person(world: World, registered: Received) -> None:
    """A partner (the labour ministry, a bank) subscribed to enrollment changes in a wilayat hears of
    each person the monthly sync enrolled there, once however many programmes, and nothing when a
    second sync of the month changes nothing."""
    wilayat = world.inside["wilayat"]
    body = subscribe(in_wilayat(wilayat), event="spdci-common:RegistryEventType:Enrollment", sender_uri=registered[0])
    answer = world.client.post("/registry/subscribe", headers=world.headers("partner"), json=body)
    assert answer.json()["message"]["ack_status"] == "ACK"
    _register(world, "92700009", date(2025, 12, 20))  # a child of the wilayat, entitled in January
    access.create_user(world.engine, "national.enroller", hash_password(PASSWORD), actor="test")
    access.grant(world.engine, "national.enroller", roles=["supervisor"], scopes=[Scope("all")], actor="test")
    national = {"Authorization": f"Bearer {world.login('national.enroller')['access_token']}"}
    assert world.client.post("/enrollments/sync/2026-01", headers=national).json()["enrolled"] > 0
    _send(world)
    told = [  # every event of every message: a subscription's events go together (notifying.BATCH)
        event["data"]["reg_records"]["identifier"][0]["identifier_value"]
        for c in registered[1]
        if c["body"]["header"]["action"] == "notify"
        for event in c["body"]["message"]["notify_event"]
        if event["data"]["reg_event_type"].endswith("Enrollment")
    ]
    with world.engine.connect() as connection:
        enrolled = connection.execute(
            select(person.c.civil_number)
            .join(enrollment, enrollment.c.person_id == person.c.id)
            .where(person.c.wilayat == wilayat)
            .distinct()
        ).scalars()
        expected = sorted(enrolled)
    assert expected and sorted(told) == expected  # each person enrolled there, once
    assert world.client.post("/enrollments/sync/2026-01", headers=national).json()["enrolled"] == 0
    assert _send(world) == []  # nothing changed, nothing told
