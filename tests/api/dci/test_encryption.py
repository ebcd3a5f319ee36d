"""Encrypted DCI messages (issue 22's trust leftovers), on SQLite and PostgreSQL: a partner's JWE
(the spec's EncryptedMessage, to our published encryption key) is decrypted and then handled like a
clear message (signature over the message as sent, scope, audit); our answers and callbacks are
encrypted to a partner that registered an encryption key, and only to it; a JWE that cannot be read
is a DCI rejection naming the problem, nothing written, never a server error.

The partner's side is `examples/dci/encrypted_search.py`, the example docs/api.md shows, run here."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwcrypto import jwe, jwk
from sqlalchemy import func, select

from himaya import bootstrap
from himaya.adapters.dci.encryption import read_encryption_key
from himaya.adapters.dci.onboarding import set_partner
from himaya.adapters.dci.signing import read_key
from himaya.db.tables import audit_entry, dci_transaction
from tests.api.conftest import World
from tests.api.dci.support import (
    ACK,
    SEARCH_RESPONSE,
    SENDER,
    SYNC_ANSWER,
    SYNC_REQUEST,
    TXN_ANSWER,
    _request,
    by_civil_number,
    errors,
    in_wilayat,
    request,
    subscribe,
    txn_status,
)

Received = tuple[str, list[dict[str, Any]]]
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "dci" / "encrypted_search.py"
ON_SEARCH = _request("/registry/on-search")


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("encrypted_search", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


partner = _example()
SIGNING = Ed25519PrivateKey.generate()  # the partner's signing key
DECRYPTING = jwk.JWK.generate(kty="RSA", size=2048)  # the partner's encryption key pair
STRANGER = jwk.JWK.generate(kty="RSA", size=2048)  # someone else's
SIGNING_KEY = read_key(SIGNING.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode())
ENC_KEY = read_encryption_key(DECRYPTING.export_to_pem().decode())


@pytest.fixture
def keyed(world: World) -> Iterator[None]:
    """The partner's signing key registered."""
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add_keys=[SIGNING_KEY], actor="admin")
    yield
    set_partner(bootstrap.unit_of_work(world.engine), "partner", remove_keys=[SIGNING_KEY.key_id], actor="admin")


@pytest.fixture
def enc(world: World, keyed: None) -> Iterator[None]:
    """And its encryption key: our messages to it are encrypted."""
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add_keys=[ENC_KEY], actor="admin")
    yield
    set_partner(bootstrap.unit_of_work(world.engine), "partner", remove_keys=[ENC_KEY.key_id], actor="admin")


def _ours(world: World) -> dict[str, Any]:
    found: dict[str, Any] = partner.encryption_key(world.client.get("/.well-known/jwks.json").json())
    return found


def _sign(body: dict[str, Any]) -> dict[str, Any]:
    signed: dict[str, Any] = partner.sign(body, SIGNING, SENDER, SIGNING_KEY.key_id)
    return signed


def _sealed(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return _sign(partner.encrypt(body, _ours(world)))


def _post(world: World, path: str, body: Any) -> Any:
    return world.client.post(path, headers=world.headers("partner"), json=body)


def _written(world: World) -> tuple[int, int]:
    with world.engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(dci_transaction)).scalar_one()
        audited = connection.execute(select(func.count()).select_from(audit_entry)).scalar_one()
    return kept, audited


def _search(world: World, sender_uri: str | None = None) -> dict[str, Any]:
    return request(by_civil_number(world.inside["person_id"]), sender_uri=sender_uri)


def test_issue22_an_encrypted_search_is_answered_encrypted(world: World, enc: None) -> None:
    sent = _sealed(world, _search(world))
    assert sent["header"]["is_msg_encrypted"] is True and errors(*SYNC_REQUEST, document=sent) == []
    before = _written(world)
    answer = _post(world, "/registry/sync/search", sent)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["header"]["is_msg_encrypted"] is True and "ciphertext" in body["message"]
    assert body["message"]["header"] == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": ENC_KEY.key_id}
    assert errors(*SYNC_ANSWER, document=body) == []
    clear = partner.decrypt(body, DECRYPTING)
    assert errors(*SEARCH_RESPONSE, document=clear["message"]) == []
    found = clear["message"]["search_response"][0]
    assert found["status"] == "succ" and found["data"]["reg_records"], found
    kept, audited = _written(world)
    assert kept == before[0] + 1 and audited > before[1]  # kept and audited like a clear one


def test_issue22_answers_are_clear_to_a_partner_without_an_encryption_key(world: World, keyed: None) -> None:
    answer = _post(world, "/registry/sync/search", _sealed(world, _search(world)))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["header"]["is_msg_encrypted"] is False and body["message"]["search_response"][0]["status"] == "succ"


def test_issue22_an_encrypted_async_search_calls_back_encrypted(world: World, enc: None, registered: Received) -> None:
    uri, received = registered
    ack = _post(world, "/registry/search", _sealed(world, _search(world, uri)))
    assert ack.status_code == 200 and ack.json()["message"]["ack_status"] == "ACK", ack.text
    assert errors(*ACK, document=ack.json()) == []
    callback = received[-1]["body"]
    assert callback["header"]["is_msg_encrypted"] is True and errors(*ON_SEARCH, document=callback) == []
    clear = partner.decrypt(callback, DECRYPTING)
    assert clear["message"]["search_response"][0]["status"] == "succ"


def test_issue22_the_signature_covers_the_message_as_sent(world: World, enc: None) -> None:
    """Signed in clear, then encrypted: the signature is not of what came, refused."""
    body = _search(world)
    signature = _sign(body)["signature"]
    sent = partner.encrypt(body, _ours(world)) | {"signature": signature}
    before = _written(world)
    answer = _post(world, "/registry/sync/search", sent)
    assert answer.status_code == 401 and "err.signature.invalid" in answer.json()["header"]["status_reason_message"]
    assert _written(world) == before


def _jwe(plaintext: bytes, key: dict[str, Any]) -> dict[str, Any]:
    token = jwe.JWE(plaintext)
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": key["kid"]}
    token.add_recipient(jwk.JWK(**key), header=json.dumps(header))
    made: dict[str, Any] = json.loads(token.serialize())
    return made


def _changed(what: str, value: Any) -> Callable[[World, dict[str, Any]], dict[str, Any]]:
    def change(world: World, body: dict[str, Any]) -> dict[str, Any]:
        sent = partner.encrypt(body, _ours(world))
        sent["message"]["header"][what] = value
        return sent

    return change


def _wrong_key(world: World, body: dict[str, Any]) -> dict[str, Any]:
    stranger = json.loads(STRANGER.export_public()) | {"kid": _ours(world)["kid"]}
    return dict(partner.encrypt(body, stranger))


def _tampered_tag(world: World, body: dict[str, Any]) -> dict[str, Any]:
    sent = partner.encrypt(body, _ours(world))
    tag = sent["message"]["tag"]
    sent["message"]["tag"] = ("B" if tag[0] == "A" else "A") + tag[1:]
    return dict(sent)


def _flag_without_jwe(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return body | {"header": body["header"] | {"is_msg_encrypted": True}}


def _jwe_without_flag(world: World, body: dict[str, Any]) -> dict[str, Any]:
    sent = partner.encrypt(body, _ours(world))
    return dict(sent) | {"header": sent["header"] | {"is_msg_encrypted": False}}


def _not_an_object(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return body | {"header": body["header"] | {"is_msg_encrypted": True}, "message": _jwe(b"[1]", _ours(world))}


def _not_json(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return body | {"header": body["header"] | {"is_msg_encrypted": True}, "message": _jwe(b"\xff{", _ours(world))}


def _part_missing(world: World, body: dict[str, Any]) -> dict[str, Any]:
    sent = partner.encrypt(body, _ours(world))
    sent["message"].pop("iv")
    sent["message"]["tag"] = 42
    return dict(sent)


BAD = {
    "a wrong key": (_wrong_key, "does not decrypt with key"),
    "a tampered tag": (_tampered_tag, "does not decrypt with key"),
    "an unsupported alg": (
        _changed("alg", "RSA1_5"),
        "alg 'RSA1_5' with enc 'A256GCM': only RSA-OAEP-256 with A256GCM",
    ),
    "an unsupported enc": (_changed("enc", "A128CBC-HS256"), "enc 'A128CBC-HS256': only RSA-OAEP-256"),
    "an unknown kid": (_changed("kid", "no-such-key"), "kid 'no-such-key' is not one of our encryption keys"),
    "a kid not a text": (_changed("kid", 42), "must give alg, enc and kid"),
    "a compressed plaintext": (_changed("zip", "DEF"), "message.header 'zip': only alg, enc, kid, typ and cty"),
    "the flag with a clear message": (_flag_without_jwe, "is_msg_encrypted is true but the message is in clear"),
    "a JWE without the flag": (_jwe_without_flag, "header.is_msg_encrypted is not true"),
    "a plaintext not an object": (_not_an_object, "not a JSON object"),
    "a plaintext not JSON": (_not_json, "the plaintext is not JSON"),
    "parts missing": (_part_missing, "message.iv, message.tag missing or not a text"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_issue22_an_encrypted_message_that_cannot_be_read_is_refused(world: World, enc: None, case: str) -> None:
    """On the sync search (header rjct, the code and why) and the async one (ACK ERR) alike, signed
    or not; nothing kept, nothing audited."""
    make, why = BAD[case]
    before = _written(world)
    for sign in (False, True):
        sent = make(world, _search(world))
        sent = _sign(sent) if sign else sent
        answer = _post(world, "/registry/sync/search", sent)
        assert answer.status_code == 400, answer.text
        header = answer.json()["header"]
        assert header["status"] == "rjct" and header["status_reason_message"].startswith("err.encryption.invalid")
        assert why in header["status_reason_message"], header
        assert errors(*SYNC_ANSWER, document=answer.json()) == []
        ack = _post(world, "/registry/search", make(world, _search(world)))
        assert ack.status_code == 400 and ack.json()["message"]["error"]["code"] == "err.encryption.invalid"
        assert why in ack.json()["message"]["error"]["message"] and errors(*ACK, document=ack.json()) == []
    assert _written(world) == before


def test_issue22_encrypted_txn_status_and_subscribe_are_read_too(world: World, enc: None, registered: Received) -> None:
    uri, received = registered
    body = _search(world)
    assert _post(world, "/registry/sync/search", _sealed(world, body)).status_code == 200
    status = txn_status("transaction_id", body["message"]["transaction_id"])
    answer = _post(world, "/registry/sync/txn/status", _sealed(world, status))
    assert answer.status_code == 200 and answer.json()["header"]["is_msg_encrypted"] is True, answer.text
    assert errors(*TXN_ANSWER, document=answer.json()) == []
    clear = partner.decrypt(answer.json(), DECRYPTING)
    assert clear["header"]["status"] == "succ" and clear["message"]["txnstatus_response"]["txn_status"]
    ack = _post(
        world, "/registry/subscribe", _sealed(world, subscribe(in_wilayat(world.inside["wilayat"]), sender_uri=uri))
    )
    assert ack.status_code == 200 and ack.json()["message"]["ack_status"] == "ACK", ack.text
    answered = received[-1]["body"]
    assert answered["header"]["action"] == "on-subscribe" and answered["header"]["is_msg_encrypted"] is True
    assert partner.decrypt(answered, DECRYPTING)["message"]["subscribe_response"][0]["status"] == "succ"
