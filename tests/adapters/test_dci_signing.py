"""DCI signatures without a server: RFC 8037's thumbprint, RSA partners' keys, keys refused."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from himaya.adapters.dci.query import RejectedError
from himaya.adapters.dci.signing import (
    KeyFileError,
    Seal,
    canonical,
    load_service_key,
    new_service_key,
    read_key,
    sign,
    signing_string,
    thumbprint,
    verify,
)


def test_the_thumbprint_is_rfc_8037s() -> None:
    """RFC 8037 appendix A.3: the Ed25519 key of A.2 and its RFC 7638 thumbprint."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert read_key(json.dumps(jwk)).key_id == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_an_rsa_partner_signs_with_rsa_sha256() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = read_key(private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode())
    assert key.algorithm == "rsa-sha256" and key.jwk["kty"] == "RSA"
    body = {"header": {"sender_id": "mol"}, "message": {"a": "é"}}
    now = int(datetime.now(UTC).timestamp())
    raw = private.sign(signing_string(canonical(body), now, now + 60), padding.PKCS1v15(), hashes.SHA256())
    text = (
        f'Signature: kidId="mol|{key.key_id}|rsa-sha256", algorithm="rsa-sha256", created="{now}", '
        f'expires="{now + 60}", headers="(created) (expires) digest", signature="{base64.b64encode(raw).decode()}"'
    )
    assert verify(Seal(text, canonical(body)), [key], sender_id="mol", now=datetime.now(UTC)) == key.key_id
    with pytest.raises(RejectedError, match="does not verify"):
        verify(Seal(text, canonical(body | {"message": {"a": "e"}})), [key], sender_id="mol", now=datetime.now(UTC))
    as_ed25519 = text.replace("rsa-sha256", "ed25519")
    with pytest.raises(RejectedError, match="is an rsa-sha256 key, not ed25519"):
        verify(Seal(as_ed25519, canonical(body)), [key], sender_id="mol", now=datetime.now(UTC))


def test_our_signature_verifies_as_a_partners_would() -> None:
    ours = load_service_key(new_service_key())
    body = {"header": {"action": "on-search"}, "message": {"transaction_id": "t"}}
    text = sign(body, ours, sender_id="himaya", now=datetime.now(UTC))
    key = read_key(json.dumps(ours.jwk))
    assert verify(Seal(text, canonical(body)), [key], sender_id="himaya", now=datetime.now(UTC)) == ours.key_id


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "x"}', "private"),
        ('{"kty": "EC", "crv": "P-256"}', "OKP (crv Ed25519) or RSA"),
        ('{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}', "32 bytes"),
        ("[1, 2]", "a JWK is a JSON object"),
        ("{not json", "not a JWK"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
    ],
)
def test_keys_that_cannot_be_registered(text: str, says: str) -> None:
    with pytest.raises(KeyFileError, match=re.escape(says)):
        read_key(text)


def test_a_short_rsa_key_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(KeyFileError, match="at least 2048"):
        read_key(small.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode())
