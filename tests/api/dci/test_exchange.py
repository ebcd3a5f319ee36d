"""The DCI exchange's defences and bookkeeping: the attacks of issue 12 (items 11 and 15) and the
transaction status, retries, retention and duplicates of issue 22, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from himaya import bootstrap
from himaya.adapters.dci import actions
from himaya.adapters.dci.envelope import RequestHeader, SearchItem
from himaya.adapters.dci.onboarding import PartnerError, set_partner
from himaya.adapters.dci.query import RejectedError, plan
from himaya.adapters.dci.signing import Seal, canonical
from himaya.core.access import Principal, Scope
from himaya.core.errors import NotFoundError
from himaya.db.tables import audit_entry, dci_transaction
from himaya.registry.partners import Limits
from tests.api.conftest import World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import SENDER, by_civil_number, request, txn_status

Received = tuple[str, list[dict[str, Any]]]


def _predicate(*expressions: dict[str, Any]) -> dict[str, Any]:
    return {"query_type": "predicate", "query": list(expressions)}


def _post(world: World, path: str, body: Any) -> Any:
    content = body if isinstance(body, str) else json.dumps(body)
    headers = {**world.headers("partner"), "Content-Type": "application/json"}
    return world.client.post(path, headers=headers, content=content)


def _transaction(world: World, correlation: str) -> dict[str, Any]:
    with world.engine.connect() as connection:
        row = connection.execute(select(dci_transaction).where(dci_transaction.c.correlation_id == correlation))
        return dict(row.mappings().one())


# --- issue 12 item 11: bad input is a 4xx or a rejected search request, never a 500 ------------------------

EMPTY_IN = {"seq_num": 1, "expression1": {"attribute_name": "wilayat", "operator": "eq", "attribute_value": []}}
ATTACKS = {
    "attribute_value_empty_list": _predicate(EMPTY_IN),
    "seq_num_mixed": _predicate(
        {"seq_num": "", "expression1": {"attribute_name": "sex", "attribute_value": "male"}},
        {"seq_num": 1, "expression1": {"attribute_name": "YOB", "operator": "lt", "attribute_value": 2000}},
    ),
    "seq_num_none": _predicate({"seq_num": None, "expression1": {"attribute_name": "sex", "attribute_value": "male"}}),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_issue12_item11_odd_predicates_are_answered_not_500(world: World, name: str) -> None:
    answer = _post(world, "/registry/sync/search", request(ATTACKS[name]))
    assert answer.status_code == 200, answer.text
    item = answer.json()["message"]["search_response"][0]
    if name == "attribute_value_empty_list":
        assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.search_criteria.invalid"
    else:  # "" or none sorts as 0 (the upstream samples send ""): the search is made
        assert item["status"] == "succ"


@pytest.mark.parametrize(
    "body",
    [
        '{"header": ' + "[" * 5000 + "]" * 5000 + "}",
        json.dumps(request(_predicate({"seq_num": {"a": 1}, "expression1": {"attribute_name": "sex"}}))),
        json.dumps(request(by_civil_number("\ud800"))),
        '{"header": {"x": ' + "[" * 36 + "1" + "]" * 36 + "}}",
    ],
    ids=["nested_5000", "seq_num_dict", "lone_surrogate", "nested_36"],
)
@pytest.mark.parametrize("path", ["/registry/sync/search", "/registry/search"])
def test_issue12_item11_malformed_messages_get_a_dci_400(world: World, path: str, body: str) -> None:
    answer = _post(world, path, body)
    if "\\ud800" in body or body.count("[") > 64:
        # Refused at the door, before authentication, as on every endpoint (api/guard.py): never a 500.
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_input", answer.text
        return
    assert answer.status_code == 400, answer.text
    if path == "/registry/search":
        assert answer.json()["message"]["ack_status"] == "ERR"
    else:
        assert answer.json()["header"]["status"] == "rjct"


def test_issue12_item11_async_empty_list_is_validated_before_the_ack(world: World, registered: Received) -> None:
    """The search is checked before the ACK: the callback carries its rejection, and the transaction
    ends `rjct` (it stayed `pdng` for ever)."""
    uri, received = registered
    ack = _post(world, "/registry/search", request(_predicate(EMPTY_IN), sender_uri=uri)).json()["message"]
    assert ack["ack_status"] == "ACK"
    item = received[0]["body"]["message"]["search_response"][0]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.search_criteria.invalid"
    assert _transaction(world, ack["correlation_id"])["status"] == "rjct"


def test_issue12_item11_a_failure_in_the_background_ends_the_transaction(
    world: World, registered: Received, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, received = registered

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("himaya.db.stores.dci.SqlDciStore.search", broken)
    ack = _post(world, "/registry/search", request(by_civil_number("1"), sender_uri=uri)).json()["message"]
    assert ack["ack_status"] == "ACK"
    kept = _transaction(world, ack["correlation_id"])
    assert kept["status"] == "rjct" and kept["error"] == "the search failed on the server"
    assert kept["delivery"] == "delivered"
    assert received[0]["body"]["header"]["status"] == "rjct"  # the error callback
    assert "failed" in received[0]["body"]["header"]["status_reason_message"]


# --- issue 12 item 15: partners' callbacks and limits --------------------------------------------------------


def test_issue12_item15_records_per_message_are_limited(world: World) -> None:
    app = world.client.app
    app.state.dci_limits = Limits(max_records=150, per_minute=1_000_000)  # type: ignore[attr-defined]
    paged = {**by_civil_number("1"), "pagination": {"page_size": 100, "page_number": 1}}
    answer = _post(world, "/registry/sync/search", request(paged, paged))
    assert answer.status_code == 400
    assert answer.json()["header"]["status_reason_code"] == "rjct.total_count.limit_exceeded"
    set_partner(bootstrap.unit_of_work(world.engine), "partner", max_records=200, actor="admin")
    try:  # the partner's own terms take precedence over the setting
        assert _post(world, "/registry/sync/search", request(paged, paged)).status_code == 200
    finally:
        set_partner(bootstrap.unit_of_work(world.engine), "partner", max_records=10_000, actor="admin")


def test_issue12_item15_requests_per_message_are_limited(world: World) -> None:
    world.client.app.state.dci_limits = Limits(max_requests=3, per_minute=1_000_000)  # type: ignore[attr-defined]
    answer = _post(world, "/registry/sync/search", request(*[by_civil_number(str(i)) for i in range(4)]))
    assert answer.status_code == 400
    assert answer.json()["header"]["status_reason_code"] == "rjct.total_count.limit_exceeded"


def test_issue12_item15_requests_per_minute_are_limited(world: World) -> None:
    world.client.app.state.dci_limits = Limits(per_minute=5)  # type: ignore[attr-defined]
    with world.engine.begin() as connection:  # the minute starts clean for this test
        connection.execute(update(dci_transaction).values(created_at=dci_transaction.c.created_at - timedelta(hours=1)))
    three = request(*[by_civil_number(str(i)) for i in range(3)])
    assert _post(world, "/registry/sync/search", three).status_code == 200
    again = _post(world, "/registry/sync/search", request(*[by_civil_number(str(i)) for i in range(3)]))
    assert again.status_code == 429
    assert "5 search requests a minute" in again.json()["header"]["status_reason_message"]
    later = _post(world, "/registry/search", request(by_civil_number("1"), by_civil_number("2"), by_civil_number("3")))
    assert later.status_code == 429 and later.json()["message"]["error"]["code"] == "err.request.too_many_requests"


def test_issue12_item15_callbacks_are_checked_when_registered(world: World) -> None:
    uow = bootstrap.unit_of_work(world.engine)
    for bad in ("ftp://127.0.0.1/x", "http:///nohost", "http://user:pw@host/x", "http://host/x#frag"):
        with pytest.raises(PartnerError):
            set_partner(uow, "partner", add=[bad], actor="admin")
    with pytest.raises(NotFoundError):  # only partner systems (client users) have terms
        set_partner(uow, "registrar", add=["http://host/x"], actor="admin")
    with pytest.raises(NotFoundError):
        set_partner(uow, "partner", remove=["http://never-registered/x"], actor="admin")


# --- issue 22: sender binding, duplicates, transaction id, txn status, retries, retention ---------------------


def test_issue22_sender_id_is_bound_to_the_client(world: World) -> None:
    body = request(by_civil_number(world.inside["person_id"]))
    body["header"]["sender_id"] = "another.ministry"
    answer = _post(world, "/registry/sync/search", body)
    assert answer.status_code == 403
    with world.engine.connect() as connection:
        subjects = connection.execute(select(audit_entry.c.subject).where(audit_entry.c.subject.like("dci:%")))
        assert all(s == "dci:partner" for s in subjects.scalars())  # the client's name, never a claimed one


def test_issue22_duplicate_message_id_is_refused(world: World) -> None:
    body = request(by_civil_number("1"))
    assert _post(world, "/registry/sync/search", body).status_code == 200
    again = _post(world, "/registry/sync/search", body)
    assert again.status_code == 409
    assert again.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"


def test_issue22_a_message_without_transaction_id_gets_a_proper_answer(world: World) -> None:
    body = request(by_civil_number("1"))
    del body["message"]["transaction_id"]
    answer = _post(world, "/registry/sync/search", body)
    assert answer.status_code == 400
    assert "transaction_id" in answer.json()["header"]["status_reason_message"]


def test_issue22_sync_txn_status_returns_the_kept_answer(world: World) -> None:
    body = request(by_civil_number(world.inside["person_id"]))
    first = _post(world, "/registry/sync/search", body).json()
    status = _post(world, "/registry/sync/txn/status", txn_status("transaction_id", body["message"]["transaction_id"]))
    assert status.status_code == 200
    answer = status.json()
    assert answer["header"]["action"] == "txn-on-status" and answer["header"]["status"] == "succ"
    kept = answer["message"]["txnstatus_response"]["txn_status"]
    assert kept["correlation_id"] == first["message"]["correlation_id"]
    assert (
        kept["search_response"][0]["data"]["reg_records"]
        == first["message"]["search_response"][0]["data"]["reg_records"]
    )
    unknown = _post(world, "/registry/sync/txn/status", txn_status("correlation_id", "no-such")).json()
    assert unknown["header"]["status"] == "rjct" and "message" not in unknown


def test_issue22_txn_status_shows_only_the_callers_transactions(world: World) -> None:
    body = request(by_civil_number("1"))
    _post(world, "/registry/sync/search", body)
    with world.engine.begin() as connection:
        connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.transaction_id == body["message"]["transaction_id"])
            .values(client="another-partner")
        )
    asked = _post(world, "/registry/sync/txn/status", txn_status("transaction_id", body["message"]["transaction_id"]))
    assert asked.json()["header"]["status"] == "rjct"


def test_issue22_answers_are_kept_for_the_retention_period_only(world: World) -> None:
    body = request(by_civil_number("1"))
    correlation = _post(world, "/registry/sync/search", body).json()["message"]["correlation_id"]
    with world.engine.begin() as connection:
        connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.correlation_id == correlation)
            .values(expires_at=dci_transaction.c.created_at - timedelta(seconds=1))
        )
    gone = _post(world, "/registry/sync/txn/status", txn_status("correlation_id", correlation)).json()
    assert gone["header"]["status"] == "rjct"
    _post(world, "/registry/sync/search", request(by_civil_number("1")))  # a new message removes expired ones
    with world.engine.connect() as connection:
        left = connection.execute(select(dci_transaction.c.id).where(dci_transaction.c.correlation_id == correlation))
        assert left.first() is None


def test_issue22_async_txn_status_calls_back(world: World, registered: Received) -> None:
    uri, received = registered
    body = request(by_civil_number("1"))
    _post(world, "/registry/sync/search", body)
    ack = _post(world, "/registry/txn/status", txn_status("transaction_id", body["message"]["transaction_id"], uri))
    assert ack.status_code == 200 and ack.json()["message"]["ack_status"] == "ACK"
    assert received[0]["body"]["header"]["action"] == "txn-on-status"
    assert received[0]["body"]["message"]["txnstatus_response"]["txn_type"] == "search"
    assert received[0]["body"]["header"]["receiver_id"] == SENDER


def _expression(query: Any, collection: str = "Person") -> dict[str, Any]:
    value = {"expression": {"collection": collection, "query": query}}
    return {"query_type": "expression", "query": {"type": "ns:org:QueryType:expression", "value": value}}


@pytest.mark.parametrize(
    ("criteria", "succeeds"),
    [
        (_expression({"$or": [{"sex": "male"}, {"$not": {"YOB": {"$gte": 1950}}}]}), True),
        (_expression({"UIN": {"$in": ["1", "2"]}}), True),
        (_expression({"sex": "male"}, collection="Group"), False),
        (_expression({"salary": {"$lt": 5}}), False),
        (_expression({"sex": {"$regex": ".*"}}), False),
        (_expression({"sex": {"$eq": {"nested": 1}}}), False),
        (_expression({"$and": [{"sex": "male"}] * 60}), False),
        (_expression({"$and": []}), False),
    ],
)
def test_issue22_expression_queries(world: World, criteria: dict[str, Any], succeeds: bool) -> None:
    answer = _post(world, "/registry/sync/search", request(criteria))
    assert answer.status_code == 200
    item = answer.json()["message"]["search_response"][0]
    assert item["status"] == ("succ" if succeeds else "rjct")
    if not succeeds:
        assert item["status_reason_code"] == "rjct.search_criteria.invalid"


def test_issue22_two_simultaneous_messages_with_one_id_one_is_accepted(world: World) -> None:
    """On PostgreSQL, two connections accepting the same message_id at once: exactly one keeps it,
    the other is refused as a duplicate (the unique index decides, inside a savepoint)."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test: PostgreSQL only (SQLite serialises writers)")
    body = request(by_civil_number("1"))
    header = RequestHeader.model_validate(body["header"])
    planned = plan([SearchItem.model_validate(i) for i in body["message"]["search_request"]], max_requests=10)
    principal = Principal("partner", frozenset({"partner"}), frozenset(), (Scope("all"),), kind="client")
    barrier, outcomes = threading.Barrier(2), []

    def accept_one() -> None:
        with bootstrap.unit_of_work(world.engine) as uow:
            barrier.wait()
            try:
                unsigned = Seal(None, canonical(body))  # the partner has no keys: unsigned is read
                actions.accept(
                    uow, header, "txn-race", planned, principal=principal, limits=LIMITS, callback=False, seal=unsigned
                )
                uow.commit()
                outcomes.append("accepted")
            except RejectedError as error:
                outcomes.append(error.reason)

    threads = [threading.Thread(target=accept_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "rjct.message_id.duplicate"]
    with world.engine.connect() as connection:
        kept = connection.execute(select(dci_transaction.c.id).where(dci_transaction.c.message_id == header.message_id))
        assert len(kept.all()) == 1
