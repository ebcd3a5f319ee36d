"""DCI message signatures (the spec's `MsgSignature`): verify a partner's with its registered public
keys, sign ours with the service's key, and the keys as JSON Web Keys (RFC 7517) for the JWKS.

The spec gives the form of the signature, not its bytes; this is the form it shows, made exact
(the Beckn-style HTTP signature it comes from):

    Signature: namespace="spdci", kidId="{sender_id}|{key_id}|{algorithm}", algorithm="ed25519",
      created="1767600000", expires="1767603600", headers="(created) (expires) digest", signature="…"

`signature` is the base64 signature, with the key `key_id`, of the three lines

    (created): 1767600000
    (expires): 1767603600
    digest: BLAKE-512=<base64 of the BLAKE2b-512 digest of the content>

where the content is the message without its `signature` member (its `header` and `message`:
"{header}+{message}") as canonical JSON: keys sorted, no spaces, UTF-8 (not \\u escapes).
`ed25519` (the spec's example) and `rsa-sha256` (PKCS#1 v1.5) are verified; we sign with Ed25519.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from himaya.adapters.dci.query import RejectedError
from himaya.core.errors import InvalidInputError
from himaya.registry.partners import PartnerKey

ALGORITHMS = ("ed25519", "rsa-sha256")
HEADERS = "(created) (expires) digest"
MAX_LIFETIME = timedelta(hours=1)  # expires - created: a captured message is good for an hour at most
SKEW = timedelta(seconds=60)  # a clock ahead of ours by up to this
LIFETIME = timedelta(minutes=10)  # of our own signatures
_PARAM = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')
PublicKey = Ed25519PublicKey | rsa.RSAPublicKey


class KeyFileError(InvalidInputError):
    """A key file that cannot be registered: not a public Ed25519 or RSA key, or a private one."""


@dataclass(frozen=True)
class Seal:
    """What a message's signature is checked against: the signature as sent (None: none sent) and
    the content it must sign (the canonical JSON of the message without its signature)."""

    signature: str | None
    content: bytes


def canonical(document: Mapping[str, Any]) -> bytes:
    """The content a signature covers: `document` without its `signature`, as canonical JSON."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signing_string(content: bytes, created: int, expires: int) -> bytes:
    digest = base64.b64encode(hashlib.blake2b(content, digest_size=64).digest()).decode("ascii")
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: Any) -> bytes:
    if not isinstance(text, str):
        raise KeyFileError("a JWK member is not a text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyFileError("a JWK member is not base64url") from None


# --- keys -----------------------------------------------------------------------------------------------


def jwk_of(key: PublicKey) -> dict[str, Any]:
    """The public key as a JWK's required members (RFC 7517/8037), without kid, use or alg."""
    if isinstance(key, Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    return {"kty": "RSA", "n": _b64url(numbers.n.to_bytes(size, "big")), "e": _b64url(numbers.e.to_bytes(3, "big"))}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638: the SHA-256 of the key's required members, sorted, as base64url."""
    members = ("crv", "kty", "x") if jwk.get("kty") == "OKP" else ("e", "kty", "n")
    text = json.dumps({m: jwk[m] for m in members}, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(text.encode("utf-8")).digest())


def public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The key a JWK describes: an Ed25519 (OKP) or RSA public key."""
    if "d" in jwk or "p" in jwk:
        raise KeyFileError("this JWK holds a private key: register only the public key (without d)")
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        raw = _unb64url(jwk.get("x"))
        if len(raw) != 32:
            raise KeyFileError("an Ed25519 key (x) is 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    if jwk.get("kty") == "RSA":
        n, e = (int.from_bytes(_unb64url(jwk.get(m)), "big") for m in ("n", "e"))
        if n.bit_length() < 2048:
            raise KeyFileError(f"an RSA key of {n.bit_length()} bits: at least 2048")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise KeyFileError("a JWK of kty OKP (crv Ed25519) or RSA is required")


def read_key(text: str) -> PartnerKey:
    """A partner's public key from a PEM file's or a JWK file's text; its id is the JWK's `kid`, else
    its RFC 7638 thumbprint."""
    if "PRIVATE KEY" in text:
        raise KeyFileError("this is a private key: register only the partner's public key")
    if text.lstrip().startswith(("{", "[")):
        try:
            given = json.loads(text)
        except json.JSONDecodeError as error:
            raise KeyFileError(f"not a JWK (JSON): {error.msg}") from None
        if not isinstance(given, dict):
            raise KeyFileError("a JWK is a JSON object")
        key = public_key(given)
        kid = given.get("kid")
    else:
        try:
            loaded = serialization.load_pem_public_key(text.encode("utf-8"))
        except ValueError:
            raise KeyFileError("not a PEM public key (-----BEGIN PUBLIC KEY-----) nor a JWK") from None
        if not isinstance(loaded, Ed25519PublicKey | rsa.RSAPublicKey):
            raise KeyFileError("an Ed25519 or RSA public key is required")
        key = public_key(jwk_of(loaded))
        kid = None
    jwk = jwk_of(key)
    key_id = kid if isinstance(kid, str) and kid else thumbprint(jwk)
    if len(key_id) > 99 or "|" in key_id:
        raise KeyFileError("a key id has at most 99 characters and no '|'")
    algorithm = "ed25519" if isinstance(key, Ed25519PublicKey) else "rsa-sha256"
    return PartnerKey(key_id, algorithm, jwk | {"kid": key_id})


# --- verifying ----------------------------------------------------------------------------------------


def _invalid(why: str) -> RejectedError:
    return RejectedError("err.signature.invalid", f"the message signature is not valid: {why}", 401)


def parse(signature: str) -> dict[str, str]:
    """The signature's parameters, or `err.signature.invalid` naming what is wrong with its form."""
    text = signature.strip()
    text = re.sub(r"^Signature:?\s*", "", text)
    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        found = _PARAM.match(text, position)
        if found is None or found.end() == position:
            raise _invalid('not of the form Signature: name="value", … (see docs/api.md)')
        params[found.group(1)] = found.group(2)
        position = found.end()
    params.setdefault("kidId", params.get("keyId", ""))
    missing = [p for p in ("kidId", "algorithm", "created", "expires", "headers", "signature") if not params.get(p)]
    if missing:
        raise _invalid(f"{', '.join(missing)} missing")
    return params


def _times(params: Mapping[str, str], now: datetime) -> tuple[int, int]:
    if not (params["created"].isdigit() and params["expires"].isdigit()) or len(params["expires"]) > 12:
        raise _invalid("created and expires must be Unix times (seconds)")
    created, expires = int(params["created"]), int(params["expires"])
    at = int(now.timestamp())
    if expires <= at:
        raise _invalid(f"it expired at {expires} (now {at})")
    if created > at + SKEW.total_seconds():
        raise _invalid(f"it was created in the future ({created}; now {at})")
    if not 0 < expires - created <= MAX_LIFETIME.total_seconds():
        raise _invalid(f"expires must be after created, by at most {int(MAX_LIFETIME.total_seconds())} seconds")
    return created, expires


def _check(key: PartnerKey, raw: bytes, text: bytes) -> None:
    verifier = public_key(key.jwk)
    try:
        if isinstance(verifier, Ed25519PublicKey):
            verifier.verify(raw, text)
        else:
            verifier.verify(raw, text, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _invalid(f"it does not verify with key {key.key_id!r} (the message or its signature changed)") from None


def verify(seal: Seal, keys: Sequence[PartnerKey], *, sender_id: str, now: datetime) -> str | None:
    """Check a message's signature against the partner's keys; the key id it verified with (None: an
    unsigned message from a partner without keys). Refused (`err.signature.missing` or
    `err.signature.invalid`, 401): no signature where the partner has keys; one not of the spec's
    form; for another sender, an unknown key or algorithm; a key the partner retired (its validity
    ended); expired, from the future or too long-lived; one that does not verify. A signature from a
    partner without keys cannot be checked: refused. Its encryption keys are not signing keys."""
    keys = [k for k in keys if k.use == "sig"]
    if seal.signature is None or not seal.signature.strip():
        if keys:
            raise RejectedError(
                "err.signature.missing", "the message must be signed: keys are registered for your client", 401
            )
        return None
    params = parse(seal.signature)
    parts = params["kidId"].split("|")
    if len(parts) != 3:
        raise _invalid("kidId must be {sender_id}|{key_id}|{algorithm}")
    sender, key_id, algorithm = parts
    if sender != sender_id:
        raise _invalid(f"kidId names sender {sender[:80]!r}, not the sender id registered for your client")
    if algorithm != params["algorithm"] or algorithm not in ALGORITHMS:
        raise _invalid(f"algorithm {params['algorithm'][:20]!r}: {' or '.join(ALGORITHMS)}, the same as kidId's")
    if params["headers"].split() != HEADERS.split():
        raise _invalid(f'headers must be "{HEADERS}"')
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        raise _invalid(f"no key {key_id[:99]!r} is registered for your client")
    if key.algorithm != algorithm:
        raise _invalid(f"key {key_id!r} is an {key.algorithm} key, not {algorithm}")
    if not key.valid(now) and key.retires is not None:
        raise _invalid(
            f"key {key_id!r} was retired at {key.retires.isoformat(timespec='seconds')}: sign with a newer one"
        )
    created, expires = _times(params, now)
    try:
        raw = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("signature is not base64") from None
    _check(key, raw, signing_string(seal.content, created, expires))
    return key.key_id


# --- signing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceKey:
    """The service's own signing key (Ed25519) and its key id (its JWK thumbprint)."""

    private: Ed25519PrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        made = jwk_of(self.private.public_key())
        return made | {"kid": thumbprint(made), "use": "sig", "alg": "EdDSA"}

    @property
    def key_id(self) -> str:
        return str(self.jwk["kid"])


def load_service_key(pem: bytes) -> ServiceKey:
    """The service's key from a PEM private key (PKCS#8); an Ed25519 one."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise KeyFileError("not a PEM private key without a password (-----BEGIN PRIVATE KEY-----)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("the service signs with an Ed25519 key (openssl genpkey -algorithm ed25519)")
    return ServiceKey(key)


def new_service_key() -> bytes:
    """A new Ed25519 private key, as PEM (PKCS#8)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def sign(document: Mapping[str, Any], key: ServiceKey, *, sender_id: str, now: datetime) -> str:
    """Our signature of a message (its header and message), valid for `LIFETIME`."""
    created = int(now.timestamp())
    expires = created + int(LIFETIME.total_seconds())
    raw = key.private.sign(signing_string(canonical(document), created, expires))
    return (
        f'Signature: namespace="spdci", kidId="{sender_id}|{key.key_id}|ed25519", algorithm="ed25519", '
        f'created="{created}", expires="{expires}", headers="{HEADERS}", '
        f'signature="{base64.b64encode(raw).decode("ascii")}"'
    )


def signed(document: dict[str, Any], key: ServiceKey, *, sender_id: str, now: datetime) -> dict[str, Any]:
    """The message with our signature first (a copy)."""
    return {"signature": sign(document, key, sender_id=sender_id, now=now)} | {
        k: v for k, v in document.items() if k != "signature"
    }
