"""A partner's `transaction_id` once per kind of message (issue 22): a search, txn status or
subscribe repeating one is refused 409 `rjct.transaction_id.duplicate` (the spec's generic code in the
answer's code field: it has none for this), with nothing kept or audited; another kind of message in
the same business transaction (its txn status) may carry it. Of two messages sent at once with one
transaction_id, one is kept and the other refused (PostgreSQL). On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from himaya import bootstrap
from himaya.adapters.dci import actions
from himaya.adapters.dci.envelope import RequestHeader, SearchItem
from himaya.adapters.dci.query import RejectedError, plan
from himaya.adapters.dci.signing import Seal, canonical
from himaya.core.access import Principal, Scope
from himaya.db.tables import audit_entry, dci_transaction
from tests.api.conftest import World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import ACK, SYNC_ANSWER, by_civil_number, errors, request, subscribe, txn_status

Received = tuple[str, list[dict[str, Any]]]


def _counts(world: World) -> tuple[int, int]:
    with world.engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(dci_transaction)).scalar_one()
        audited = connection.execute(select(func.count()).select_from(audit_entry)).scalar_one()
    return int(kept), int(audited)


def _again(body: dict[str, Any], transaction_id: str) -> dict[str, Any]:
    """The message as a new one (a new message_id) in the transaction `transaction_id`."""
    fresh = request(by_civil_number("1"))["header"]["message_id"]
    return body | {"header": body["header"] | {"message_id": fresh},
                   "message": body["message"] | {"transaction_id": transaction_id}}  # fmt: skip


def test_a_sync_search_repeating_a_transaction_id_is_refused_and_writes_nothing(world: World) -> None:
    first = request(by_civil_number("1"))
    transaction = first["message"]["transaction_id"]
    assert world.client.post("/registry/sync/search", headers=world.headers("partner"), json=first).status_code == 200
    before = _counts(world)
    again = world.client.post(
        "/registry/sync/search", headers=world.headers("partner"), json=_again(first, transaction)
    )
    assert again.status_code == 409, again.text
    header = again.json()["header"]
    assert header["status"] == "rjct" and errors(*SYNC_ANSWER, document=again.json()) == []
    assert header["status_reason_message"].startswith(f"rjct.transaction_id.duplicate: transaction_id {transaction!r}")
    assert _counts(world) == before
    status = _again(txn_status("transaction_id", transaction), transaction)  # its txn status: the same transaction
    answered = world.client.post("/registry/sync/txn/status", headers=world.headers("partner"), json=status)
    assert answered.status_code == 200 and answered.json()["header"]["status"] == "succ", answered.text


def test_an_async_search_or_subscribe_repeating_one_is_refused(world: World, registered: Received) -> None:
    first = request(by_civil_number("1"), sender_uri=registered[0])
    transaction = first["message"]["transaction_id"]
    ok = world.client.post("/registry/search", headers=world.headers("partner"), json=first)
    assert ok.json()["message"]["ack_status"] == "ACK", ok.text
    before = _counts(world)
    refused = world.client.post("/registry/search", headers=world.headers("partner"), json=_again(first, transaction))
    assert refused.status_code == 409 and errors(*ACK, document=refused.json()) == []
    error = refused.json()["message"]["error"]
    assert error["code"] == "err.request.bad" and error["message"].startswith("rjct.transaction_id.duplicate:")
    assert _counts(world) == before

    made = subscribe(by_civil_number("1")["query"], sender_uri=registered[0])
    assert world.client.post("/registry/subscribe", headers=world.headers("partner"), json=made).status_code == 200
    before = _counts(world)
    twice = _again(made, made["message"]["transaction_id"])
    twice["message"]["subscribe_request"][0]["subscribe_criteria"]["reg_event_type"] = "UPDATE"
    refused = world.client.post("/registry/subscribe", headers=world.headers("partner"), json=twice)
    assert (
        refused.status_code == 409 and "rjct.transaction_id.duplicate" in refused.json()["message"]["error"]["message"]
    )
    assert _counts(world) == before


def test_two_messages_sent_at_once_with_one_transaction_id_one_is_kept(world: World) -> None:
    """Two connections keeping two messages (two message_ids) with one transaction_id at once: the
    unique index decides, inside a savepoint: one kept, the other refused."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test: PostgreSQL only (SQLite serialises writers)")
    principal = Principal("partner", frozenset({"partner"}), frozenset(), (Scope("all"),), kind="client")
    barrier, outcomes = threading.Barrier(2), []

    def accept_one() -> None:
        body = request(by_civil_number("1"))  # its own message_id
        header = RequestHeader.model_validate(body["header"])
        planned = plan([SearchItem.model_validate(i) for i in body["message"]["search_request"]], max_requests=10)
        with bootstrap.unit_of_work(world.engine) as uow:
            barrier.wait()
            try:
                unsigned = Seal(None, canonical(body))
                actions.accept(
                    uow,
                    header,
                    "txn-race-2",
                    planned,
                    principal=principal,
                    limits=LIMITS,
                    callback=False,
                    seal=unsigned,
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
    assert sorted(outcomes) == ["accepted", "rjct.transaction_id.duplicate"]
    with world.engine.connect() as connection:
        kept = connection.execute(select(dci_transaction.c.id).where(dci_transaction.c.transaction_id == "txn-race-2"))
        assert len(kept.all()) == 1
