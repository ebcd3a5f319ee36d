"""DCI notify (issue 22): a change of registry records queues, in its own transaction, a
notification for each subscription whose filter selects the record and whose partner may search
it; after commit they are POSTed (signed, retried) to a real HTTP receiver, valid against the
spec, once per event per subscription, redelivered with the same event id."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from himaya import bootstrap
from himaya.adapters.dci import delivery
from himaya.adapters.dci.onboarding import set_partner
from himaya.bootstrap import dci as wiring
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from himaya.db.dci_tables import dci_notification
from himaya.registry.partners import Delivery
from tests.api.conftest import PASSWORD, World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import ACK, NOTIFY, errors, subscribe

Received = tuple[str, list[dict[str, Any]]]


def _uin(civil: str) -> dict[str, Any]:
    return {"type": "UIN", "value": civil}


def _subscribe(world: World, received: Received, civil: str, event: str, user: str = "partner") -> str:
    body = subscribe(_uin(civil), event=event, sender_uri=received[0])
    if user != "partner":
        body["header"]["sender_id"] = user
    response = world.client.post("/registry/subscribe", headers=world.headers(user), json=body)
    assert errors(*ACK, document=response.json()) == [] and response.json()["message"]["ack_status"] == "ACK"
    item = received[1][-1]["body"]["message"]["subscribe_response"][0]
    assert item["status"] == "succ", item
    return str(item["subscriptions"][0]["code"])


def _send(world: World) -> list[tuple[Any, Delivery]]:
    state = world.client.app.state  # type: ignore[attr-defined]
    return wiring.notify_partners(
        world.engine,
        state.settings,
        key=state.tokens.key,
        country=state.pack.country,
        sign=state.dci_sign,
        bearer=state.dci_bearer,
        attempts=LIMITS.attempts,
    )


def _notified(received: Received, civil: str) -> list[dict[str, Any]]:
    return [
        c["body"]
        for c in received[1]
        if c["body"]["header"]["action"] == "notify"
        and c["body"]["message"]["notify_event"][0]["data"]["reg_records"]["identifier"][0]["identifier_value"] == civil
    ]


def _valid(body: dict[str, Any]) -> bool:
    """Valid against the spec's notify, whose `reg_event_type` is closed to REGISTER and
    NewHouseHoldMember: an update or a death (events the spec's notify cannot name) is checked with
    that one value set aside, and must be valid otherwise."""
    events = body["message"]["notify_event"]
    assert all(e["data"]["reg_event_type"] for e in events)
    checked = {**body, "message": {**body["message"], "notify_event": [_as_register(e) for e in events]}}
    return errors(*NOTIFY, document=checked) == []


def _as_register(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "data": {**event["data"], "reg_event_type": "REGISTER"}}


def _version(world: World, civil: str, user: str) -> int:
    response = world.client.get(f"/people/{civil}", headers=world.headers(user))
    assert response.status_code == 200, response.text
    return int(response.json()["person"]["version"])


def _patch(world: World, civil: str, changes: dict[str, Any], user: str = "supervisor") -> None:
    body = {"version": _version(world, civil, user), "changes": changes}
    response = world.client.patch(f"/people/{civil}", headers=world.headers(user), json=body)
    assert response.status_code == 200, response.text


def _queued(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(dci_notification)).scalar_one())


def test_an_update_is_notified_once_valid_and_signed(world: World, registered: Received) -> None:
    civil = world.inside["person_id"]
    _subscribe(world, registered, civil, "UPDATE")
    before = _queued(world)
    _patch(world, civil, {"mobile": "+96899112233"})
    assert _queued(world) == before + 1  # queued with the change, before anything is sent
    assert [outcome for _, outcome in _send(world)] == [Delivery.DELIVERED]
    (body,) = _notified(registered, civil)
    assert _valid(body)
    assert body["header"]["action"] == "notify" and body["signature"].startswith("Signature:")
    event = body["message"]["notify_event"][0]
    assert event["reference_id"] == "sub-ref-0" and event["data"]["reg_event_type"] == "UPDATE"
    assert event["data"]["reg_records"]["phone_number"] == "+96899112233"
    assert _send(world) == []  # sent once: nothing is left to send


def test_a_registration_and_a_death_are_notified_with_their_events(world: World, registered: Received) -> None:
    civil = "92600001"
    _subscribe(world, registered, civil, "REGISTER")
    _subscribe(world, registered, civil, "spdci-common:RegistryEventType:Death")
    record = {
        "person_id": civil, "family_id": world.inside["family_id"], "relationship": "other", "sex": "F",
        "birth_date": "1950-03-04", "nationality": "OM", "resident": True, "marital_status": "widowed",
        "given_name_en": "Salma", "family_name_en": "Al Abri", "wilayat": world.inside["wilayat"],
    }  # fmt: skip
    response = world.client.post("/people", headers=world.headers("registrar"), json={"record": record})
    assert response.status_code == 201, response.text
    _send(world)
    (registered_event,) = _notified(registered, civil)
    assert registered_event["message"]["notify_event"][0]["data"]["reg_event_type"] == "REGISTER"
    assert errors(*NOTIFY, document=registered_event) == []  # REGISTER: the spec's own event code
    _patch(world, civil, {"death_date": "2026-01-02"})
    _send(world)
    died = _notified(registered, civil)[-1]["message"]["notify_event"][0]["data"]
    assert died["reg_event_type"] == "spdci-common:RegistryEventType:Death"
    assert died["reg_records"]["death_date"] == "2026-01-02"
    assert len(_notified(registered, civil)) == 2  # the Death subscription only, not REGISTER again


def test_a_rolled_back_change_queues_nothing(world: World, registered: Received) -> None:
    civil = world.inside["person_id"]
    _patch(world, civil, {"mobile": "+96899000001"})  # a version behind the current one exists to be stale
    before = _queued(world)
    stale = {"version": _version(world, civil, "supervisor") - 1, "changes": {"mobile": "+96899000000"}}
    response = world.client.patch(f"/people/{civil}", headers=world.headers("supervisor"), json=stale)
    assert response.status_code == 409
    assert _queued(world) == before


@pytest.fixture
def scoped_partner(world: World, registered: Received) -> str:
    """A second partner system, scoped to the inside wilayat only, with the receiver registered."""
    name = "scoped_partner"
    with world.engine.connect() as connection:
        known = access.load_user(connection, name) is not None
    if not known:
        access.create_user(world.engine, name, hash_password(PASSWORD), kind="client", actor="setup")
        scope = [Scope("wilayat", world.inside["wilayat"])]
        access.grant(world.engine, name, roles=["partner"], scopes=scope, actor="setup")
    set_partner(bootstrap.unit_of_work(world.engine), name, add=[registered[0]], actor="setup")
    form = {"grant_type": "client_credentials", "client_id": name, "client_secret": PASSWORD}
    world.tokens[name] = world.client.post("/auth/token", data=form).json()["access_token"]
    return name


def test_no_notification_about_a_record_outside_the_partners_scope(
    world: World, registered: Received, scoped_partner: str
) -> None:
    civil = world.outside["person_id"]
    _subscribe(world, registered, civil, "UPDATE", user=scoped_partner)  # accepted: the filter is only a filter
    _subscribe(world, registered, civil, "UPDATE")  # the country-wide partner
    _patch(world, civil, {"mobile": "+96899445566"}, user="other_registrar")
    _send(world)
    (body,) = _notified(registered, civil)  # one: the country-wide partner's
    assert body["header"]["receiver_id"] != scoped_partner


def test_a_redelivery_sends_the_same_event(world: World, registered: Received, failing: Any) -> None:
    here = world.people.filter(
        pl.col("wilayat") == world.inside["wilayat"], pl.col("person_id") != world.inside["person_id"]
    )
    civil = here.row(0, named=True)["person_id"]  # not the others' person: a subscription of its own
    _subscribe(world, registered, civil, "spdci-common:RegistryEventType:Update")
    failing.fail_first = LIMITS.attempts  # every attempt of the first delivery fails
    _patch(world, civil, {"mobile": "+96899778899"})
    ((transaction, outcome),) = _send(world)
    assert outcome is Delivery.FAILED and len(failing.refused) == LIMITS.attempts
    state = world.client.app.state  # type: ignore[attr-defined]
    again = delivery.redeliver(
        lambda: bootstrap.unit_of_work(world.engine), limits=LIMITS, sign=state.dci_sign, bearer=state.dci_bearer
    )
    assert (transaction.correlation_id, Delivery.DELIVERED) in [(t.correlation_id, o) for t, o in again]
    first = failing.refused[0]["body"]["message"]
    taken = _notified(registered, civil)[-1]["message"]
    assert taken == first and taken["transaction_id"] == transaction.correlation_id  # the same event id
    assert len([c for c in failing.refused if c["body"]["message"] == first]) == LIMITS.attempts


def test_the_services_sender_posts_what_changes_queued(world: World, registered: Received) -> None:
    """`himaya serve` with HIMAYA_DCI_NOTIFY_EVERY: its sender thread POSTs a notification soon after
    the change committed, with nobody running `partners notify`."""
    here = world.people.filter(pl.col("wilayat") == world.inside["wilayat"])
    civil = here.row(2, named=True)["person_id"]
    _subscribe(world, registered, civil, "UPDATE")
    state = world.client.app.state  # type: ignore[attr-defined]
    settings = replace(state.settings, dci_notify_every=1)
    sender = wiring.NotifySender(world.engine, settings, key=state.tokens.key, country="OM", sign=state.dci_sign)
    sender.start()
    try:
        _patch(world, civil, {"mobile": "+96899001122"})
        deadline = time.monotonic() + 20
        while not _notified(registered, civil) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        sender.stop()
    (body,) = _notified(registered, civil)
    assert body["message"]["notify_event"][0]["data"]["reg_records"]["phone_number"] == "+96899001122"
