"""DCI CRVS search across real HTTP: Himaya searches the small civil registry (`crvs_registry.py`)
by civil number or by name and birth date, synchronously or with the answer POSTed to
`/events/dci/on-search`, and takes the vital events found into the inbox (a missed notify fetched);
events without a civil number are matched on the registry, never applied to a namesake. The bad
paths refuse with the reason and write nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
from sqlalchemy import Engine, text

from himaya.policy.pack import PolicyPack
from tests.events.conftest import current, inbox, person
from tests.events.crvs_registry import REGISTRY_ID
from tests.events.test_crvs_exchange import Exchange, exchange  # noqa: F401  (the fixture)
from tests.events.test_matching import add


def record(number: str | None, given: str, born: str, sex: str = "female", **more: Any) -> dict[str, Any]:
    made = {"@type": "CRVS_Person", "name": {"given_name": given, "surname": "Test"}, "sex": sex, "birth_date": born}
    if number:
        made["identifier"] = {"identifier_type": "UIN", "identifier_value": number}
    return made | more


def search(exchange: Exchange, *args: str) -> Any:  # noqa: F811
    common = ["--registry-id", REGISTRY_ID, "--client", "civreg", "--token", "registry-access"]
    return exchange.himaya_cli("events", "crvs-search", exchange.registry_url, *common, *args)


def searches(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT transaction_id, status FROM crvs_search ORDER BY id"))
        return [tuple(r) for r in rows]


def test_a_missed_death_fetched_by_civil_number_once(exchange: Exchange) -> None:  # noqa: F811
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    done = search(exchange, "--civil", "71000020", "--take", "Death")
    assert done.exit_code == 0, done.output
    assert "71000020  Name20 Test  female  birth 1960-01-20 death 2026-11-02" in done.output, done.output
    assert "taken into the inbox: 1 new, 0 already there" in done.output, done.output
    asked = exchange.registry.seen[-1]
    assert asked["header"]["action"] == "search" and asked["signature"].startswith("Signature:")
    criteria = asked["message"]["search_request"][0]["search_criteria"]
    assert (criteria["query_type"], criteria["query"]) == ("idtype-value", {"type": "UIN", "value": "71000020"})
    again = search(exchange, "--civil", "71000020", "--take", "Death")
    assert "taken into the inbox: 0 new, 1 already there" in again.output, again.output
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert str(current(exchange.engine, "71000020")["death_date"]) == "2026-11-02"
    shown = search(exchange, "--civil", "71000099")  # nothing found, nothing taken
    assert shown.exit_code == 0 and "answered, 0 record(s)" in shown.output, shown.output
    assert [s for _, s in searches(exchange.engine)] == ["answered"] * 3
    exchange.registry.refuse = "rjct.search_criteria.invalid"
    refused = search(exchange, "--civil", "71000020", "--take", "Death")
    assert refused.exit_code == 0, refused.output
    said = "answered (the registry refused: rjct.search_criteria.invalid: not searchable), 0 record(s)"
    assert said in refused.output, refused.output


def test_by_name_and_birth_date_one_person_or_a_registrar(exchange: Exchange, oman: PolicyPack) -> None:  # noqa: F811
    exchange.registry.people = [record(None, "Name10", "1966-11-12", "male", death_date="2026-11-01")]
    done = search(exchange, "--name", "Name10 Test", "--birth-date", "1966-11-12", "--take", "Death")
    assert "(no civil number)  Name10 Test  male" in done.output and "1 new" in done.output, done.output
    predicate = exchange.registry.seen[-1]["message"]["search_request"][0]["search_criteria"]["query"][0]
    assert (predicate["expression1"]["attribute_value"], predicate["condition"]) == ("Name10 Test", "and")
    assert inbox(exchange.engine).select("subject", "state").rows() == [("71000010", "received")]
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert str(current(exchange.engine, "71000010")["death_date"]) == "2026-11-01"

    add(exchange.engine, oman, person("71000091", "F8", "head", "F", "1960-01-20", "single", given_name_en="Name20"))
    exchange.registry.people = [record(None, "Name20", "1960-01-20", death_date="2026-11-03")]
    twice = search(exchange, "--name", "Name20 Test", "--birth-date", "1960-01-20", "--take", "Death")
    assert twice.exit_code == 0 and "1 new" in twice.output, twice.output
    held = inbox(exchange.engine).rows(named=True)[-1]
    assert held["state"] == "needs_review" and held["subject"] is None, held
    assert "2 people match 'Name20 Test' born 1960-01-20 (F): 71000020, 71000091" in held["reason"], held
    exchange.himaya_cli("events", "process")
    assert current(exchange.engine, "71000020")["death_date"] is None
    assert current(exchange.engine, "71000091")["death_date"] is None  # never a namesake


def test_a_notify_without_civil_number_goes_to_a_registrar(exchange: Exchange) -> None:  # noqa: F811
    exchange.subscribe("Death")
    told = exchange.notify("Death", "DTH-0009", record(None, "Nobody", "1950-01-01", death_date="2026-11-01"))
    assert told["status"] == 202 and told["body"]["events"][0]["state"] == "needs_review", told
    assert "nobody in the registry matches 'Nobody Test' born 1950-01-01 (F)" in told["body"]["events"][0]["reason"]
    again = exchange.notify("Death", "DTH-0009", record(None, "Nobody", "1950-01-01", death_date="2026-11-01"))
    assert (again["body"]["received"], again["body"]["duplicate"]) == (0, 1), again
    one = exchange.notify("Death", "DTH-0010", record(None, "Name20", "1960-01-20", death_date="2026-11-04"))
    assert one["body"]["events"][0]["state"] == "received", one
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert str(current(exchange.engine, "71000020")["death_date"]) == "2026-11-04"


def control(exchange: Exchange, **order: Any) -> dict[str, Any]:  # noqa: F811
    answer = httpx.post(f"{exchange.registry_url}/control/on-search", json=order, timeout=60.0)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_answer_holding_another_person_than_the_one_asked_is_refused_whole(
    exchange: Exchange,  # noqa: F811
) -> None:
    """An outside attack answered a search for one civil number with another person's death, and it
    was taken as an event: an answer holds only the person asked for, or it is refused whole."""
    exchange.registry.people = [
        record("71000020", "Name20", "1960-01-20"),
        record("71000021", "Name21", "1960-01-21", death_date="2026-11-02"),
    ]
    exchange.registry.everyone = True
    try:
        refused = search(exchange, "--civil", "71000020", "--take", "Death")
    finally:
        exchange.registry.everyone = False
    assert refused.exit_code != 0, refused.output
    assert "reg_records.1: civil_number 71000021, not the '71000020' the search asked for" in refused.output
    assert not any("71000021" in str(e) for e in inbox(exchange.engine)["source_event_id"].to_list())


def test_a_search_badly_asked_never_leaves_himaya(exchange: Exchange) -> None:  # noqa: F811
    """An outside attack's searches went to the registry before their arguments were checked: an
    unknown client, an empty registry id, a malformed civil number, a callback not http(s)."""
    sent, kept = len(exchange.registry.seen), len(searches(exchange.engine))
    url = exchange.registry_url
    for args, said in (
        (["--registry-id", REGISTRY_ID, "--client", "nosuchuser", "--civil", "71000020"], "no keys registered"),
        (["--registry-id", " ", "--client", "civreg", "--civil", "71000020"], "--registry-id: empty"),
        (["--registry-id", REGISTRY_ID, "--client", "civreg", "--civil", "abc'; drop"], "1 to 16 digits"),
        (["--registry-id", REGISTRY_ID, "--client", "civreg", "--civil", "71000020", "--callback", "ftp://x/y"],
         "an http or https address"),
    ):  # fmt: skip
        refused = exchange.himaya_cli("events", "crvs-search", url, "--token", "registry-access", *args)
        assert refused.exit_code == 2 and said in refused.output, (args, refused.output)
    assert len(exchange.registry.seen) == sent and len(searches(exchange.engine)) == kept


def test_async_search_and_the_answers_refused(exchange: Exchange) -> None:  # noqa: F811
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    callback = f"{exchange.himaya}/events/dci/on-search"
    sent = search(exchange, "--civil", "71000020", "--take", "Death", "--callback", callback)
    assert sent.exit_code == 0 and ": pending, 0 record(s)" in sent.output, sent.output
    transaction = sent.output.split()[1].rstrip(":")
    deadline = time.monotonic() + 20
    while "answered" not in (shown := exchange.himaya_cli("events", "crvs-search-result", transaction).output):
        assert time.monotonic() < deadline, (shown, exchange.registry.answers)
        time.sleep(0.1)
    assert "71000020  Name20 Test  female" in shown, shown
    assert inbox(exchange.engine).select("source_event_id", "state").rows() == [
        ("search:Death:71000020:2026-11-02", "received")]  # fmt: skip

    replay = control(exchange)
    assert replay["status"] == 409 and "answered already" in str(replay["body"]), replay
    never = control(exchange, transaction_id="never-sent", records=[])
    assert never["status"] == 403 and "no search of ours to you" in str(never["body"]), never
    unsigned = control(exchange, transaction_id=transaction, records=[], signed="none")
    assert unsigned["status"] == 401 and "must be signed" in str(unsigned["body"]), unsigned
    forged = control(exchange, transaction_id=transaction, records=[], signed="other-key")
    assert forged["status"] == 401 and "does not verify" in str(forged["body"]), forged
    bad = control(exchange, transaction_id=transaction, records=[{"identifier": {"identifier_value": 5}}])
    assert bad["status"] == 422 and "reg_records.0.identifier" in str(bad["body"]), bad
    assert inbox(exchange.engine).height == 1 and searches(exchange.engine) == [(transaction, "answered")]
    unknown = exchange.himaya_cli("events", "crvs-search-result", "nothing")
    assert unknown.exit_code != 0 and "no search of Himaya" in unknown.output, unknown.output


def test_a_registry_down_or_answering_out_of_spec(exchange: Exchange) -> None:  # noqa: F811
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
    args = ["--registry-id", REGISTRY_ID, "--client", "civreg", "--civil", "71000020", "--take", "Death"]
    down = exchange.himaya_cli("events", "crvs-search", nowhere, *args)
    assert down.exit_code == 2 and "ConnectError" in down.output, down.output
    assert searches(exchange.engine) == [] and inbox(exchange.engine).height == 0  # nothing written
    later = exchange.himaya_cli("events", "crvs-search", nowhere, *args, "--callback", f"{exchange.himaya}/x")
    assert later.exit_code == 2 and "ConnectError" in later.output, later.output
    assert [s for _, s in searches(exchange.engine)] == ["failed"] and inbox(exchange.engine).height == 0

    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date=20261102)]
    wrong = search(exchange, "--civil", "71000020", "--take", "Death")
    assert wrong.exit_code != 0 and "reg_records.0.death_date: Input should be a valid string" in wrong.output
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2099-01-01")]
    later_death = search(exchange, "--civil", "71000020", "--take", "Death")
    assert later_death.exit_code != 0 and "between 1900-01-01 and today" in later_death.output, later_death.output
    assert [s for _, s in searches(exchange.engine)] == ["failed"] and inbox(exchange.engine).height == 0
    neither = search(exchange, "--name", "Name20 Test")
    assert neither.exit_code != 0 and "by a name and a birth date" in neither.output, neither.output
