"""Encrypted DCI messages (the spec's `EncryptedMessage`): a message's `message` part as a JWE
(RFC 7516) in the flattened JSON serialization, its `alg`, `enc` and `kid` in the recipient's
`header`, its `encrypted_key`, `iv`, `ciphertext` and `tag` beside it; `header.is_msg_encrypted`
is true. The plaintext is the clear message as JSON.

We decrypt with one of our encryption keys (`use: enc` in our JWKS, RSA-OAEP-256) and encrypt to a
partner's registered encryption key: RSA (RSA-OAEP-256) or EC P-256 (ECDH-ES+A256KW); content
always A256GCM. The envelope's signature covers the message as sent (encrypted), so it is checked
before anything is done with the plaintext (`trust.check`), like a clear message's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwe, jwk
from jwcrypto.common import JWException

from himaya.adapters.dci.query import RejectedError
from himaya.adapters.dci.signing import KeyFileError
from himaya.registry.partners import PartnerKey

RSA_ALG, EC_ALG, ENC = "RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM"
KEY_ALGORITHMS = (RSA_ALG, EC_ALG)
PARTS = ("ciphertext", "encrypted_key", "iv", "tag")
HEADER_MEMBERS = {"alg", "enc", "kid", "typ", "cty"}
MAX_PLAINTEXT = 4_000_000  # bytes: the service's largest body


def _refused(why: str) -> RejectedError:
    return RejectedError("err.encryption.invalid", f"the encrypted message cannot be read: {why}", 400)


def is_encrypted(envelope: Mapping[str, Any]) -> bool:
    """Whether a received envelope says or looks encrypted (checked for agreement by `open_envelope`)."""
    header, message = envelope.get("header"), envelope.get("message")
    flagged = isinstance(header, dict) and header.get("is_msg_encrypted") is True
    return flagged or (isinstance(message, dict) and "ciphertext" in message)


def open_envelope(envelope: Mapping[str, Any], keys: Sequence[jwk.JWK]) -> dict[str, Any]:
    """The envelope with its message decrypted with one of our `keys` (by the JWE's kid) and
    `is_msg_encrypted` false, as a clear one would come. Refused (`err.encryption.invalid`, naming
    the problem): a flag that does not match the message, a message not of the spec's form, an
    algorithm other than ours, a key we do not have, one that does not decrypt (a wrong key, a
    changed ciphertext or tag), a plaintext that is not a JSON object."""
    header, message = envelope.get("header"), envelope.get("message")
    flagged = isinstance(header, dict) and header.get("is_msg_encrypted") is True
    if not isinstance(message, dict) or "ciphertext" not in message:
        raise _refused("header.is_msg_encrypted is true but the message is in clear (no ciphertext)")
    if not flagged:
        raise _refused("the message is encrypted (it has a ciphertext) but header.is_msg_encrypted is not true")
    assert isinstance(header, dict)  # flagged
    given = message.get("header")
    if not isinstance(given, dict) or not all(isinstance(given.get(m), str) for m in ("alg", "enc", "kid")):
        raise _refused("message.header must give alg, enc and kid (texts)")
    missing = [p for p in PARTS if not isinstance(message.get(p), str)]
    if missing:
        raise _refused(f"message.{', message.'.join(missing)} missing or not a text")
    extra = sorted(set(given) - HEADER_MEMBERS) + sorted(set(_protected(message)) - HEADER_MEMBERS)
    if extra:
        raise _refused(f"message.header {str(extra[0])[:30]!r}: only alg, enc, kid, typ and cty (no zip, no crit)")
    if given["alg"] != RSA_ALG or given["enc"] != ENC:
        raise _refused(f"alg {given['alg'][:30]!r} with enc {given['enc'][:30]!r}: only {RSA_ALG} with {ENC}")
    key = next((k for k in keys if k.get("kid") == given["kid"]), None)
    if key is None:
        raise _refused(f"kid {given['kid'][:99]!r} is not one of our encryption keys (see /.well-known/jwks.json)")
    token = jwe.JWE()
    token.allowed_algs = [RSA_ALG, ENC]
    try:
        token.deserialize(json.dumps({m: message[m] for m in (*PARTS, "header", "protected") if m in message}), key)
    except (JWException, ValueError, TypeError, KeyError, AttributeError, IndexError):
        raise _refused(
            f"it does not decrypt with key {given['kid']!r} (another key, or the ciphertext or tag changed)"
        ) from None
    plain = token.payload
    if not isinstance(plain, bytes) or len(plain) > MAX_PLAINTEXT:
        raise _refused("the plaintext is too large")
    try:
        clear = json.loads(plain)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _refused("the plaintext is not JSON") from None
    if not isinstance(clear, dict):
        raise _refused("the plaintext is not a JSON object (the clear message)")
    return dict(envelope) | {"header": header | {"is_msg_encrypted": False}, "message": clear}


def _protected(message: Mapping[str, Any]) -> dict[str, Any]:
    """The JWE's protected header (a partner's library may put one beside the spec's `header`)."""
    if "protected" not in message:
        return {}
    text = message["protected"]
    try:
        made = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        made = None
    if not isinstance(made, dict):
        raise _refused("message.protected is not a base64url JSON object")
    return made


def encrypt(message: Mapping[str, Any], key: PartnerKey) -> dict[str, Any]:
    """`message` as the spec's EncryptedMessage, to the partner's encryption key."""
    recipient = jwk.JWK(**{k: v for k, v in key.jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")})
    token = jwe.JWE(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    token.add_recipient(recipient, header=json.dumps({"alg": key.algorithm, "enc": ENC, "kid": key.key_id}))
    made: dict[str, Any] = json.loads(token.serialize())
    return made


def encrypted(envelope: Mapping[str, Any], key: PartnerKey) -> dict[str, Any]:
    """The envelope with its message encrypted and `is_msg_encrypted` true (unsigned: sign it after)."""
    if not isinstance(envelope.get("message"), dict):
        return dict(envelope)  # nothing to hide (a rejection's header, an acknowledgement)
    header = dict(envelope["header"]) | {"is_msg_encrypted": True}
    return dict(envelope) | {"header": header, "message": encrypt(envelope["message"], key)}


# --- keys --------------------------------------------------------------------------------------------------


def read_encryption_key(text: str) -> PartnerKey:
    """A partner's public encryption key from a PEM or JWK file's text: RSA (2048 bits at least) or
    EC P-256; its id is the JWK's `kid`, else its RFC 7638 thumbprint."""
    private = KeyFileError("this is a private key: register only the partner's public key")
    if "PRIVATE KEY" in text:
        raise private
    kid: Any = None
    try:
        if text.lstrip().startswith("{"):
            given = jwk.JWK.from_json(text)
            if given.has_private:
                raise private
            kid, pem = given.get("kid"), given.export_to_pem()
        else:
            pem = text.encode("utf-8")
        public = serialization.load_pem_public_key(pem)
    except (JWException, ValueError, TypeError):
        raise KeyFileError("not a PEM public key (-----BEGIN PUBLIC KEY-----) nor a JWK") from None
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise KeyFileError(f"an RSA key of {public.key_size} bits: at least 2048")
        algorithm = RSA_ALG
    elif isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        algorithm = EC_ALG
    else:
        raise KeyFileError("an encryption key is RSA (2048 bits or more) or EC P-256")
    members = json.loads(jwk.JWK.from_pyca(public).export_public())
    key_id = kid if isinstance(kid, str) and kid else str(jwk.JWK(**members).thumbprint())
    if len(key_id) > 99 or "|" in key_id:
        raise KeyFileError("a key id has at most 99 characters and no '|'")
    return PartnerKey(key_id, algorithm, {**members, "kid": key_id, "use": "enc", "alg": algorithm})
