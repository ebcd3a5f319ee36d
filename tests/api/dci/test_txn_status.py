"""Issue 22's transaction status and callback delivery: a real receiver on 127.0.0.1 that refuses
the first N POSTs (503), every attempt recorded, the answer fetchable by txn/status whatever came of
its delivery (by transaction_id, correlation_id or reference_id_list), only by the partner that sent
it; expired transactions purged. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from typer.testing import CliRunner

from himaya import bootstrap
from himaya.adapters.dci.delivery import Posted, deliver, pauses
from himaya.adapters.dci.onboarding import set_partner
from himaya.cli.main import app
from himaya.db.dci_tables import dci_delivery, dci_reference
from himaya.db.tables import audit_entry, dci_transaction
from himaya.registry.partners import Delivery, Limits, PartnerTerms, Transaction, TxnStatus
from tests.api.conftest import World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import TXN_ANSWER, TXN_REQUEST, by_civil_number, errors, request, txn_status

Received = tuple[str, list[dict[str, Any]]]


def _post(world: World, path: str, body: Any, user: str = "partner") -> Any:
    return world.client.post(path, headers=world.headers(user), json=body)


def _attempts(world: World, correlation: str) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(dci_delivery).where(dci_delivery.c.correlation_id == correlation).order_by(dci_delivery.c.id)
        )
        return [dict(r) for r in rows.mappings()]


def _kept(world: World, correlation: str) -> dict[str, Any]:
    with world.engine.connect() as connection:
        row = connection.execute(select(dci_transaction).where(dci_transaction.c.correlation_id == correlation))
        return dict(row.mappings().one())


def _status(world: World, attribute: str, value: str | list[str]) -> dict[str, Any]:
    body = txn_status(attribute, value)
    assert errors(*TXN_REQUEST, document=body) == []
    answer = _post(world, "/registry/sync/txn/status", body)
    assert answer.status_code == 200 and errors(*TXN_ANSWER, document=answer.json()) == []
    return dict(answer.json())


def test_issue22_a_callback_refused_twice_is_delivered_on_the_third_attempt(
    world: World, registered: Received, failing: Any
) -> None:
    uri, received = registered
    failing.fail_first = 2
    ack = _post(world, "/registry/search", request(by_civil_number(world.inside["person_id"]), sender_uri=uri))
    correlation = ack.json()["message"]["correlation_id"]
    assert len(failing.refused) == 2 and len(received) == 1
    unsigned = [{k: v for k, v in c["body"].items() if k != "signature"} for c in (received[0], failing.refused[0])]
    assert unsigned[0] == unsigned[1]  # the same answer each time (signed at each attempt)
    attempts = _attempts(world, correlation)
    assert [(a["attempt"], a["outcome"], a["http_status"]) for a in attempts] == [
        (1, "failed", 503),
        (2, "failed", 503),
        (3, "delivered", 200),
    ]
    assert attempts[0]["error"] == "HTTP 503" and all(a["uri"] == uri for a in attempts)
    kept = _kept(world, correlation)
    assert kept["delivery"] == "delivered" and kept["attempts"] == 3


def test_issue22_a_callback_never_taken_stays_fetchable_by_txn_status(
    world: World, registered: Received, failing: Any
) -> None:
    uri, received = registered
    failing.fail_first = 100
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
    correlation = _post(world, "/registry/search", body).json()["message"]["correlation_id"]
    assert received == [] and len(failing.refused) == LIMITS.attempts  # bounded
    assert [a["outcome"] for a in _attempts(world, correlation)] == ["failed"] * LIMITS.attempts
    kept = _kept(world, correlation)
    assert kept["status"] == "succ" and kept["delivery"] == "failed" and kept["attempts"] == LIMITS.attempts
    answer = _status(world, "correlation_id", correlation)
    assert answer["header"]["status"] == "succ"
    found = answer["message"]["txnstatus_response"]["txn_status"]
    assert found["correlation_id"] == correlation
    assert found["search_response"] == failing.refused[0]["body"]["message"]["search_response"]


def test_issue22_a_closed_port_is_recorded_as_a_connection_error(world: World) -> None:
    transaction = Transaction(
        correlation_id="c-closed",
        client="partner",
        message_id="m-closed",
        transaction_id="t-closed",
        sender_id="s",
        kind="search",
        status=TxnStatus.SUCC,
        requests=1,
        callback_uri="http://127.0.0.1:9/on-search",  # discard port: nothing listens
        created_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + timedelta(days=1),
        delivery=Delivery.PENDING,
    )
    with bootstrap.unit_of_work(world.engine) as uow:
        assert uow.dci.open(transaction) is None  # kept (no id repeated)
        uow.commit()
    waits: list[float] = []
    limits = Limits(attempts=3, backoff=0.5)
    closed = [transaction.callback_uri or ""]
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add=closed, actor="setup")  # POSTed only if registered
    try:
        outcome = deliver(
            lambda: bootstrap.unit_of_work(world.engine), transaction, {}, limits=limits, sleep=waits.append
        )
    finally:
        set_partner(bootstrap.unit_of_work(world.engine), "partner", remove=closed, actor="setup")
    assert outcome is Delivery.FAILED and waits == [0.5, 1.0]
    attempts = _attempts(world, "c-closed")
    assert [a["http_status"] for a in attempts] == [None] * 3 and all("Connect" in a["error"] for a in attempts)


def test_issue22_the_backoff_doubles_and_the_attempts_are_bounded() -> None:
    assert pauses(Limits(attempts=4, backoff=2.0)) == [2.0, 4.0, 8.0]
    assert pauses(Limits(attempts=1)) == []
    sent: list[str] = []
    never = Limits(attempts=5, backoff=0.0)

    def refuse(uri: str, body: dict[str, Any]) -> Posted:
        sent.append(uri)
        return Posted(False, 500, "HTTP 500")

    transaction = Transaction(
        "c", "p", "m", "t", "s", "search", TxnStatus.SUCC, 1, "http://x/cb", *[datetime.now(UTC)] * 2
    )
    recorded: list[Any] = []

    class Recorder:  # stands for the unit of work: only what deliver's actions use
        def __init__(self) -> None:
            self.dci = self

        def partner(self, client: str) -> PartnerTerms:
            return PartnerTerms(client, callbacks=("http://x/cb",))

        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *args: object) -> None:
            pass

        def address(self, correlation: str, envelope: str) -> None:
            pass

        def attempted(self, correlation: str, attempt: Any) -> None:
            recorded.append(attempt)

        def delivered(self, correlation: str, state: Delivery, attempts: int) -> None:
            recorded.append(state)

        def commit(self) -> None:
            pass

    outcome = deliver(Recorder, transaction, {}, limits=never, send=refuse, sleep=lambda s: None)  # type: ignore[arg-type]
    assert outcome is Delivery.FAILED and len(sent) == 5
    assert [r for r in recorded if isinstance(r, Delivery)] == [Delivery.PENDING] * 4 + [Delivery.FAILED]


def test_issue22_txn_status_by_reference_id_list(world: World) -> None:
    body = request(by_civil_number(world.inside["person_id"]), by_civil_number("1"))
    first = _post(world, "/registry/sync/search", body).json()["message"]
    answer = _status(world, "reference_id_list", ["ref-1"])
    found = answer["message"]["txnstatus_response"]["txn_status"]
    assert found["correlation_id"] == first["correlation_id"]
    assert found["search_response"] == [first["search_response"][1]]  # only the request asked about
    assert _status(world, "reference_id_list", ["ref-never"])["header"]["status"] == "rjct"


def test_issue22_another_partners_transaction_is_answered_as_unknown(world: World) -> None:
    """The attacker's side: a partner asking about another's transaction learns nothing, not even
    that it exists: the same answer as for an id nobody sent."""
    body = request(by_civil_number(world.inside["person_id"]))
    _post(world, "/registry/sync/search", body)
    with world.engine.begin() as connection:
        connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.transaction_id == body["message"]["transaction_id"])
            .values(client="another-partner")
        )
        connection.execute(update(dci_reference).values(client="another-partner"))
    asked = {"transaction_id": body["message"]["transaction_id"], "reference_id_list": ["ref-0"]}
    nobody = {"transaction_id": "txn-nobody-sent", "reference_id_list": ["ref-nobody-sent"]}
    for attribute, value in asked.items():
        theirs, unknown = _status(world, attribute, value), _status(world, attribute, nobody[attribute])
        for answer in (theirs, unknown):
            assert "message" not in answer and answer["header"]["status"] == "rjct"
        assert theirs["header"]["status_reason_message"] == unknown["header"]["status_reason_message"]
    with world.engine.connect() as connection:  # the look-up is audited, with nothing found
        last = connection.execute(
            select(audit_entry.c.after).where(audit_entry.c.subject == "dci:partner").order_by(audit_entry.c.id.desc())
        ).scalar()
    assert json.loads(str(last))["txn_status"] == []


def test_issue22_async_txn_status_is_kept_and_retried(world: World, registered: Received, failing: Any) -> None:
    uri, received = registered
    body = request(by_civil_number(world.inside["person_id"]))
    _post(world, "/registry/sync/search", body)
    failing.fail_first = 1
    ack = _post(world, "/registry/txn/status", txn_status("transaction_id", body["message"]["transaction_id"], uri))
    assert ack.status_code == 200 and ack.json()["message"]["ack_status"] == "ACK"
    correlation = ack.json()["message"]["correlation_id"]
    assert len(failing.refused) == 1 and received[0]["body"]["header"]["action"] == "txn-on-status"
    assert [a["outcome"] for a in _attempts(world, correlation)] == ["failed", "delivered"]
    kept = _kept(world, correlation)
    assert kept["kind"] == "txn-status" and kept["delivery"] == "delivered" and kept["status"] == "succ"
    assert _status(world, "correlation_id", correlation)["header"]["status"] == "rjct"  # not a search


def test_issue22_purge_removes_expired_transactions_with_their_attempts(
    world: World, registered: Received, failing: Any, monkeypatch: Any
) -> None:
    uri, _ = registered
    failing.fail_first = 1
    body = request(by_civil_number("1"), sender_uri=uri)
    correlation = _post(world, "/registry/search", body).json()["message"]["correlation_id"]
    assert len(_attempts(world, correlation)) == 2
    with world.engine.begin() as connection:
        connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.correlation_id == correlation)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    real = bootstrap.unit_of_work
    monkeypatch.setattr(bootstrap, "unit_of_work", lambda engine=None: real(engine or world.engine))

    shown = CliRunner().invoke(app, ["partners", "deliveries", correlation])
    assert shown.exit_code == 0 and "failed (HTTP 503)" in shown.output and "delivered" in shown.output
    for line in shown.output.splitlines():  # as docs/cli.md shows them
        assert re.fullmatch(r"\d \S+\+00:00 http://127\.0\.0\.1:\d+/\S+ (delivered|failed \(.+\))", line), line
    # who may purge (an administrator logged in, once the store has one): tests/cli/test_keys_commands.py
    monkeypatch.setattr("himaya.cli.partners.administrator", lambda given: given)
    result = CliRunner().invoke(app, ["partners", "purge", "--actor", "ops"])
    assert result.exit_code == 0, result.output
    assert "removed 1 expired DCI transactions" in result.output
    assert _attempts(world, correlation) == []
    with world.engine.connect() as connection:
        refs = connection.execute(select(dci_reference).where(dci_reference.c.correlation_id == correlation))
        assert refs.first() is None
        audited = connection.execute(select(audit_entry.c.actor).where(audit_entry.c.action == "dci.purge")).scalars()
        assert list(audited) == ["ops"]
    assert CliRunner().invoke(app, ["partners", "deliveries", correlation]).exit_code != 0


def test_issue22_redeliver_sends_an_answer_its_partner_never_took(
    world: World, registered: Received, failing: Any, monkeypatch: Any
) -> None:
    """A receiver down for longer than the retries: the answer kept; `himaya partners redeliver`,
    once it is back, POSTs the same envelope, the attempts numbered on."""
    uri, received = registered
    failing.fail_first = LIMITS.attempts
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
    correlation = _post(world, "/registry/search", body).json()["message"]["correlation_id"]
    assert _kept(world, correlation)["delivery"] == "failed" and received == []
    real = bootstrap.unit_of_work
    monkeypatch.setattr(bootstrap, "unit_of_work", lambda engine=None: real(engine or world.engine))
    result = CliRunner().invoke(app, ["partners", "redeliver", "--attempts", "1"])  # other tests' too: no pauses
    assert result.exit_code == 0, result.output
    assert f"{correlation} {uri} delivered" in result.output
    again, first = received[0]["body"], failing.refused[0]["body"]
    signer = again.pop("signature").split(", created=")[0]  # signed at each POST, by the service's key
    assert signer == first.pop("signature").split(", created=")[0] and 'kidId="himaya|' in signer
    assert again == first  # the same envelope, header and all
    attempts = _attempts(world, correlation)
    assert [(a["attempt"], a["outcome"]) for a in attempts][-2:] == [(LIMITS.attempts, "failed"), (4, "delivered")]
    kept = _kept(world, correlation)
    assert kept["delivery"] == "delivered" and kept["attempts"] == LIMITS.attempts + 1
    again = CliRunner().invoke(app, ["partners", "redeliver", "--attempts", "1"])  # nothing left to deliver
    assert again.exit_code == 0 and correlation not in again.output and len(received) == 1
