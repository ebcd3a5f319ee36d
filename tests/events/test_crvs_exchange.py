"""DCI CRVS across real HTTP: Himaya (served by uvicorn) subscribes to a small civil registry (its
own uvicorn process, `crvs_registry.py`), which answers on-subscribe with its codes and POSTs its
notify messages to `/events/dci/notify`; the events go through the inbox and the worker as
OpenCRVS's do. On SQLite and PostgreSQL (the `registry` fixture)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from himaya import bootstrap
from himaya.adapters.dci.onboarding import set_partner
from himaya.adapters.dci.signing import read_key
from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.cli.main import app as cli_app
from himaya.core.access import Scope
from himaya.db import access
from tests.events.conftest import current, inbox
from tests.events.crvs_registry import REGISTRY_ID, Registry, make_app

KEY = "test-signing-key-" + "x" * 32
SECRET = "correct-horse-battery-9"
runner = CliRunner()


def serve(app: FastAPI) -> tuple[str, uvicorn.Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


@dataclass
class Exchange:
    himaya: str
    registry_url: str
    registry: Registry
    engine: Engine

    def himaya_cli(self, *args: str) -> Any:
        return runner.invoke(cli_app, list(args))

    def notify(self, event: str, reference_id: str, record: dict[str, Any], **more: Any) -> dict[str, Any]:
        order = {"event": event, "reference_id": reference_id, "record": record, **more}
        answer = httpx.post(f"{self.registry_url}/control/notify", json=order, timeout=60.0)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def subscribe(self, *events: str, more: list[str] | None = None) -> list[str]:
        args = ["events", "crvs-subscribe", self.registry_url, "--registry-id", REGISTRY_ID, "--client", "civreg"]
        args += more or []
        args += ["--callback", f"{self.himaya}/events/dci/on-subscribe", "--token", "registry-access"]
        for event in events:
            args += ["--event", event]
        done = self.himaya_cli(*args)
        assert done.exit_code == 0, done.output
        deadline = time.monotonic() + 20
        while True:  # the registry answers on-subscribe after its ACK
            listed = self.himaya_cli("events", "crvs-subscriptions").output
            if listed.count(" active ") == len(events):
                return [line.split()[0] for line in listed.splitlines() if " active " in line]
            assert time.monotonic() < deadline, (listed, self.registry.answers)
            time.sleep(0.1)


@pytest.fixture
def exchange(registry: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Exchange]:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "test:crvs")
    access.create_user(registry, "civreg", hash_password(SECRET), kind="client", actor="setup")
    access.grant(registry, "civreg", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
    civil = Registry()
    key = read_key(__import__("json").dumps({k: v for k, v in civil.jwk().items() if k != "alg"}))
    set_partner(bootstrap.unit_of_work(registry), "civreg", add_keys=[key], actor="setup")
    himaya, himaya_server = serve(create_app(registry, tokens=TokenSettings(key=KEY)))
    form = {"grant_type": "client_credentials", "client_id": "civreg", "client_secret": SECRET}
    civil.token = httpx.post(f"{himaya}/auth/token", data=form).json()["access_token"]
    civil.callback = f"{himaya}/events/dci/on-subscribe"  # as onboarded, before any subscribe
    registry_url, registry_server = serve(make_app(civil))
    yield Exchange(himaya, registry_url, civil, registry)
    registry_server.should_exit = himaya_server.should_exit = True


def child(number: str, born: str) -> dict[str, Any]:
    return {
        "@type": "CRVS_Person", "identifier": {"identifier_type": "UIN", "identifier_value": number},
        "name": {"given_name": "Salma", "surname": "Test"}, "sex": "female", "birth_date": born,
        "parent1_identifier": {"identifier_type": "UIN", "identifier_value": "71000002"},
        "parent2_identifier": {"identifier_type": "UIN", "identifier_value": "71000001"},
    }  # fmt: skip


def enrollments(engine: Engine, civil_number: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.programme, e.start_month, e.end_month, e.status, e.reason FROM enrollment e"
                " JOIN person p ON p.id = e.person_id WHERE p.civil_number = :n ORDER BY e.id"
            ),
            {"n": civil_number},
        ).all()
    return [tuple(r) for r in rows]


def test_subscribe_then_a_birth_and_a_death_are_applied_once(exchange: Exchange) -> None:
    codes = exchange.subscribe("LiveBirth", "Death", "Marriage")
    assert len(codes) == 3 and all(c.startswith("SUB-") for c in codes)
    asked = exchange.registry.seen[0]
    assert asked["header"]["action"] == "subscribe" and asked["signature"].startswith("Signature:")
    kinds = [i["subscribe_criteria"]["reg_event_type"] for i in asked["message"]["subscribe_request"]]
    assert kinds == [f"spdci-common:RegistryEventType:{k}" for k in ("LiveBirth", "Death", "Marriage")]

    first = exchange.notify("LiveBirth", "BRN-0001", child("71000099", "2026-09-15T08:30:00"))
    assert first["status"] == 202, first
    assert (first["body"]["received"], first["body"]["events"][0]["source_event_id"]) == (1, "BRN-0001")
    again = exchange.notify("LiveBirth", "BRN-0001", child("71000099", "2026-09-15T08:30:00"))
    assert (again["status"], again["body"]["received"], again["body"]["duplicate"]) == (202, 0, 1)
    done = exchange.himaya_cli("events", "process")
    assert "applied 1," in done.output, done.output
    born = current(exchange.engine, "71000099")
    assert (born["family_id"], born["relationship"], born["sex"], str(born["birth_date"])) == (
        "F1", "child", "F", "2026-09-15")  # fmt: skip
    started = enrollments(exchange.engine, "71000099")
    assert [(p, str(s), e) for p, s, e, *_ in started] == [("child", "2026-09-01", None)], started

    died = {**child("71000099", "2026-09-15"), "death_date": "2026-10-20"}
    death = exchange.notify("Death", "DTH-0001", died)
    assert death["status"] == 202 and death["body"]["received"] == 1, death
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert str(current(exchange.engine, "71000099")["death_date"]) == "2026-10-20"
    ended = enrollments(exchange.engine, "71000099")
    assert ended[-1][2] is not None, ended  # the child benefit ends with the death
    states = inbox(exchange.engine).select("source", "source_event_id", "state").rows()
    source = f"dci-crvs:{REGISTRY_ID}"
    assert states == [(source, "BRN-0001", "applied"), (source, "DTH-0001", "applied")]

    wed = {"identifier": {"identifier_type": "UIN", "identifier_value": "71000010"}, "marriage_date": "2026-10-01"}
    assert exchange.notify("Marriage", "MAR-0001", wed)["status"] == 202
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert current(exchange.engine, "71000010")["marital_status"] == "married"


def test_refused_with_the_reason_and_nothing_written(exchange: Exchange) -> None:
    none = exchange.notify("LiveBirth", "BRN-0002", child("71000098", "2026-10-01"))
    assert none["status"] == 403 and "no active subscription" in none["body"]["error"]["message"], none
    codes = exchange.subscribe("LiveBirth")
    unsigned = exchange.notify("LiveBirth", "BRN-0002", child("71000098", "2026-10-01"), signed="none")
    assert unsigned["status"] == 401 and "must be signed" in str(unsigned["body"]), unsigned
    forged = exchange.notify("LiveBirth", "BRN-0002", child("71000098", "2026-10-01"), signed="other-key")
    assert forged["status"] == 401 and "does not verify" in str(forged["body"]), forged
    wrong = {"header": {"message_id": "1", "message_ts": "2026-11-01T00:00:00Z", "action": "search",
                        "status": "succ", "sender_id": REGISTRY_ID}, "message": {"transaction_id": "t"}}  # fmt: skip
    envelope = exchange.notify("LiveBirth", "BRN-0002", {}, message=wrong)
    assert envelope["status"] == 422 and "header.action must be notify" in envelope["body"]["error"]["message"]
    no_date = {k: v for k, v in child("71000098", "2026-10-01").items() if k != "birth_date"}
    record = exchange.notify("LiveBirth", "BRN-0002", no_date)
    assert record["status"] == 422 and "reg_records.birth_date: missing" in record["body"]["error"]["message"]
    later = exchange.notify("LiveBirth", "BRN-0002", child("71000098", "2099-01-01"))
    assert later["status"] == 422 and "between 1900-01-01 and today" in later["body"]["error"]["message"]
    death = exchange.notify("Death", "DTH-0002", {**child("71000001", "1980-05-01"), "death_date": "2026-11-01"})
    assert death["status"] == 403 and "to death events" in death["body"]["error"]["message"]
    assert inbox(exchange.engine).height == 0  # nothing of the refused ones was kept

    gone = exchange.himaya_cli("events", "crvs-unsubscribe", codes[0], "--token", "registry-access")
    assert gone.exit_code == 0 and "unsubscribed" in gone.output, gone.output
    assert exchange.registry.subscriptions[codes[0]]["status"] == "unsubscribe"
    after = exchange.notify("LiveBirth", "BRN-0003", child("71000097", "2026-10-01"))
    assert after["status"] == 403, after
    assert exchange.himaya_cli("events", "crvs-unsubscribe", "SUB-nothing").exit_code != 0


def test_an_encrypted_notify_is_decrypted_then_checked(exchange: Exchange) -> None:
    """A registry that encrypts its notify to Himaya's encryption key (from its JWKS), signed over
    the message as sent: taken; encrypted to a key Himaya does not have: refused, nothing kept."""
    exchange.subscribe("LiveBirth")
    keys = httpx.get(f"{exchange.himaya}/.well-known/jwks.json").json()["keys"]
    ours = next(k for k in keys if k["use"] == "enc")
    taken = exchange.notify("LiveBirth", "BRN-0101", child("71000096", "2026-10-02"), encrypt_to=ours)
    assert taken["status"] == 202 and taken["body"]["received"] == 1, taken
    unknown = ours | {"kid": "not-ours"}
    refused = exchange.notify("LiveBirth", "BRN-0102", child("71000095", "2026-10-02"), encrypt_to=unknown)
    assert refused["status"] == 400, refused
    assert "err.encryption.invalid" in refused["body"]["error"]["message"] and "not-ours" in str(refused["body"])
    assert inbox(exchange.engine).select("source_event_id").rows() == [("BRN-0101",)]


def test_the_registrys_answers_and_refusals(exchange: Exchange) -> None:
    exchange.subscribe("Death")
    asked = exchange.registry.seen[0]["message"]["subscribe_request"][0]["reference_id"]
    replay = httpx.post(f"{exchange.registry_url}/control/on-subscribe", json={"reference_id": asked, "code": "X"})
    assert replay.json()["status"] == 409 and "the subscription is active" in str(replay.json()["body"])
    unknown = httpx.post(f"{exchange.registry_url}/control/on-subscribe", json={"reference_id": "r9", "code": "Y"})
    assert unknown.json()["status"] == 403 and "no subscription of ours" in str(unknown.json()["body"])
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
    args = ["--registry-id", "other", "--client", "civreg", "--callback", f"{exchange.himaya}/x", "--event", "Death"]
    failed = exchange.himaya_cli("events", "crvs-subscribe", nowhere, *args)
    assert failed.exit_code == 2 and "ConnectError" in failed.output, failed.output
    listed = exchange.himaya_cli("events", "crvs-subscriptions").output
    assert "rejected  other" in listed and "ConnectError" in listed, listed
