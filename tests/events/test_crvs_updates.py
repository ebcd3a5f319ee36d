"""DCI CRVS updates of a registration across real HTTP (the tests' registry process): a correction or
a cancellation notified under the registration's own subscription, applied once; on both databases."""

from __future__ import annotations

from typing import Any

import httpx

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


def test_adoption_and_fetal_death_notified(exchange: Exchange) -> None:  # noqa: F811
    codes = exchange.subscribe("Adoption", "FetalDeath")
    kinds = [
        i["subscribe_criteria"]["reg_event_type"] for i in exchange.registry.seen[0]["message"]["subscribe_request"]
    ]
    assert len(codes) == 2 and kinds == ["spdci-common:RegistryEventType:Adoption",
                                         "spdci-common:RegistryEventType:FetalDeath"]  # fmt: skip
    adopted = {**child("71000021", "2008-11-03"), "registration_date": "2026-10-01T10:00:00Z"}
    assert exchange.notify("Adoption", "ADO-0001", adopted)["status"] == 202
    stillborn = {"parent1_identifier": {"identifier_type": "UIN", "identifier_value": "71000002"},
                 "death_date": "2026-10-12", "sex": "male"}  # fmt: skip
    said = exchange.notify("FetalDeath", "FD-0001", stillborn)
    assert said["status"] == 202, said
    assert "applied 2," in exchange.himaya_cli("events", "process").output, inbox(exchange.engine)
    moved = current(exchange.engine, "71000021")
    assert (moved["family_id"], moved["relationship"]) == ("F1", "child")
    assert inbox(exchange.engine).select("kind", "subject").rows() == [("adoption", "71000021"),
                                                                        ("fetal_death", "71000002")]  # fmt: skip
    listed = exchange.himaya_cli("events", "crvs-subscriptions").output
    assert "adoption" in listed and "fetal_death" in listed, listed


def test_a_filtered_subscription_on_a_schedule(exchange: Exchange) -> None:  # noqa: F811
    args = ["--filter", "death_place.locality=Nizwa", "--frequency", "0 0 0 5,15 * ? *",
            "--from", "2026-01-01T00:00:00+04:00", "--until", "2099-01-01T00:00:00+04:00"]  # fmt: skip
    exchange.subscribe("Death", more=args)
    asked = exchange.registry.seen[0]["message"]["subscribe_request"][0]["subscribe_criteria"]
    assert asked["filter_type"] == "predicate" and asked["filter"] == [{"seq_num": 1, "expression1": {
        "attribute_name": "death_place.locality", "operator": "eq", "attribute_value": "Nizwa"}}]  # fmt: skip
    assert asked["frequency"]["frequency"] == "0 0 0 5,15 * ? *"
    listed = exchange.himaya_cli("events", "crvs-subscriptions").output
    assert "| death_place.locality=Nizwa; every '0 0 0 5,15 * ? *' from 2026-01-01T00:00:00+04:00" in listed, listed
    died = {**child("71000001", "1980-05-01"), "death_date": "2026-10-20"}
    elsewhere = exchange.notify("Death", "DTH-0001", {**died, "death_place": {"locality": "Sur"}})
    assert elsewhere["status"] == "filtered", elsewhere
    here = exchange.notify("Death", "DTH-0002", {**died, "death_place": {"locality": "Nizwa"}})
    assert here["status"] == "queued" and inbox(exchange.engine).height == 0
    sent = httpx.post(f"{exchange.registry_url}/control/flush", timeout=60).json()
    assert (sent["status"], sent["sent"], sent["body"]["received"]) == (202, 1, 1), sent
    assert inbox(exchange.engine)["source_event_id"].to_list() == ["DTH-0002"]


def test_what_no_subscription_asked_for_is_refused_whole(exchange: Exchange) -> None:  # noqa: F811
    """A registry in error sends a death the filter does not take, or outside the subscription's
    window: refused (403) naming the event and the reason, nothing kept; an update of a registration
    taken is not held to the filter (its record need not repeat the place)."""
    exchange.subscribe("Death", more=["--filter", "death_place.locality=Nizwa"])
    died = {**child("71000001", "1980-05-01"), "death_date": "2026-10-20"}
    sur = exchange.notify("Death", "DTH-0001", {**died, "death_place": {"locality": "Sur"}}, unfiltered=True)
    assert sur["status"] == 403, sur
    said = str(sur["body"])
    assert "notify_event.0 ('DTH-0001')" in said and "death_place.locality is 'Sur'" in said, said
    nowhere = exchange.notify("Death", "DTH-0002", died, unfiltered=True)  # no place at all
    assert nowhere["status"] == 403 and "it has no death_place.locality" in str(nowhere["body"]), nowhere
    assert inbox(exchange.engine).height == 0
    assert exchange.notify("Death", "DTH-0003", {**died, "death_place": {"locality": "Nizwa"}})["status"] == 202
    fixed = update({**died, "death_date": "2026-10-18"}, "correction", "DTH-0003", "2026-11-02")
    assert exchange.notify("Death", "DTH-0003-C1", fixed, unfiltered=True)["status"] == 202
    assert inbox(exchange.engine)["source_event_id"].to_list() == ["DTH-0003", "DTH-0003-C1"]


def test_a_subscription_whose_window_has_passed_takes_nothing(exchange: Exchange) -> None:  # noqa: F811
    window = ["--frequency", "0 0 0 5,15 * ? *", "--from", "2020-01-01T00:00:00+04:00",
              "--until", "2021-01-01T00:00:00+04:00"]  # fmt: skip
    exchange.subscribe("LiveBirth", more=window)
    born = exchange.notify("LiveBirth", "BRN-0001", child("71000004", "2026-10-05"), unfiltered=True)
    assert born["status"] == 403 and "outside the subscription's window" in str(born["body"]), born
    assert inbox(exchange.engine).height == 0


def test_bad_subscription_criteria_are_refused_before_anything_is_sent(exchange: Exchange) -> None:  # noqa: F811
    base = ["events", "crvs-subscribe", exchange.registry_url, "--registry-id", "r", "--client", "civreg",
            "--callback", f"{exchange.himaya}/events/dci/on-subscribe", "--event", "Death"]  # fmt: skip
    for more, said in (
        (["--filter", "salary=1"], "--filter 'salary=1': ATTRIBUTE=VALUE"),
        (["--frequency", "0 0 * * *"], "--frequency, --from and --until go together"),
        (
            ["--frequency", "daily", "--from", "2026-01-01T00:00:00Z", "--until", "2027-01-01T00:00:00Z"],
            "a cron expression",
        ),
        (["--frequency", "0 0 * * *", "--from", "2026-01-01", "--until", "2027-01-01T00:00:00Z"], "time's zone"),
        (
            ["--frequency", "0 0 * * *", "--from", "2027-01-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"],
            "must come after",
        ),
    ):
        done = exchange.himaya_cli(*base, *more)
        assert done.exit_code == 2 and said in done.output, (more, done.output)
    assert (
        exchange.registry.seen == []
        and "no subscriptions" in exchange.himaya_cli("events", "crvs-subscriptions").output
    )
