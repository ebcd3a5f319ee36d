"""The DCI trust items of issue 22 from the attacker's side, on SQLite and PostgreSQL: signatures of
partners' messages checked with their registered keys (missing, garbage, 42, bogus, expired, from
another key or another partner, tampered, replayed), the sender id bound to the client; our answers
and callbacks signed, verifiable with our JWKS; the DCI token endpoint.

The signer here is written from docs/api.md ("Signatures"), not with the service's code, so that
the format the partners are told is the one checked."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openapi_schema_validator import OAS30Validator
from sqlalchemy import func, select
from yaml import safe_load

from himaya import bootstrap
from himaya.adapters.dci.onboarding import set_partner
from himaya.adapters.dci.signing import read_key
from himaya.db.dci_tables import dci_delivery
from himaya.db.tables import audit_entry, dci_partner, dci_transaction
from himaya.registry.partners import CallbackLogin
from tests.api.conftest import PASSWORD, World
from tests.api.dci.conftest import LIMITS
from tests.api.dci.support import (
    EXTERNAL,
    SENDER,
    SYNC_ANSWER,
    by_civil_number,
    errors,
    need_shared,
    request,
    txn_status,
)

Received = tuple[str, list[dict[str, Any]]]
OURS, THEIRS = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()  # the partner's; another partner's


def _pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


KEY_ID = read_key(_pem(OURS)).key_id  # its RFC 7638 thumbprint
OTHER_ID = read_key(_pem(THEIRS)).key_id


def _content(body: dict[str, Any]) -> bytes:
    rest = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _lines(content: bytes, created: int, expires: int) -> bytes:
    digest = base64.b64encode(hashlib.blake2b(content, digest_size=64).digest()).decode()
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


def signed(
    body: dict[str, Any],
    key: Ed25519PrivateKey = OURS,
    *,
    kid: str | None = None,
    sender: str = SENDER,
    created: int | None = None,
    lifetime: int = 300,
) -> dict[str, Any]:
    made = int(time.time()) if created is None else created
    raw = key.sign(_lines(_content(body), made, made + lifetime))
    body["signature"] = (
        f'Signature: namespace="spdci", kidId="{sender}|{kid or KEY_ID}|ed25519", algorithm="ed25519", '
        f'created="{made}", expires="{made + lifetime}", headers="(created) (expires) digest", '
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    return body


@pytest.fixture
def keyed(world: World) -> Iterator[None]:
    """The partner's public key registered (and another partner's, for civil_registry)."""
    uow = bootstrap.unit_of_work
    set_partner(uow(world.engine), "partner", add_keys=[read_key(_pem(OURS))], actor="admin")
    set_partner(uow(world.engine), "civil_registry", add_keys=[read_key(_pem(THEIRS))], actor="admin")
    yield
    set_partner(uow(world.engine), "partner", remove_keys=[KEY_ID], actor="admin")
    set_partner(uow(world.engine), "civil_registry", remove_keys=[OTHER_ID], actor="admin")


def _post(world: World, path: str, body: Any) -> Any:
    return world.client.post(path, headers=world.headers("partner"), json=body)


def _written(world: World) -> tuple[int, int]:
    with world.engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(dci_transaction)).scalar_one()
        audited = connection.execute(select(func.count()).select_from(audit_entry)).scalar_one()
    return kept, audited


def _search(world: World) -> dict[str, Any]:
    return request(by_civil_number(world.inside["person_id"]))


def _refused(world: World, make: Callable[[], dict[str, Any]], code: str, why: str) -> None:
    """Refused on the sync and the async search alike (each a message `make` makes afresh), with the
    code and why, nothing written."""
    before = _written(world)
    answer = _post(world, "/registry/sync/search", make())
    assert answer.status_code == 401, answer.text
    header = answer.json()["header"]
    assert header["status"] == "rjct" and header["status_reason_message"].startswith(code), header
    assert why in header["status_reason_message"] and errors(*SYNC_ANSWER, document=answer.json()) == []
    ack = _post(world, "/registry/search", make())
    assert ack.status_code == 401 and ack.json()["message"]["ack_status"] == "ERR", ack.text
    assert ack.json()["message"]["error"]["code"] == code and why in ack.json()["message"]["error"]["message"]
    assert _written(world) == before  # no transaction kept, no audit entry


def test_issue22_a_well_signed_message_is_answered(world: World, keyed: None) -> None:
    answer = _post(world, "/registry/sync/search", signed(_search(world)))
    assert answer.status_code == 200 and answer.json()["header"]["status"] == "succ", answer.text


def test_issue22_no_signature_where_the_partner_has_a_key_is_refused(world: World, keyed: None) -> None:
    _refused(world, lambda: _search(world), "err.signature.missing", "keys are registered for your client")


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        ("garbage", "not of the form"),
        (42, "it must be a text"),
        ("", "keys are registered"),  # empty: missing
        ('Signature: kidId="a|b|ed25519", algorithm="ed25519"', "created, expires, headers, signature missing"),
    ],
)
def test_issue22_a_malformed_signature_is_refused(world: World, keyed: None, signature: Any, why: str) -> None:
    code = "err.signature.missing" if signature == "" else "err.signature.invalid"
    _refused(world, lambda: _search(world) | {"signature": signature}, code, why)


def test_issue22_a_bogus_signature_is_refused(world: World, keyed: None) -> None:
    def make() -> dict[str, Any]:
        body = signed(_search(world))
        bogus = base64.b64encode(b"x" * 64).decode()
        body["signature"] = body["signature"].rsplit('signature="', 1)[0] + f'signature="{bogus}"'
        return body

    _refused(world, make, "err.signature.invalid", "does not verify")


def test_issue22_a_tampered_message_is_refused(world: World, keyed: None) -> None:
    def make() -> dict[str, Any]:
        body = signed(_search(world))
        body["message"]["search_request"][0]["search_criteria"]["query"]["value"] = world.outside["person_id"]
        return body

    _refused(world, make, "err.signature.invalid", "does not verify")


def test_issue22_an_expired_signature_is_refused(world: World, keyed: None) -> None:
    old = int(time.time()) - 600
    _refused(world, lambda: signed(_search(world), created=old, lifetime=300), "err.signature.invalid", "expired")


def test_issue22_a_long_lived_or_future_signature_is_refused(world: World, keyed: None) -> None:
    day = 86_400
    _refused(world, lambda: signed(_search(world), lifetime=day), "err.signature.invalid", "at most 3600 seconds")
    later = int(time.time()) + 600
    _refused(world, lambda: signed(_search(world), created=later), "err.signature.invalid", "created in the future")


def test_issue22_a_key_not_registered_is_refused(world: World, keyed: None) -> None:
    stranger = Ed25519PrivateKey.generate()
    _refused(world, lambda: signed(_search(world), stranger, kid="k-1"), "err.signature.invalid", "no key 'k-1'")
    # the partner's key id, another key: does not verify
    _refused(world, lambda: signed(_search(world), stranger), "err.signature.invalid", "does not verify")


def test_issue22_another_partners_key_is_refused(world: World, keyed: None) -> None:
    """civil_registry's key is registered, but not for this client: never tried for it."""
    why = f"no key {OTHER_ID!r} is registered for your client"
    _refused(world, lambda: signed(_search(world), THEIRS, kid=OTHER_ID), "err.signature.invalid", why)


def test_issue22_a_spoofed_sender_is_refused(world: World, keyed: None) -> None:
    why = "kidId names sender 'another.ministry'"  # the header's sender is right, the signature's is not
    _refused(world, lambda: signed(_search(world), sender="another.ministry"), "err.signature.invalid", why)
    spoofed = _search(world)
    spoofed["header"]["sender_id"] = "another.ministry"  # the header claims another sender, signed as it
    answer = _post(world, "/registry/sync/search", signed(spoofed, sender="another.ministry"))
    assert answer.status_code == 403 and "err.sender_id.invalid" in answer.json()["header"]["status_reason_message"]
    with world.engine.connect() as connection:
        actors = set(connection.execute(select(audit_entry.c.actor)).scalars())
    assert "another.ministry" not in actors


def test_issue22_a_replayed_signed_message_is_refused(world: World, keyed: None) -> None:
    body = signed(_search(world))
    assert _post(world, "/registry/sync/search", body).status_code == 200
    again = _post(world, "/registry/sync/search", body)  # captured and sent again, signature intact
    assert again.status_code == 409 and again.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"


def test_issue22_txn_status_messages_are_checked_too(world: World, keyed: None) -> None:
    search = signed(_search(world))
    assert _post(world, "/registry/sync/search", search).status_code == 200
    status = txn_status("transaction_id", search["message"]["transaction_id"])
    status["signature"] = "garbage"
    assert _post(world, "/registry/sync/txn/status", status).status_code == 401
    assert _post(world, "/registry/txn/status", status).json()["message"]["error"]["code"] == "err.signature.invalid"
    status.pop("signature")
    assert _post(world, "/registry/sync/txn/status", status).status_code == 401
    assert _post(world, "/registry/sync/txn/status", signed(status)).json()["header"]["status"] == "succ"


def test_issue22_a_partner_without_keys_cannot_send_an_unverifiable_signature(world: World) -> None:
    """Without keys an unsigned message is read (the partner is authenticated by its token); a
    signature, which cannot be checked, is refused rather than taken on trust."""
    assert _post(world, "/registry/sync/search", _search(world)).status_code == 200
    answer = _post(world, "/registry/sync/search", signed(_search(world)))
    assert (
        answer.status_code == 401
        and "is registered for your client" in answer.json()["header"]["status_reason_message"]
    )


# --- our side: signed answers, the JWKS -----------------------------------------------------------------


def _jwks(world: World) -> dict[str, Ed25519PublicKey]:
    document = world.client.get("/.well-known/jwks.json")
    assert document.status_code == 200
    keys = {}
    for jwk in document.json()["keys"]:
        if jwk["use"] == "enc":  # an encryption key (test_encryption.py)
            assert jwk["kty"] == "RSA" and jwk["alg"] == "RSA-OAEP-256" and "d" not in jwk
            continue
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["use"] == "sig" and jwk["alg"] == "EdDSA"
        assert "d" not in jwk  # never the private half
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def _verifies(world: World, body: dict[str, Any]) -> bool:
    """Our signature of `body`, checked as a partner would: the key named by kidId in our JWKS."""
    fields = dict(part.split("=", 1) for part in body["signature"].removeprefix("Signature: ").split(", "))
    values = {k: v.strip('"') for k, v in fields.items()}
    sender, kid, algorithm = values["kidId"].split("|")
    assert sender == "himaya" and algorithm == values["algorithm"] == "ed25519"
    assert int(values["created"]) <= time.time() < int(values["expires"])
    key = _jwks(world)[kid]
    lines = _lines(_content(body), int(values["created"]), int(values["expires"]))
    key.verify(base64.b64decode(values["signature"]), lines)  # raises if not
    return True


def test_issue22_the_jwks_document(world: World) -> None:
    need_shared()
    spec = safe_load((EXTERNAL / "spdci-standards/release/yaml/jwks_core_api_v1.0.0.yaml").read_text())
    schema = {**spec, "$ref": "#/components/schemas/JWKSResponse"}
    document = world.client.get("/.well-known/jwks.json").json()
    assert list(OAS30Validator(schema).iter_errors(document)) == []
    assert len(_jwks(world)) == 1  # one signing key (and one encryption key) until a rotation
    assert [k["use"] for k in document["keys"]] == ["sig", "enc"]


def test_issue22_our_answers_are_signed(world: World) -> None:
    answer = _post(world, "/registry/sync/search", _search(world)).json()
    assert _verifies(world, answer)
    refused = _post(world, "/registry/sync/search", {"header": {}, "message": {}}).json()
    assert _verifies(world, refused)  # a rejection too
    answer["header"]["status"] = "rjct"  # changed on the way: no longer ours
    with pytest.raises(Exception, match=""):
        _verifies(world, answer)


def test_issue22_our_callbacks_are_signed(world: World, registered: Received) -> None:
    uri, received = registered
    body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
    assert _post(world, "/registry/search", body).json()["message"]["ack_status"] == "ACK"
    assert received[-1]["body"]["header"]["action"] == "on-search" and _verifies(world, received[-1]["body"])


# --- the DCI token endpoint --------------------------------------------------------------------------------


def test_issue22_the_dci_token_endpoint(world: World) -> None:
    form = {"grant_type": "client_credentials", "client_id": "partner", "client_secret": PASSWORD}
    answer = world.client.post("/oauth2/client/token", data=form)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == "900" and "refresh_token" not in token
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert world.client.post("/registry/sync/search", headers=headers, json=_search(world)).status_code == 200
    wrong = world.client.post("/oauth2/client/token", data=form | {"client_secret": "not-the-secret-1"})
    assert wrong.status_code == 401 and "access_token" not in wrong.text
    person = world.client.post("/oauth2/client/token", data=form | {"client_id": "registrar"})
    assert person.status_code == 401  # a person's password is not a client's credential
    grant = world.client.post("/oauth2/client/token", data=form | {"grant_type": "password"})
    assert grant.status_code == 422


# --- the bearer token our callbacks carry ----------------------------------------------------------------


def test_issue22_callbacks_carry_the_partners_bearer_token(world: World, registered: Received, failing: Any) -> None:
    """The spec's /registry/on-search requires `Authorization: Bearer`, a token from the partner's
    token endpoint: fetched with our client credentials there, kept while good, sent on each POST."""
    uri, received = registered
    endpoint = uri.replace("/callback/on-search", "/oauth2/client/token")
    login = CallbackLogin(endpoint, "himaya.spf", "our-secret-at-the-ministry")
    set_partner(bootstrap.unit_of_work(world.engine), "partner", login=login, actor="admin")
    try:
        for _ in range(2):
            body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
            assert _post(world, "/registry/search", body).json()["message"]["ack_status"] == "ACK"
        assert [r["authorization"] for r in received[-2:]] == ["Bearer partner-token-1"] * 2
        assert failing.logins == [  # one login: the token was kept for the second callback
            {"grant_type": ["client_credentials"], "client_id": ["himaya.spf"], "client_secret": [login.secret]}
        ]
        with bootstrap.unit_of_work(world.engine) as uow:
            terms = uow.dci.partner("partner")
        assert terms.token_url == endpoint and "our-secret" not in repr(terms)  # the secret is not in the terms
        with world.engine.connect() as connection:
            audited = connection.execute(select(audit_entry.c.after).where(audit_entry.c.action == "dci.partner"))
            assert all("our-secret" not in json.dumps(a) for a in audited.scalars())
    finally:
        with world.engine.begin() as connection:
            connection.execute(
                dci_partner.update()
                .where(dci_partner.c.client == "partner")
                .values(token_url=None, token_client_id=None, token_secret=None)
            )


def test_issue22_no_token_no_callback(world: World, registered: Received) -> None:
    """A token endpoint that gives no token: the attempt is recorded as failed (why), nothing POSTed."""
    uri, received = registered
    login = CallbackLogin(uri.replace("/callback/on-search", "/nothing-here"), "himaya.spf", "s")
    set_partner(bootstrap.unit_of_work(world.engine), "partner", login=login, actor="admin")
    try:
        body = request(by_civil_number(world.inside["person_id"]), sender_uri=uri)
        correlation = _post(world, "/registry/search", body).json()["message"]["correlation_id"]
        assert received == []
        with world.engine.connect() as connection:
            errors_ = list(
                connection.execute(
                    select(dci_delivery.c.error).where(dci_delivery.c.correlation_id == correlation)
                ).scalars()
            )
        assert len(errors_) == LIMITS.attempts and all(e.startswith("not sent: token endpoint") for e in errors_)
    finally:
        with world.engine.begin() as connection:
            connection.execute(
                dci_partner.update()
                .where(dci_partner.c.client == "partner")
                .values(token_url=None, token_client_id=None, token_secret=None)
            )
