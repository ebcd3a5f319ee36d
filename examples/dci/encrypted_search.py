"""An encrypted DCI search to Himaya, made as a partner makes it (docs/api.md, "Encryption"):
the message encrypted to Himaya's encryption key from its JWKS (a JWE, RSA-OAEP-256 with A256GCM,
in the spec's EncryptedMessage form), the envelope then signed with the partner's Ed25519 key, and
the answer (encrypted to the partner's registered encryption key) decrypted.

    python examples/dci/encrypted_search.py http://127.0.0.1:8000 TOKEN SENDER_ID \\
        partner-signing.pem partner-encryption.pem CIVIL_NUMBER

TOKEN is the partner's bearer token (`/oauth2/client/token`); partner-signing.pem its Ed25519
private key (the public half registered with `himaya partners set NAME --key`), and
partner-encryption.pem its RSA private key (the public half registered with `--enc-key`).
Needs `jwcrypto` and `httpx`. tests/api/dci/test_encryption.py runs these functions against Himaya.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwcrypto import jwe, jwk


def encryption_key(jwks: dict[str, Any]) -> dict[str, Any]:
    """Himaya's newest encryption key (the first with `use: enc`)."""
    return next(k for k in jwks["keys"] if k["use"] == "enc")


def encrypt(body: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """The body with its message as the spec's EncryptedMessage and `is_msg_encrypted` true."""
    token = jwe.JWE(json.dumps(body["message"]).encode("utf-8"))
    protected = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": key["kid"]}
    token.add_recipient(jwk.JWK(**key), header=json.dumps(protected))
    header = body["header"] | {"is_msg_encrypted": True}
    return {"header": header, "message": json.loads(token.serialize())}


def sign(body: dict[str, Any], private: Ed25519PrivateKey, sender_id: str, key_id: str) -> dict[str, Any]:
    """The body with its signature (docs/api.md, "Signatures"), over the message as sent: encrypted."""
    content = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    digest = base64.b64encode(hashlib.blake2b(content, digest_size=64).digest()).decode()
    created = int(time.time())
    expires = created + 300
    lines = f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()
    signature = (
        f'Signature: namespace="spdci", kidId="{sender_id}|{key_id}|ed25519", algorithm="ed25519", '
        f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
        f'signature="{base64.b64encode(private.sign(lines)).decode()}"'
    )
    return {"signature": signature} | body


def decrypt(answer: dict[str, Any], private: jwk.JWK) -> dict[str, Any]:
    """The answer's message in clear (an answer with no message, e.g. a rejection, as it came)."""
    if not answer["header"].get("is_msg_encrypted"):
        return answer
    token = jwe.JWE()
    token.deserialize(json.dumps(answer["message"]), private)
    return answer | {"message": json.loads(token.payload)}


def search(civil_number: str, sender_id: str) -> dict[str, Any]:
    """A clear search message for one person by civil number."""
    return {
        "header": {
            "version": "1.0.0",
            "message_id": f"msg-{uuid.uuid4().hex}",
            "message_ts": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "action": "search",
            "sender_id": sender_id,
            "total_count": 1,
            "is_msg_encrypted": False,
        },
        "message": {
            "transaction_id": f"txn-{uuid.uuid4().hex[:12]}",
            "search_request": [
                {
                    "reference_id": "ref-1",
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                    "search_criteria": {
                        "version": "1.0.0",
                        "reg_type": "ns:org:RegistryType:Social",
                        "query_type": "idtype-value",
                        "query": {"type": "UIN", "value": civil_number},
                    },
                }
            ],
        },
    }


def main(url: str, token: str, sender_id: str, signing_file: str, encryption_file: str, civil_number: str) -> None:
    with open(signing_file, "rb") as file:
        signing = load_pem_private_key(file.read(), password=None)
    assert isinstance(signing, Ed25519PrivateKey)
    with open(encryption_file, "rb") as file:
        mine = jwk.JWK.from_pem(file.read())
    key_id = jwk.JWK.from_pyca(signing.public_key()).thumbprint()  # the id `partners set --key` gave it
    jwks = httpx.get(f"{url}/.well-known/jwks.json").json()
    body = sign(encrypt(search(civil_number, sender_id), encryption_key(jwks)), signing, sender_id, key_id)
    answer = httpx.post(f"{url}/registry/sync/search", json=body, headers={"Authorization": f"Bearer {token}"})
    print(json.dumps(decrypt(answer.json(), mine), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:7])
