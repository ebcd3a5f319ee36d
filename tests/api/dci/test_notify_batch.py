"""DCI notify in batches (issue 22): a subscription's events queued before a send go in one notify
message (`notify_event` is an array; `notifying.BATCH` at most), each event still kept, audited,
its delivery recorded, and redelivered with the others of its message. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select

from himaya import bootstrap
from himaya.adapters.dci import delivery
from himaya.adapters.dci.actions import deliveries
from himaya.bootstrap import dci as wiring
from himaya.db.tables import audit_entry
from himaya.registry.partners import Delivery
from tests.api.conftest import World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.test_notify import _notified, _patch, _subscribe, _valid

Received = tuple[str, list[dict[str, Any]]]


def _send(world: World, batch: int = 20) -> list[tuple[Any, Delivery]]:
    state = world.client.app.state  # type: ignore[attr-defined]
    return wiring.notify_partners(
        world.engine,
        state.settings,
        key=state.tokens.key,
        country=state.pack.country,
        sign=state.dci_sign,
        bearer=state.dci_bearer,
        attempts=LIMITS.attempts,
        batch=batch,
    )


def _person(world: World, row: int) -> str:
    """A person of the supervisor's governorate (who patches), each test its own."""
    here = world.people.filter(pl.col("governorate") == world.inside["governorate"]).sort("person_id")
    return str(here.row(row, named=True)["person_id"])


def _audited(world: World) -> int:
    with world.engine.connect() as connection:
        query = select(func.count()).select_from(audit_entry).where(audit_entry.c.action == "dci.notify")
        return int(connection.execute(query).scalar_one())


def test_a_subscriptions_events_go_in_one_message(world: World, registered: Received) -> None:
    civil = _person(world, 5)
    _subscribe(world, registered, civil, "UPDATE")
    audited = _audited(world)
    for mobile in ("+96899100001", "+96899100002", "+96899100003"):
        _patch(world, civil, {"mobile": mobile})
    sent = _send(world)
    assert [o for _, o in sent] == [Delivery.DELIVERED] * 3 and len({t.correlation_id for t, _ in sent}) == 3
    (body,) = _notified(registered, civil)  # one POST
    assert _valid(body) and body["header"]["total_count"] == body["header"]["completed_count"] == 3
    events = body["message"]["notify_event"]
    phones = [e["data"]["reg_records"]["phone_number"] for e in events]
    assert phones == ["+96899100003"] * 3  # each event with the record as the partner may read it when sent
    assert body["message"]["transaction_id"] == sent[0][0].correlation_id  # the first event's id
    assert _audited(world) == audited + 3  # each event audited
    for transaction, _ in sent:  # each event's delivery recorded
        (attempt,) = deliveries(bootstrap.unit_of_work(world.engine), transaction.correlation_id)
        assert attempt.attempt == 1 and attempt.outcome.value == "delivered"


def test_a_batch_is_bounded(world: World, registered: Received) -> None:
    civil = _person(world, 6)
    _subscribe(world, registered, civil, "UPDATE")
    for mobile in ("+96899200001", "+96899200002", "+96899200003"):
        _patch(world, civil, {"mobile": mobile})
    assert len(_send(world, batch=2)) == 3
    sizes = [len(b["message"]["notify_event"]) for b in _notified(registered, civil)]
    assert sizes == [2, 1]


def test_a_batch_is_redelivered_whole_once(world: World, registered: Received, failing: Any) -> None:
    civil = _person(world, 7)
    _subscribe(world, registered, civil, "UPDATE")
    failing.fail_first = LIMITS.attempts  # every attempt of the first delivery fails
    for mobile in ("+96899300001", "+96899300002"):
        _patch(world, civil, {"mobile": mobile})
    sent = _send(world)
    assert [o for _, o in sent] == [Delivery.FAILED] * 2 and len(failing.refused) == LIMITS.attempts
    state = world.client.app.state  # type: ignore[attr-defined]
    again = delivery.redeliver(
        lambda: bootstrap.unit_of_work(world.engine), limits=LIMITS, sign=state.dci_sign, bearer=state.dci_bearer
    )
    ours = {t.correlation_id for t, _ in sent}
    assert sorted(o for t, o in again if t.correlation_id in ours) == [Delivery.DELIVERED] * 2
    (taken,) = _notified(registered, civil)  # one POST carried both, as first sent
    assert taken["message"] == failing.refused[0]["body"]["message"] and len(taken["message"]["notify_event"]) == 2
    for transaction, _ in sent:
        attempts = deliveries(bootstrap.unit_of_work(world.engine), transaction.correlation_id)
        assert [a.outcome.value for a in attempts] == ["failed"] * LIMITS.attempts + ["delivered"]
