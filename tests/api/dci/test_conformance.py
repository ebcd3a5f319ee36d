"""The conformance catalogue's requirements for a registry server
(`openspp-spdci-compliance`: common/requirements.json and domains/social/requirements.json, the
profiles `registry` and `sr-registry`), each met one run as a test with its id, each not met with
why; docs/api.md's table says the same (tested)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.dci.support import (
    ACK,
    CATALOGUE,
    ON_SUBSCRIBE,
    ON_UNSUBSCRIBE,
    SEARCH_RESPONSE,
    SUBSCRIBE_REQUEST,
    SYNC_ANSWER,
    SYNC_REQUEST,
    TXN_ANSWER,
    TXN_REQUEST,
    UNSUBSCRIBE_REQUEST,
    by_civil_number,
    errors,
    in_wilayat,
    need_shared,
    request,
    subscribe,
    txn_status,
    unsubscribe,
)

Received = tuple[str, list[dict[str, Any]]]
Check = Callable[[World, Received], None]
DOCS = Path(__file__).parents[3] / "docs/api.md"
ON_SEARCH = ("paths", "/registry/on-search", "post", "requestBody", "content", "application/json", "schema")
ON_STATUS = ("paths", "/registry/txn/on-status", "post", "requestBody", "content", "application/json", "schema")

NOT_MET: dict[str, str] = {}


def _catalogue() -> dict[str, dict[str, Any]]:
    need_shared()
    found = {}
    for part in ("common/requirements.json", "domains/social/requirements.json"):
        for item in json.loads((CATALOGUE / part).read_text(encoding="utf-8"))["requirements"]:
            if item["profile"] in ("registry", "sr-registry"):
                found[item["id"]] = item
    return found


def _async(world: World, received: Received, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send an async search to the registered receiver: the ACK and the answer it received."""
    uri, calls = received
    body["header"]["sender_uri"] = uri
    response = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
    assert response.status_code == 200, response.text
    assert errors(*ACK, document=response.json()) == []
    return response.json(), calls[-1]["body"]


def _first(world: World, received: Received, body: dict[str, Any]) -> dict[str, Any]:
    answer = _async(world, received, body)[1]
    assert errors(*ON_SEARCH, document=answer) == []
    return dict(answer["message"]["search_response"][0])


def _item(criteria: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    body = request(criteria or by_civil_number("1"))
    body["message"]["search_request"][0].update(changes)
    return body


def _paged(world: World, size: int, number: int) -> dict[str, Any]:
    return _item(
        {**by_civil_number(world.inside["person_id"]), "pagination": {"page_size": size, "page_number": number}}
    )


def _wilayat(world: World) -> dict[str, Any]:
    expression = {"attribute_name": "wilayat", "operator": "eq", "attribute_value": world.inside["wilayat"]}
    return {"query_type": "predicate", "query": [{"seq_num": 1, "expression1": expression}]}


def _sync(world: World, body: dict[str, Any]) -> dict[str, Any]:
    assert errors(*SYNC_REQUEST, document=body) == []
    response = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body)
    assert response.status_code == 200 and errors(*SYNC_ANSWER, document=response.json()) == []
    assert errors(*SEARCH_RESPONSE, document=response.json()["message"]) == []
    return dict(response.json())


def _status(world: World, received: Received | None = None) -> dict[str, Any]:
    """A search, then its status asked for by transaction_id (async when `received` is given)."""
    search = request(by_civil_number(world.inside["person_id"]))
    world.client.post("/registry/sync/search", headers=world.headers("partner"), json=search)
    body = txn_status("transaction_id", search["message"]["transaction_id"], received[0] if received else None)
    assert errors(*TXN_REQUEST, document=body) == []
    path = "/registry/txn/status" if received else "/registry/sync/txn/status"
    response = world.client.post(path, headers=world.headers("partner"), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _rejected(code: str, **changes: Any) -> Check:
    def check(world: World, received: Received) -> None:
        item = _first(world, received, _item(**changes))
        assert item["status"] == "rjct" and item["status_reason_code"] == code

    return check


def _succeeds(**changes: Any) -> Check:
    def check(world: World, received: Received) -> None:
        assert _first(world, received, _item(**changes))["status"] == "succ"

    return check


def _bad_page(size: int, number: int) -> Check:
    def check(world: World, received: Received) -> None:
        item = _first(world, received, _paged(world, size, number))
        assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.pagination.invalid"

    return check


def _negative(path: str) -> Check:
    def check(world: World, received: Received) -> None:
        body = {"header": {"message_id": "1"}, "message": {}}
        response = world.client.post(path, headers=world.headers("partner"), json=body)
        assert 400 <= response.status_code < 500
        if path in ("/registry/search", "/registry/txn/status", "/registry/subscribe", "/registry/unsubscribe"):
            assert response.json()["message"]["ack_status"] == "ERR"

    return check


def _auth(path: str) -> Check:
    def check(world: World, received: Received) -> None:
        body = request(by_civil_number("1"))
        assert world.client.post(path, json=body).status_code in (401, 403)

    return check


def _long_transaction(length: int) -> Callable[[World, Received], dict[str, Any]]:
    def send(world: World, received: Received) -> dict[str, Any]:
        body = request(by_civil_number("1"))
        body["message"]["transaction_id"] = "t" * length
        body["header"]["sender_uri"] = received[0]
        return dict(world.client.post("/registry/search", headers=world.headers("partner"), json=body).json())

    return send


def _pages(world: World, received: Received) -> None:
    item = _first(world, received, _paged(world, 5, 1))
    assert item["pagination"] == {"page_size": 5, "page_number": 1, "total_count": 1}


def _sync_pages(world: World, received: Received) -> None:
    body = request({**_wilayat(world), "pagination": {"page_size": 3, "page_number": 1}})
    page = _sync(world, body)["message"]["search_response"][0]
    assert page["pagination"]["page_size"] == 3 and len(page["data"]["reg_records"]) <= 3


def _second_page(world: World, received: Received) -> None:
    first = _first(world, received, request({**_wilayat(world), "pagination": {"page_size": 2, "page_number": 1}}))
    second = _first(world, received, request({**_wilayat(world), "pagination": {"page_size": 2, "page_number": 2}}))
    assert second["pagination"]["page_number"] == 2 and second["status"] == "succ"
    assert first["data"]["reg_records"] != second["data"]["reg_records"]


def _async_search(world: World, received: Received) -> None:
    ack = _async(world, received, request(by_civil_number(world.inside["person_id"])))[0]
    assert ack["message"]["ack_status"] == "ACK"


def _callback(world: World, received: Received) -> None:
    ack, answer = _async(world, received, request(by_civil_number(world.inside["person_id"])))
    assert received[1][-1]["path"] == "/callback/on-search" and errors(*ON_SEARCH, document=answer) == []
    assert answer["message"]["correlation_id"] == ack["message"]["correlation_id"]


def _async_status(world: World, received: Received) -> None:
    ack = _status(world, received)
    assert errors(*ACK, document=ack) == [] and ack["message"]["ack_status"] == "ACK"


def _status_callback(world: World, received: Received) -> None:
    _status(world, received)
    answer = received[1][-1]["body"]
    assert errors(*ON_STATUS, document=answer) == [] and answer["header"]["status"] == "succ"


def _sync_status(world: World, received: Received) -> None:
    answer = _status(world)
    assert errors(*TXN_ANSWER, document=answer) == []
    assert errors("components", "schemas", "TxnStatusResponse", document=answer["message"]) == []


def _records(world: World, received: Received) -> None:
    records = _sync(world, request(_wilayat(world)))["message"]["search_response"][0]["data"]["reg_records"]
    assert records and all(r["@type"] == "spdci:SR_Person" and r["identifier"] for r in records)
    assert all(r["address"]["locality"] == world.inside["wilayat"] for r in records)
    country = world.client.app.state.pack.country  # type: ignore[attr-defined]
    assert country == "OM" and all(r["address"]["country"] == country for r in records)  # from the pack


def _expression(world: World) -> dict[str, Any]:
    terms = [{"wilayat": {"$eq": world.inside["wilayat"]}}, {"YOB": {"$lt": 2020}}]
    expression = {"collection": "Person", "query": {"$and": terms}}
    return {
        "query_type": "expression",
        "query": {"type": "ns:org:QueryType:expression", "value": {"expression": expression}},
    }


def _expression_async(world: World, received: Received) -> None:
    item = _first(world, received, request(_expression(world)))
    assert item["status"] == "succ" and item["pagination"]["total_count"] >= 1


def _expression_sync(world: World, received: Received) -> None:
    item = _sync(world, request(_expression(world)))["message"]["search_response"][0]
    assert item["status"] == "succ"
    assert all(r["address"]["locality"] == world.inside["wilayat"] for r in item["data"]["reg_records"])


def _predicate_async(world: World, received: Received) -> None:
    item = _first(world, received, request(_wilayat(world)))
    assert item["status"] == "succ" and item["pagination"]["total_count"] >= 1


def _predicate_sync(world: World, received: Received) -> None:
    assert _sync(world, request(_wilayat(world)))["message"]["search_response"][0]["status"] == "succ"


def _bad_signature(world: World, received: Received) -> None:
    """The catalogue's invalid signature ('invalid-signature'), on async search: refused whether or
    not the partner has keys (test_trust.py has the rest: bogus, expired, another key...)."""
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=received[0])
    body["signature"] = "invalid-signature"
    response = world.client.post("/registry/search", headers=world.headers("partner"), json=body)
    assert response.status_code == 401 and errors(*ACK, document=response.json()) == []
    assert response.json()["message"]["error"]["code"] == "err.signature.invalid"


def _subscribe(world: World, received: Received, body: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
    """An async subscribe to the registered receiver: the ACK (or ERR) and the last callback."""
    body = body or subscribe(in_wilayat(world.inside["wilayat"]), event="UPDATE")
    body["header"]["sender_uri"] = received[0]
    response = world.client.post("/registry/subscribe", headers=world.headers("partner"), json=body)
    assert errors(*ACK, document=response.json()) == []
    return dict(response.json()), received[1][-1]["body"] if received[1] else None


def _subscribe_ack(world: World, received: Received) -> None:
    body = subscribe(in_wilayat("Conformance-ack"), event="UPDATE")
    assert errors(*SUBSCRIBE_REQUEST, document=body) == []
    assert _subscribe(world, received, body)[0]["message"]["ack_status"] == "ACK"


def _on_subscribe(world: World, received: Received) -> None:
    ack, answer = _subscribe(world, received, subscribe(in_wilayat("Conformance-cb"), event="Death"))
    assert received[1][-1]["path"] == "/callback/on-search" and errors(*ON_SUBSCRIBE, document=answer) == []
    assert answer["header"]["action"] == "on-subscribe" and answer["header"]["status"] == "succ"
    assert answer["message"]["correlation_id"] == ack["message"]["correlation_id"]


def _naive_subscribe(world: World, received: Received) -> None:
    body = subscribe(in_wilayat("Conformance-ts"))
    body["message"]["subscribe_request"][0]["timestamp"] = "2026-01-05 09:00:00"
    item = _subscribe(world, received, body)[1]["message"]["subscribe_response"][0]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.timestamp.invalid"


def _unsubscribe(world: World, received: Received, code: str) -> tuple[Any, dict[str, Any]]:
    body = unsubscribe(code, sender_uri=received[0])
    assert errors(*UNSUBSCRIBE_REQUEST, document=body) == []
    response = world.client.post("/registry/unsubscribe", headers=world.headers("partner"), json=body)
    assert errors(*ACK, document=response.json()) == []
    return response, received[1][-1]["body"]


def _unsubscribe_ack(world: World, received: Received) -> None:
    response, _ = _unsubscribe(world, received, _code(world, received, "Conformance-unsub-ack"))
    assert response.status_code == 200 and response.json()["message"]["ack_status"] == "ACK"


def _code(world: World, received: Received, wilayat: str) -> str:
    answer = _subscribe(world, received, subscribe(in_wilayat(wilayat)))[1]
    return str(answer["message"]["subscribe_response"][0]["subscriptions"][0]["code"])


def _on_unsubscribe(world: World, received: Received) -> None:
    code = _code(world, received, "Conformance-unsub-cb")
    ack = _unsubscribe(world, received, code)[0].json()
    answer = received[1][-1]["body"]
    assert errors(*ON_UNSUBSCRIBE, document=answer) == [] and answer["header"]["action"] == "on-unsubscribe"
    assert answer["message"]["correlation_id"] == ack["message"]["correlation_id"]
    assert answer["message"]["subscription_status"] == [{"code": code, "status": "unsubscribe"}]


def _longest_code(world: World, received: Received) -> None:
    response, answer = _unsubscribe(world, received, "c" * 99)  # accepted; no such subscription of the partner
    assert response.json()["message"]["ack_status"] == "ACK"
    assert answer["message"]["status_reason_code"] == "rjct.subscription_code.invalid"


def _too_long_code(world: World, received: Received) -> None:
    body = unsubscribe("c" * 100, sender_uri=received[0])
    response = world.client.post("/registry/unsubscribe", headers=world.headers("partner"), json=body)
    assert response.status_code == 400 and response.json()["message"]["ack_status"] == "ERR"
    assert "subscription_codes" in response.json()["message"]["error"]["message"]


MET: dict[str, Check] = {
    "DCI-VAL-FMT-TS-03": _naive_subscribe,
    "DCI-VAL-BND-SUB-01": _longest_code,
    "DCI-VAL-BND-SUB-02": _too_long_code,
    "SR-CORE-RG-ASYNC-SUBSCRIBE-01": _subscribe_ack,
    "SR-CORE-RG-ASYNC-UNSUBSCRIBE-01": _unsubscribe_ack,
    "SR-CORE-RG-ASYNC-SUBSCRIBE-CB-01": _on_subscribe,
    "SR-CORE-RG-ASYNC-UNSUBSCRIBE-CB-01": _on_unsubscribe,
    "SR-CORE-RG-ASYNC-SUBSCRIBE-NEG-01": _negative("/registry/subscribe"),
    "SR-CORE-RG-ASYNC-UNSUBSCRIBE-NEG-01": _negative("/registry/unsubscribe"),
    "SR-SEC-AUTH-RG-ASYNC-SUBSCRIBE-01": _auth("/registry/subscribe"),
    "SR-SEC-AUTH-RG-ASYNC-UNSUBSCRIBE-01": _auth("/registry/unsubscribe"),
    "SR-SEC-SIG-RG-01": _bad_signature,
    "DCI-VAL-FMT-TS-01": _rejected("rjct.timestamp.invalid", timestamp="2026-01-05 09:00"),
    "DCI-VAL-FMT-TS-02": _succeeds(timestamp="2026-01-05T09:00:00+04:00"),
    "DCI-VAL-FMT-LOC-01": _succeeds(locale="ara"),
    "DCI-VAL-FMT-LOC-02": _rejected("rjct.search_criteria.invalid", locale="en"),
    "DCI-VAL-FMT-LOC-03": _rejected("rjct.search_criteria.invalid", locale="ENG"),
    "DCI-VAL-BND-TXN-01": lambda w, r: _expect(_long_transaction(99)(w, r)["message"]["ack_status"], "ACK"),
    "DCI-VAL-BND-TXN-02": lambda w, r: _expect(_long_transaction(100)(w, r)["message"]["ack_status"], "ERR"),
    "DCI-VAL-BND-REF-01": _succeeds(reference_id="r" * 99),
    "DCI-CORE-PAG-01": _pages,
    "DCI-CORE-PAG-02": _sync_pages,
    "DCI-CORE-PAG-03": _second_page,
    "DCI-VAL-PAG-01": _bad_page(0, 1),
    "DCI-VAL-PAG-02": _bad_page(10, 0),
    "DCI-VAL-PAG-03": _bad_page(-1, 1),
    "SR-CORE-RG-ASYNC-SEARCH-01": _async_search,
    "SR-CORE-RG-ASYNC-TXNSTATUS-01": _async_status,
    "SR-CORE-RG-SYNC-SEARCH-01": lambda w, r: _expect(bool(_sync(w, request(by_civil_number("1")))), True),
    "SR-CORE-RG-SYNC-TXNSTATUS-01": _sync_status,
    "SR-CORE-RG-ASYNC-SEARCH-CB-01": _callback,
    "SR-CORE-RG-ASYNC-TXNSTATUS-CB-01": _status_callback,
    "SR-CORE-RG-ASYNC-SEARCH-NEG-01": _negative("/registry/search"),
    "SR-CORE-RG-ASYNC-TXNSTATUS-NEG-01": _negative("/registry/txn/status"),
    "SR-CORE-RG-SYNC-SEARCH-NEG-01": _negative("/registry/sync/search"),
    "SR-CORE-RG-SYNC-TXNSTATUS-NEG-01": _negative("/registry/sync/txn/status"),
    "SR-SEC-AUTH-RG-ASYNC-SEARCH-01": _auth("/registry/search"),
    "SR-SEC-AUTH-RG-ASYNC-TXNSTATUS-01": _auth("/registry/txn/status"),
    "SR-SEC-AUTH-RG-SYNC-SEARCH-01": _auth("/registry/sync/search"),
    "SR-SEC-AUTH-RG-SYNC-TXNSTATUS-01": _auth("/registry/sync/txn/status"),
    "SR-EXTRA-RG-SYNC-SEARCH-REGRECORDS-01": _records,
    "SR-CORE-RG-ASYNC-SEARCH-PREDICATE-01": _predicate_async,
    "SR-CORE-RG-SYNC-SEARCH-PREDICATE-01": _predicate_sync,
    "SR-CORE-RG-ASYNC-SEARCH-EXPRESSION-01": _expression_async,
    "SR-CORE-RG-SYNC-SEARCH-EXPRESSION-01": _expression_sync,
}


def _expect(found: object, wanted: object) -> None:
    assert found == wanted


@pytest.mark.parametrize("requirement", sorted(MET))
def test_requirement_met(world: World, registered: Received, requirement: str) -> None:
    assert requirement in _catalogue()
    MET[requirement](world, registered)


def test_every_registry_requirement_is_met_or_explained() -> None:
    catalogue = _catalogue()
    assert set(MET) | set(NOT_MET) == set(catalogue) and not set(MET) & set(NOT_MET)


def test_docs_table_says_what_the_tests_show() -> None:
    """docs/api.md has one row per requirement: `| ID | MET |` or `| ID | NOT MET | why |`."""
    rows = dict(re.findall(r"^\| `([A-Z0-9-]+)` \| (MET|NOT MET) \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE))
    assert rows == {**dict.fromkeys(MET, "MET"), **dict.fromkeys(NOT_MET, "NOT MET")}
