"""DCI CRVS updates of a registration across real HTTP (the tests' registry process): a correction or
a cancellation notified under the registration's own subscription, applied once; on both databases."""

from __future__ import annotations

from typing import Any

from tests.events.conftest import current, inbox
from tests.events.test_crvs_exchange import Exchange, child, enrollments, exchange  # noqa: F401  (fixture)


def update(record: dict[str, Any], what: str, registration: str, day: str) -> dict[str, Any]:
    pairs = [{"name": "registration_update", "value": what}, {"updates": registration}]  # both forms of a pair
    return {**record, "last_updated": f"{day}T09:00:00Z", "additional_attributes": pairs}


def test_a_notified_correction_then_cancellation_undo_a_death(exchange: Exchange) -> None:  # noqa: F811
    exchange.subscribe("Death")
    died = {**child("71000001", "1980-05-01"), "death_date": "2026-10-20"}
    assert exchange.notify("Death", "DTH-0001", died)["status"] == 202
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert current(exchange.engine, "71000002")["marital_status"] == "widowed"

    fixed = update({**died, "death_date": "2026-10-18"}, "correction", "DTH-0001", "2026-11-02")
    said = exchange.notify("Death", "DTH-0001-C1", fixed)
    assert said["status"] == 202 and said["body"]["received"] == 1, said
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert str(current(exchange.engine, "71000001")["death_date"]) == "2026-10-18"

    cancelled = update(died, "cancellation", "DTH-0001", "2026-11-03")
    assert exchange.notify("Death", "DTH-0001-X", cancelled)["status"] == 202
    again = exchange.notify("Death", "DTH-0001-X", cancelled)  # a replayed cancellation
    assert (again["status"], again["body"]["duplicate"]) == (202, 1), again
    assert "applied 1," in exchange.himaya_cli("events", "process").output, inbox(exchange.engine)
    assert current(exchange.engine, "71000001")["death_date"] is None
    assert current(exchange.engine, "71000002")["marital_status"] == "married"
    states = inbox(exchange.engine).select("source_event_id", "kind", "state").rows()
    assert states == [("DTH-0001", "death", "applied"), ("DTH-0001-C1", "correction", "applied"),
                      ("DTH-0001-X", "cancellation", "applied")]  # fmt: skip


def test_a_notified_cancelled_birth_withdraws_the_child(exchange: Exchange) -> None:  # noqa: F811
    exchange.subscribe("LiveBirth")
    assert exchange.notify("LiveBirth", "BRN-0001", child("71000099", "2026-09-15"))["status"] == 202
    exchange.himaya_cli("events", "process")
    assert [e[3] for e in enrollments(exchange.engine, "71000099")] == ["active"]
    cancelled = update(child("71000099", "2026-09-15"), "cancellation", "BRN-0001", "2026-11-01")
    assert exchange.notify("LiveBirth", "BRN-0001-X", cancelled)["status"] == 202
    assert "applied 1," in exchange.himaya_cli("events", "process").output, inbox(exchange.engine)
    assert current(exchange.engine, "71000099") == {}
    assert [e[3] for e in enrollments(exchange.engine, "71000099")] == ["ended"]


def test_an_update_that_cannot_be_read_is_refused(exchange: Exchange) -> None:  # noqa: F811
    exchange.subscribe("Death")
    died = {**child("71000001", "1980-05-01"), "death_date": "2026-10-20"}
    what = exchange.notify("Death", "X1", update(died, "undo", "DTH-0001", "2026-11-02"))
    assert what["status"] == 422 and "is not correction or cancellation" in what["body"]["error"]["message"], what
    nameless = update(died, "cancellation", "DTH-0001", "2026-11-02")
    nameless["additional_attributes"] = nameless["additional_attributes"][:1]
    which = exchange.notify("Death", "X2", nameless)
    assert which["status"] == 422 and "additional_attributes.updates" in which["body"]["error"]["message"]
    undated = {k: v for k, v in update(died, "cancellation", "DTH-0001", "2026-11-02").items() if k != "last_updated"}
    assert "last_updated: missing" in exchange.notify("Death", "X3", undated)["body"]["error"]["message"]
    unborn = update(child("71000099", "2026-09-15"), "cancellation", "B", "2026-11-02")
    other = exchange.notify("LiveBirth", "X4", unborn)
    assert other["status"] == 403, other  # an update comes under its registration's subscription
    assert inbox(exchange.engine).height == 0
