"""Encrypted DCI CRVS messages both ways, across real HTTP with the small civil registry
(`crvs_registry.py`, which decrypts with its own key as the spec's EncryptedMessage says): Himaya's
search, subscribe and unsubscribe are encrypted to the registry's encryption key once its client
registered one (in clear before); the registry's answers encrypted to Himaya's key (sync search,
async on-search) are opened; an on-search that cannot be read is refused 400 err.encryption.invalid
and writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from jwcrypto import jwk

from himaya import bootstrap
from himaya.adapters.dci.encryption import read_encryption_key
from himaya.adapters.dci.onboarding import set_partner
from tests.events.conftest import inbox
from tests.events.test_crvs_exchange import Exchange, exchange  # noqa: F401  (the fixture)
from tests.events.test_crvs_search import control, record, search, searches


def _registry_encrypts(exchange: Exchange) -> None:  # noqa: F811
    """The registry's encryption key made, its public half registered for its client at Himaya."""
    key = jwk.JWK.generate(kty="RSA", size=2048, kid="registry-enc-1", use="enc", alg="RSA-OAEP-256")
    exchange.registry.enc_key = key
    public = read_encryption_key(key.export_public())
    set_partner(bootstrap.unit_of_work(exchange.engine), "civreg", add_keys=[public], actor="setup")


def _ours(exchange: Exchange) -> dict[str, Any]:  # noqa: F811
    keys = httpx.get(f"{exchange.himaya}/.well-known/jwks.json").json()["keys"]
    return dict(next(k for k in keys if k["use"] == "enc"))


def _answered(exchange: Exchange, transaction: str) -> str:  # noqa: F811
    deadline = time.monotonic() + 20
    while "answered" not in (shown := exchange.himaya_cli("events", "crvs-search-result", transaction).output):
        assert time.monotonic() < deadline, (shown, exchange.registry.answers)
        time.sleep(0.1)
    return str(shown)


def test_our_messages_are_encrypted_to_a_registry_that_registered_a_key(exchange: Exchange) -> None:  # noqa: F811
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    clear = search(exchange, "--civil", "71000020")
    assert clear.exit_code == 0 and exchange.registry.sealed == [False], clear.output

    _registry_encrypts(exchange)
    done = search(exchange, "--civil", "71000020", "--take", "Death")
    assert done.exit_code == 0 and "71000020  Name20 Test" in done.output, done.output  # it decrypted, found
    assert exchange.registry.sealed[-1] is True
    asked = exchange.registry.seen[-1]
    assert asked["message"]["search_request"][0]["search_criteria"]["query"]["value"] == "71000020"
    callback = f"{exchange.himaya}/events/dci/on-search"
    later = search(exchange, "--civil", "71000020", "--callback", callback)
    assert later.exit_code == 0 and exchange.registry.sealed[-1] is True, later.output
    assert "71000020  Name20 Test" in _answered(exchange, later.output.split()[1].rstrip(":"))

    codes = exchange.subscribe("Death")  # the registry answers only what it could decrypt
    assert exchange.registry.sealed[-1] is True and len(codes) == 1
    ended = exchange.himaya_cli("events", "crvs-unsubscribe", codes[0], "--token", "registry-access")
    assert ended.exit_code == 0 and exchange.registry.sealed[-1] is True, ended.output
    assert exchange.registry.subscriptions[codes[0]]["status"] == "unsubscribe"


def test_the_registrys_encrypted_answers_are_opened(exchange: Exchange) -> None:  # noqa: F811
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    exchange.registry.encrypt_to = _ours(exchange)
    now = search(exchange, "--civil", "71000020", "--take", "Death")
    assert now.exit_code == 0 and "taken into the inbox: 1 new" in now.output, now.output
    callback = f"{exchange.himaya}/events/dci/on-search"
    later = search(exchange, "--civil", "71000020", "--take", "Death", "--callback", callback)
    transaction = later.output.split()[1].rstrip(":")
    assert "71000020  Name20 Test" in _answered(exchange, transaction)
    assert json.dumps(exchange.registry.on_search["message"]["message"]).count("ciphertext") == 1
    assert inbox(exchange.engine).height == 1  # the same death, a duplicate the second time


def test_an_on_search_that_cannot_be_read_is_refused_and_writes_nothing(exchange: Exchange) -> None:  # noqa: F811
    exchange.registry.people = [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    callback = f"{exchange.himaya}/events/dci/on-search"
    later = search(exchange, "--civil", "71000020", "--callback", callback)  # nothing to take (no --take)
    transaction = later.output.split()[1].rstrip(":")
    _answered(exchange, transaction)
    with exchange.engine.begin() as connection:  # pending again: the answers below find a search to answer
        connection.exec_driver_sql("UPDATE crvs_search SET status = 'pending', answer = NULL")
    ours, found = _ours(exchange), [record("71000020", "Name20", "1960-01-20", death_date="2026-11-02")]
    for order, said in (
        ({"encrypt_to": ours | {"kid": "not-ours"}}, "kid 'not-ours' is not one of our encryption keys"),
        ({"encrypt_to": ours, "tamper": True}, "it does not decrypt with key"),
    ):
        refused = control(exchange, transaction_id=transaction, records=found, **order)
        assert refused["status"] == 400, refused
        assert "err.encryption.invalid" in str(refused["body"]) and said in str(refused["body"]), refused
    assert inbox(exchange.engine).height == 0 and searches(exchange.engine) == [(transaction, "pending")]
    taken = control(exchange, transaction_id=transaction, records=found, encrypt_to=ours)
    assert taken["status"] == 200 and taken["body"]["records"] == 1, taken
    assert searches(exchange.engine) == [(transaction, "answered")] and inbox(exchange.engine).height == 0
