"""The DCI Social Registry API as partners call it: our answers validate against the DCI specs,
the real OpenCRVS requests are answered, and malformed envelopes get a DCI error, never a 500."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from himaya import bootstrap
from himaya.adapters.dci.delivery import Posted
from himaya.adapters.dci.onboarding import set_partner
from tests.api.conftest import World
from tests.api.dci.support import (
    ACK,
    EXTERNAL,
    SEARCH_RESPONSE,
    SENDER,
    SYNC_ANSWER,
    SYNC_REQUEST,
    by_civil_number,
    errors,
    need_shared,
    request,
)

OPENCRVS = sorted((EXTERNAL / "opencrvs-dci-crvs-api").glob("*/test-payload.json"))
SAMPLES = sorted((EXTERNAL / "spdci-standards/example_files/social").glob("processflow*req.json"))


def _errors(parts: tuple[str, ...], document: Any) -> list[str]:
    return errors(*parts, document=document)


def _upstream(path: Path) -> dict[str, Any]:
    """An upstream sample, sent as our onboarded partner (its sender id is the one registered), as
    a new message (the samples share message and transaction ids, and each is used once)."""
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body["header"]["sender_id"] = SENDER
    body["header"]["message_id"] = f"msg-{uuid.uuid4().hex}"
    if isinstance(body.get("message"), dict) and "transaction_id" in body["message"]:
        body["message"]["transaction_id"] = f"txn-{uuid.uuid4().hex[:12]}"
    return body


def test_our_requests_are_spec_valid() -> None:
    need_shared()
    assert _errors(SYNC_REQUEST, request(by_civil_number("1"))) == []


def test_search_by_civil_number_answers_with_the_person(world: World) -> None:
    response = world.client.post(
        "/registry/sync/search",
        headers=world.headers("partner"),
        json=request(by_civil_number(world.inside["person_id"])),
    )
    assert response.status_code == 200
    answer = response.json()
    assert _errors(SYNC_ANSWER, answer) == []
    assert _errors(SEARCH_RESPONSE, answer["message"]) == []
    found = answer["message"]["search_response"][0]
    assert found["status"] == "succ" and found["pagination"]["total_count"] == 1
    record = found["data"]["reg_records"][0]
    assert record["identifier"] == [{"identifier_type": "UIN", "identifier_value": world.inside["person_id"]}]
    assert record["name"]["local"]["given_name"] == world.inside["given_name_ar"]
    assert record["group_identifier"] == world.inside["family_id"] and record["relationship"] == "SELF"


def test_predicate_search_pages_through_a_wilayat(world: World) -> None:
    criteria = {
        "query_type": "predicate",
        "query": [
            {
                "seq_num": 1,
                "expression1": {
                    "attribute_name": "wilayat",
                    "operator": "eq",
                    "attribute_value": world.inside["wilayat"],
                },
                "condition": "and",
                "expression2": {"attribute_name": "YOB", "operator": "lt", "attribute_value": 2000},
            },
            {
                "seq_num": 2,
                "expression1": {"attribute_name": "sex", "operator": "in", "attribute_value": ["male", "female"]},
            },
        ],
        "pagination": {"page_size": 2, "page_number": 1},
    }
    first = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=request(criteria)).json()
    assert _errors(SYNC_ANSWER, first) == []
    page = first["message"]["search_response"][0]
    people = world.people.filter(
        (world.people["wilayat"] == world.inside["wilayat"]) & (world.people["birth_date"].dt.year() < 2000)
    )
    assert page["pagination"]["total_count"] >= people.height  # registered since, in other tests: never fewer
    assert len(page["data"]["reg_records"]) == min(2, people.height)
    assert all(r["address"]["locality"] == world.inside["wilayat"] for r in page["data"]["reg_records"])


@pytest.mark.parametrize("payload", OPENCRVS, ids=[p.parent.name for p in OPENCRVS])
def test_the_real_opencrvs_requests_are_answered(world: World, payload: Path) -> None:
    body = _upstream(payload)
    assert _errors(SYNC_REQUEST, body) == []  # they are spec-valid requests...
    response = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body)
    assert response.status_code == 200
    answer = response.json()
    assert _errors(SYNC_ANSWER, answer) == []  # ...answered with a spec-valid response
    item = answer["message"]["search_response"][0]
    # A birth registry's search (reg_type, a birth registration number) is the civil registry's; this
    # registry says so, in DCI terms.
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "reg_type 'ocrvs:registry_type:birth': this is the social registry" in item["status_reason_message"]


MALFORMED: list[Any] = [
    "not json at all",
    [],
    {"header": {}},
    {"header": {"message_id": "1"}, "message": {}},
    {**request(by_civil_number("1")), "header": {**request(by_civil_number("1"))["header"], "action": "subscribe"}},
    {**request(by_civil_number("1")), "header": {**request(by_civil_number("1"))["header"], "total_count": "1"}},
    {**request(by_civil_number("1")), "header": {**request(by_civil_number("1"))["header"], "message_ts": "yesterday"}},
    {**request(by_civil_number("1")), "header": {**request(by_civil_number("1"))["header"], "version": "9.9"}},
    {**request(by_civil_number("1")), "message": {"search_request": []}},
    {**request(by_civil_number("1")), "message": {"ciphertext": "abc", "iv": "x"}},
    {**request(by_civil_number("1")), "message": {"transaction_id": "t" * 100, "search_request": [{}]}},
]


@pytest.mark.parametrize("body", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_malformed_envelopes_get_a_dci_error(world: World, body: Any) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    headers = {**world.headers("partner"), "Content-Type": "application/json"}
    sync = world.client.post("/registry/sync/search", headers=headers, content=content)
    assert sync.status_code == 400
    assert _errors(SYNC_ANSWER, sync.json()) == []
    assert sync.json()["header"]["status"] == "rjct"
    later = world.client.post("/registry/search", headers=headers, content=content)
    assert later.status_code == 400
    assert _errors(ACK, later.json()) == []
    assert later.json()["message"]["ack_status"] == "ERR"


@pytest.mark.parametrize(
    ("criteria", "code"),
    [
        (
            {"query_type": "expression", "query": {"type": "x", "value": {"expression": {}}}},
            "rjct.search_criteria.invalid",
        ),
        ({"query_type": "idtype-value", "query": {"type": "UIN"}}, "rjct.search_criteria.invalid"),
        ({**by_civil_number("1"), "pagination": {"page_size": 0, "page_number": 1}}, "rjct.pagination.invalid"),
        ({**by_civil_number("1"), "pagination": {"page_size": 10, "page_number": 0}}, "rjct.pagination.invalid"),
        ({**by_civil_number("1"), "pagination": {"page_size": -1, "page_number": 1}}, "rjct.pagination.invalid"),
        (
            {"query_type": "predicate", "query": [{"expression1": {"attribute_name": "salary", "attribute_value": 1}}]},
            None,
        ),
        (
            {
                "query_type": "predicate",
                "query": [{"expression1": {"attribute_name": "dob", "attribute_value": "soon"}}],
            },
            None,
        ),
        (
            {
                "query_type": "predicate",
                "query": [{"expression1": {"attribute_name": "YOB", "attribute_value": 10**30}}],
            },
            None,
        ),
    ],
)
def test_bad_search_requests_are_rejected_one_by_one(world: World, criteria: dict[str, Any], code: str | None) -> None:
    body = request(criteria, by_civil_number(world.inside["person_id"]))
    answer = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body).json()
    assert _errors(SYNC_ANSWER, answer) == []
    bad, good = answer["message"]["search_response"]
    assert bad["status"] == "rjct" and bad["status_reason_code"] == (code or "rjct.search_criteria.invalid")
    assert good["status"] == "succ"  # the others in the message are still answered


def test_bad_timestamps_and_locales_are_rejected(world: World) -> None:
    body = request(by_civil_number(world.inside["person_id"]))
    body["message"]["search_request"][0]["timestamp"] = "2026-01-05 09:00"  # no zone
    item = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body).json()
    assert item["message"]["search_response"][0]["status_reason_code"] == "rjct.timestamp.invalid"
    for locale in ("en", "ENG"):
        body = request(by_civil_number(world.inside["person_id"]))
        body["message"]["search_request"][0]["locale"] = locale
        answer = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body).json()
        assert answer["message"]["search_response"][0]["status"] == "rjct"


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_upstream_samples_are_handled_without_a_server_error(world: World, sample: Path) -> None:
    response = world.client.post(
        "/registry/sync/search",
        headers={**world.headers("partner"), "Content-Type": "application/json"},
        content=json.dumps(_upstream(sample)),
    )
    assert response.status_code in (200, 400)
    assert _errors(SYNC_ANSWER, response.json()) == []


def test_async_search_acknowledges_then_calls_back(world: World, registered: tuple[str, list[dict[str, Any]]]) -> None:
    uri, received = registered
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
    response = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
    assert response.status_code == 200
    ack = response.json()
    assert _errors(ACK, ack) == [] and ack["message"]["ack_status"] == "ACK"
    # The TestClient runs background tasks before it returns: the callback has been made.
    assert len(received) == 1 and received[0]["path"] == "/callback/on-search"
    answer = received[0]["body"]
    assert answer["header"]["action"] == "on-search"
    assert answer["message"]["correlation_id"] == ack["message"]["correlation_id"]
    assert _errors(SYNC_ANSWER, answer) == []
    assert (
        answer["message"]["search_response"][0]["data"]["reg_records"][0]["identifier"][0]["identifier_value"]
        == (world.inside["person_id"])
    )


def test_async_search_calls_back_only_registered_addresses(
    world: World, registered: tuple[str, list[dict[str, Any]]]
) -> None:
    """Issue 12 item 15: a listener at another path or port of a registered host gets nothing."""
    uri, received = registered
    for other in (
        uri.replace("/callback/on-search", "/internal/admin/delete-everything"),
        "http://127.0.0.1:1/callback/on-search",
        "http://localhost/callback/on-search",
    ):
        body = request(by_civil_number(world.inside["person_id"]), sender_uri=other)
        answer = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
        assert answer.status_code == 400
        assert answer.json()["message"]["error"]["code"] == "err.sender_uri.invalid"
    assert received == []
    for payload in OPENCRVS:  # their sender_uri is a host on the internet, not registered here
        body = _upstream(payload)
        if "sender_uri" not in body["header"]:
            continue
        answer = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
        assert answer.status_code == 400
        assert answer.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


def test_opencrvs_async_request_with_its_callback_registered(world: World) -> None:
    need_shared()
    delivered: list[tuple[str, dict[str, Any]]] = []
    state = world.client.app.state  # type: ignore[attr-defined]
    body = _upstream(EXTERNAL / "opencrvs-dci-crvs-api/async-search/test-payload.json")
    deliver = state.dci_deliver
    state.dci_deliver = lambda uri, answer: Posted(delivered.append((uri, answer)) is None, 200)
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add=[body["header"]["sender_uri"]], actor="setup")
    try:
        response = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
    finally:
        state.dci_deliver = deliver
        set_partner(
            bootstrap.unit_of_work(world.engine), "partner", remove=[body["header"]["sender_uri"]], actor="setup"
        )
    assert response.status_code == 200 and response.json()["message"]["ack_status"] == "ACK"
    assert delivered[0][0] == body["header"]["sender_uri"]
    assert _errors(SYNC_ANSWER, delivered[0][1]) == []


def test_dci_needs_a_partner_token(world: World) -> None:
    body = request(by_civil_number(world.inside["person_id"]))
    assert world.client.post("/registry/sync/search", json=body).status_code == 401
    assert world.client.post("/registry/search", json=body).status_code == 401
    assert world.client.post("/registry/sync/search", headers=world.headers("registrar"), json=body).status_code == 403
