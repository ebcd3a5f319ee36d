"""The DCI exchange from the attacker's side, on SQLite and PostgreSQL: an answer never POSTed to an
address its partner no longer has registered (a removed or changed callback: a domain given up and
taken by someone else), however it is delivered again; a txn status message replayed under a
message_id already used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from himaya import bootstrap
from himaya.adapters.dci.delivery import Posted, deliver
from himaya.adapters.dci.onboarding import set_partner
from himaya.cli.main import app
from himaya.db.dci_tables import dci_delivery
from himaya.db.tables import audit_entry, dci_transaction
from himaya.registry.partners import Delivery, Limits, Transaction, TxnStatus
from tests.api.conftest import World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import TXN_ANSWER, by_civil_number, errors, request, txn_status

Received = tuple[str, list[dict[str, Any]]]
ELSEWHERE = "https://partner.example.om/v2/on-search"  # the partner's new address


def _post(world: World, path: str, body: Any) -> Any:
    return world.client.post(path, headers=world.headers("partner"), json=body)


def _kept(world: World, correlation: str) -> dict[str, Any]:
    with world.engine.connect() as connection:
        row = connection.execute(select(dci_transaction).where(dci_transaction.c.correlation_id == correlation))
        return dict(row.mappings().one())


def _attempts(world: World, correlation: str) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(dci_delivery).where(dci_delivery.c.correlation_id == correlation).order_by(dci_delivery.c.id)
        )
        return [dict(r) for r in rows.mappings()]


# --- 1. redelivery only to an address registered now ----------------------------------------------------


def test_redeliver_never_posts_to_a_callback_the_partner_no_longer_has(
    world: World, registered: Received, failing: Any, monkeypatch: Any
) -> None:
    uri, received = registered
    failing.fail_first = LIMITS.attempts
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
    correlation = _post(world, "/registry/search", body).json()["message"]["correlation_id"]
    assert _kept(world, correlation)["delivery"] == "failed" and len(failing.refused) == LIMITS.attempts
    # The partner moves: its old address is removed (the domain may be someone else's tomorrow).
    set_partner(bootstrap.unit_of_work(world.engine), "partner", remove=[uri], add=[ELSEWHERE], actor="admin")
    real = bootstrap.unit_of_work
    monkeypatch.setattr(bootstrap, "unit_of_work", lambda engine=None: real(engine or world.engine))
    result = CliRunner().invoke(app, ["partners", "redeliver", "--attempts", "1"])
    assert result.exit_code == 0, result.output
    assert received == [] and len(failing.refused) == LIMITS.attempts  # the old address got nothing
    assert {a["uri"] for a in _attempts(world, correlation)} == {uri}  # nor did the new one: not its answer
    line = next(x for x in result.output.splitlines() if x.startswith(correlation))
    assert line == (
        f"{correlation} {uri} refused (not sent: {uri} is no longer a callback address registered for partner"
        " 'partner')"
    )
    kept = _kept(world, correlation)
    assert kept["delivery"] == "refused" and kept["attempts"] == LIMITS.attempts  # no POST counted
    last = _attempts(world, correlation)[-1]
    assert last["outcome"] == "failed" and last["http_status"] is None and last["error"].startswith("not sent:")
    again = CliRunner().invoke(app, ["partners", "redeliver", "--attempts", "1"])  # it is not tried again
    assert again.exit_code == 0 and correlation not in again.output and received == []
    with world.engine.connect() as connection:
        refused = connection.execute(
            select(audit_entry.c.subject).where(audit_entry.c.action == "dci.delivery.refused")
        ).scalars()
        assert list(refused) == [f"correlation:{correlation}"]
    set_partner(bootstrap.unit_of_work(world.engine), "partner", remove=[ELSEWHERE], actor="admin")


def test_a_callback_removed_between_two_attempts_gets_no_further_post(world: World, registered: Received) -> None:
    """The service's own retries too: an address removed while they wait is not POSTed again."""
    uri, _ = registered
    transaction = Transaction(
        correlation_id="c-moved",
        client="partner",
        message_id="m-moved",
        transaction_id="t-moved",
        sender_id="s",
        kind="search",
        status=TxnStatus.SUCC,
        requests=1,
        callback_uri=uri,
        created_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + timedelta(days=1),
        delivery=Delivery.PENDING,
    )
    with bootstrap.unit_of_work(world.engine) as uow:
        assert uow.dci.open(transaction) is None  # kept (no id repeated)
        uow.commit()
    posted: list[str] = []

    def refuse_then_move(address: str, body: dict[str, Any]) -> Posted:
        posted.append(address)
        if len(posted) == 1:  # the admin removes the address while the retries wait
            set_partner(bootstrap.unit_of_work(world.engine), "partner", remove=[uri], actor="admin")
        return Posted(False, 503, "HTTP 503")

    outcome = deliver(
        lambda: bootstrap.unit_of_work(world.engine),
        transaction,
        {"answer": 1},
        limits=Limits(attempts=4, backoff=0.0),
        send=refuse_then_move,
        sleep=lambda s: None,
    )
    assert outcome is Delivery.REFUSED and posted == [uri]  # one POST, then none
    assert [(a["attempt"], a["http_status"]) for a in _attempts(world, "c-moved")] == [(1, 503), (2, None)]
    assert _kept(world, "c-moved")["delivery"] == "refused"


# --- 5. a replayed txn status message -----------------------------------------------------------------


def test_a_replayed_sync_txn_status_is_refused_as_a_duplicate(world: World) -> None:
    search = request(by_civil_number(world.inside["person_id"]))
    assert _post(world, "/registry/sync/search", search).status_code == 200
    body = txn_status("transaction_id", search["message"]["transaction_id"])
    first = _post(world, "/registry/sync/txn/status", body)
    assert first.status_code == 200 and first.json()["header"]["status"] == "succ"
    again = _post(world, "/registry/sync/txn/status", body)  # the same message, replayed
    assert again.status_code == 409 and errors(*TXN_ANSWER, document=again.json()) == []
    header = again.json()["header"]
    assert header["status"] == "rjct" and header["status_reason_code"] == "rjct.message_id.duplicate"
    assert "message" not in again.json()  # nothing of the transaction given back
    reused = txn_status("transaction_id", search["message"]["transaction_id"])
    reused["header"]["message_id"] = search["header"]["message_id"]  # a search's message_id, reused
    assert _post(world, "/registry/sync/txn/status", reused).status_code == 409
    with world.engine.connect() as connection:  # the look-up of the replay was not audited as a read
        reads = connection.execute(
            select(audit_entry.c.after).where(audit_entry.c.action == "read", audit_entry.c.subject == "dci:partner")
        ).scalars()
        assert sum("txn_status" in r for r in reads) == 1
