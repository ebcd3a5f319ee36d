"""DCI subscribe and unsubscribe (issue 22): acknowledged at once, answered to the partner's
registered callback (a real HTTP receiver), the answers valid against the spec; bad requests
refused naming the field; a partner sees and ends only its own subscriptions."""

from __future__ import annotations

from typing import Any

import pytest

from himaya import bootstrap
from himaya.adapters.dci import subscribing
from himaya.adapters.dci.onboarding import set_partner
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from himaya.registry.partners import SubscriptionStatus
from tests.api.conftest import PASSWORD, World
from tests.api.dci.support import (
    ACK,
    ON_SUBSCRIBE,
    ON_UNSUBSCRIBE,
    SUBSCRIBE_REQUEST,
    UNSUBSCRIBE_REQUEST,
    errors,
    in_wilayat,
    subscribe,
    unsubscribe,
)

Received = tuple[str, list[dict[str, Any]]]


def _send(world: World, path: str, body: dict[str, Any], user: str = "partner") -> dict[str, Any]:
    response = world.client.post(path, headers=world.headers(user), json=body)
    assert errors(*ACK, document=response.json()) == [], response.text
    return dict(response.json())


def _subscribed(
    world: World, received: Received, body: dict[str, Any], *, valid: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    body["header"]["sender_uri"] = received[0]
    assert not valid or errors(*SUBSCRIBE_REQUEST, document=body) == []
    ack = _send(world, "/registry/subscribe", body)
    assert ack["message"]["ack_status"] == "ACK", ack
    answer = received[1][-1]
    assert errors(*ON_SUBSCRIBE, document=answer["body"]) == []
    return ack, answer


def test_subscribe_is_acknowledged_then_answered_with_codes(world: World, registered: Received) -> None:
    ack, answer = _subscribed(world, registered, subscribe(in_wilayat(world.inside["wilayat"])))
    body = answer["body"]
    assert body["header"]["action"] == "on-subscribe" and body["header"]["status"] == "succ"
    assert body["message"]["correlation_id"] == ack["message"]["correlation_id"]
    assert body["signature"].startswith("Signature:")  # signed with our key (test_trust.py checks it)
    (item,) = body["message"]["subscribe_response"]
    (info,) = item["subscriptions"]
    assert item["status"] == "succ" and info["code"].startswith("sub-") and info["status"] == "subscribe"
    assert info["reg_event_type"] == "REGISTER" and info["filter"] == in_wilayat(world.inside["wilayat"])
    kept = subscribing.subscriptions(bootstrap.unit_of_work(world.engine), "partner")
    assert info["code"] in {s.code for s in kept}


BAD = {
    "event": ({"reg_event_type": "Adoption"}, "rjct.notify_types.invalid", "reg_event_type 'Adoption'"),
    "event spaced": ({"reg_event_type": " Death"}, "rjct.notify_types.invalid", "reg_event_type ' Death'"),
    "graphql": ({"filter_type": "graphql"}, "rjct.notify_details.invalid", "filter_type 'graphql'"),
    "attribute": (
        {
            "filter": [
                {"seq_num": 1, "expression1": {"attribute_name": "salary", "operator": "eq", "attribute_value": 1}}
            ]
        },
        "rjct.notify_details.invalid",
        "filter: unknown attribute 'salary'",
    ),
    "record_type": ({"notify_record_type": "Group"}, "rjct.notify_details.invalid", "notify_record_type 'Group'"),
    "window": (
        {"frequency": {"start_time": "2026-02-01T00:00:00Z", "end_time": "2026-01-01", "frequency": "0 0 * * *"}},
        "rjct.timestamp.invalid",
        "frequency.end_time",
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_subscribe_request_is_rejected_naming_the_field(world: World, registered: Received, name: str) -> None:
    changes, code, named = BAD[name]
    good = in_wilayat(f"Bad-{name}")  # a filter of its own: the world is the module's
    body = subscribe(good, good, event="UPDATE")
    body["message"]["subscribe_request"][0]["subscribe_criteria"].update(changes)
    body["message"]["subscribe_request"][1]["reference_id"] = "the-good-one"
    body["message"]["subscribe_request"][1]["subscribe_criteria"]["reg_event_type"] = "Death"
    answer = _subscribed(world, registered, body, valid=False)[1]["body"]
    bad, fine = answer["message"]["subscribe_response"]
    assert bad["status"] == "rjct" and bad["status_reason_code"] == code and named in bad["status_reason_message"]
    assert "subscriptions" not in bad
    assert fine["status"] == "succ" and answer["header"]["status"] == "succ"  # the other one is kept


def test_the_same_subscription_twice_is_refused(world: World, registered: Received) -> None:
    body = subscribe(in_wilayat("Twice"), event="spdci-common:RegistryEventType:Death")
    _subscribed(world, registered, body)
    again = _subscribed(world, registered, subscribe(in_wilayat("Twice"), event="Death"))[1]["body"]
    item = again["message"]["subscribe_response"][0]
    assert item["status_reason_code"] == "rjct.event.already_subscribed" and again["header"]["status"] == "rjct"


@pytest.mark.parametrize(
    "broken",
    [
        lambda b: b["message"].pop("subscribe_request"),
        lambda b: b["message"]["subscribe_request"][0]["subscribe_criteria"].pop("filter"),
        lambda b: b["header"].update(message_ts="2026-01-05 09:00"),
        lambda b: b["header"].update(action="search"),
    ],
    ids=["no_requests", "no_filter", "naive_timestamp", "wrong_action"],
)
def test_a_malformed_subscribe_message_gets_err(world: World, registered: Received, broken: Any) -> None:
    body = subscribe(in_wilayat("X"), sender_uri=registered[0])
    broken(body)
    calls = len(registered[1])
    response = world.client.post("/registry/subscribe", headers=world.headers("partner"), json=body)
    assert 400 <= response.status_code < 500 and response.json()["message"]["ack_status"] == "ERR"
    assert errors(*ACK, document=response.json()) == [] and len(registered[1]) == calls  # no callback


def test_an_unregistered_sender_uri_is_refused(world: World, registered: Received) -> None:
    body = subscribe(in_wilayat("X"), sender_uri="http://attacker.example/cb")
    response = world.client.post("/registry/subscribe", headers=world.headers("partner"), json=body)
    assert response.status_code == 400 and response.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


def _code(world: World, received: Received, wilayat: str) -> str:
    answer = _subscribed(world, received, subscribe(in_wilayat(wilayat)))[1]["body"]
    return str(answer["message"]["subscribe_response"][0]["subscriptions"][0]["code"])


def _unsubscribed(world: World, received: Received, *codes: str, user: str = "partner") -> dict[str, Any]:
    body = unsubscribe(*codes, sender_uri=received[0])
    assert errors(*UNSUBSCRIBE_REQUEST, document=body) == []
    assert _send(world, "/registry/unsubscribe", body, user)["message"]["ack_status"] == "ACK"
    answer = received[1][-1]["body"]
    assert errors(*ON_UNSUBSCRIBE, document=answer) == []
    return dict(answer)


def test_unsubscribe_ends_the_subscription_once(world: World, registered: Received) -> None:
    code = _code(world, registered, "Ending")
    answer = _unsubscribed(world, registered, code)
    assert answer["header"]["action"] == "on-unsubscribe" and answer["message"]["status"] == "succ"
    assert answer["message"]["subscription_status"] == [{"code": code, "status": "unsubscribe"}]
    again = _unsubscribed(world, registered, code)["message"]
    assert again["status"] == "rjct" and again["status_reason_code"] == "rjct.event.already_unsubscribed"
    kept = {s.code: s for s in subscribing.subscriptions(bootstrap.unit_of_work(world.engine), "partner")}
    assert kept[code].status is SubscriptionStatus.UNSUBSCRIBE and kept[code].ended_at is not None


@pytest.fixture
def other_partner(world: World, registered: Received) -> str:
    """A second partner system, scoped to the inside wilayat, with the same receiver registered."""
    name = "other_partner"
    with world.engine.connect() as connection:
        exists = access.load_user(connection, name) is not None
    if not exists:
        access.create_user(world.engine, name, hash_password(PASSWORD), kind="client", actor="setup")
        access.grant(
            world.engine, name, roles=["partner"], scopes=[Scope("wilayat", world.inside["wilayat"])], actor="setup"
        )
    set_partner(bootstrap.unit_of_work(world.engine), name, add=[registered[0]], actor="setup")
    response = world.client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": name, "client_secret": PASSWORD}
    )
    world.tokens[name] = response.json()["access_token"]
    return name


def test_another_partner_cannot_unsubscribe_nor_see_a_code(
    world: World, registered: Received, other_partner: str
) -> None:
    code = _code(world, registered, "Mine")
    body = unsubscribe(code, sender_uri=registered[0])
    body["header"]["sender_id"] = other_partner
    assert _send(world, "/registry/unsubscribe", body, other_partner)["message"]["ack_status"] == "ACK"
    answer = registered[1][-1]["body"]["message"]
    unknown = _unsubscribed(world, registered, "sub-no-such-code")["message"]
    assert answer["status"] == "rjct" and answer["status_reason_code"] == "rjct.subscription_code.invalid"
    assert "subscription_status" not in answer  # the same answer as for a code that does not exist
    assert {k: v for k, v in answer.items() if k not in ("transaction_id", "correlation_id", "timestamp")} == {
        k: v.replace("sub-no-such-code", code)
        for k, v in unknown.items()
        if k not in ("transaction_id", "correlation_id", "timestamp")
    }
    kept = {s.code: s for s in subscribing.subscriptions(bootstrap.unit_of_work(world.engine), "partner")}
    assert kept[code].status is SubscriptionStatus.SUBSCRIBE
    assert subscribing.subscriptions(bootstrap.unit_of_work(world.engine), other_partner) == []


def test_subscribe_needs_a_partner_token(world: World) -> None:
    for path, body in (
        ("/registry/subscribe", subscribe(in_wilayat("X"))),
        ("/registry/unsubscribe", unsubscribe("c")),
    ):
        assert world.client.post(path, json=body).status_code in (401, 403)
        assert world.client.post(path, headers=world.headers("registrar"), json=body).status_code == 403
