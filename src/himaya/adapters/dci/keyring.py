"""The service's own DCI keys, with rotation: signing keys (Ed25519) and encryption keys (RSA,
RSA-OAEP-256), each with the time it was made and, once superseded, the time it retires.

Our messages are signed with the newest signing key; partners encrypt to any of our published
encryption keys (we decrypt with the one a JWE's kid names). A rotation makes a new key and gives
the ones it supersedes a retirement time (`overlap` later): until then they stay in the JWKS, so a
partner that cached the old key, or a message encrypted to it on its way, still works; after it
they are gone. The ring is kept as JSON (`dumps`/`loads`) under one name in the service's settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk

from himaya.adapters.dci.encryption import RSA_ALG
from himaya.adapters.dci.signing import KeyFileError, ServiceKey, load_service_key, new_service_key

USES = ("sig", "enc")
RSA_BITS = 3072


@dataclass(frozen=True)
class RingKey:
    """One of our keys: its use (sig or enc), its private half (PEM), when it was made and when it
    retires (None: not superseded)."""

    use: str
    pem: str
    created: datetime
    retires: datetime | None = None

    @property
    def public(self) -> dict[str, Any]:
        """Its public half as published in the JWKS (kid: its RFC 7638 thumbprint)."""
        if self.use == "sig":
            return load_service_key(self.pem.encode("ascii")).jwk
        key = jwk.JWK.from_pem(self.pem.encode("ascii"))
        made: dict[str, Any] = json.loads(key.export_public())
        return made | {"kid": key.thumbprint(), "use": "enc", "alg": RSA_ALG}

    @property
    def kid(self) -> str:
        return str(self.public["kid"])

    def active(self, now: datetime) -> bool:
        return self.retires is None or now < self.retires


def new_encryption_key() -> str:
    """A new RSA private key for RSA-OAEP-256, as PEM (PKCS#8)."""
    made = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return made.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _new(use: str, now: datetime) -> RingKey:
    pem = new_service_key().decode("ascii") if use == "sig" else new_encryption_key()
    return RingKey(use, pem, now)


@dataclass(frozen=True)
class Keyring:
    keys: tuple[RingKey, ...]

    def _active(self, use: str, now: datetime) -> list[RingKey]:
        return sorted((k for k in self.keys if k.use == use and k.active(now)), key=lambda k: k.created)

    def signing(self, now: datetime) -> ServiceKey:
        """The newest signing key not retired: our messages are signed with it."""
        active = self._active("sig", now)
        if not active:
            raise KeyFileError("no signing key that is not retired: `himaya keys rotate --use sig`")
        return load_service_key(active[-1].pem.encode("ascii"))

    def decrypting(self, now: datetime) -> list[jwk.JWK]:
        """Our encryption keys not retired, private halves (kid: the thumbprint), newest first."""
        found = []
        for key in reversed(self._active("enc", now)):
            private = jwk.JWK.from_pem(key.pem.encode("ascii"))
            found.append(jwk.JWK(**(json.loads(private.export_private()) | {"kid": key.kid})))
        return found

    def published(self, now: datetime) -> list[dict[str, Any]]:
        """The public halves of the keys not retired (the JWKS), signing keys first, newest first."""
        return [k.public for use in USES for k in reversed(self._active(use, now))]

    def rotate(self, uses: Iterable[str], now: datetime, overlap: timedelta) -> Keyring:
        """A new key for each use; the ones it supersedes retire `overlap` from now (or earlier, if
        they were to retire earlier already)."""
        uses = set(uses)
        until = now + overlap
        kept = tuple(
            replace(k, retires=min(until, k.retires or until)) if k.use in uses and k.active(now) else k
            for k in self.keys
        )
        return Keyring(kept + tuple(_new(use, now) for use in USES if use in uses))

    def retire(self, kid: str, now: datetime) -> Keyring:
        """The key `kid` retired now (no longer published, used or accepted)."""
        if not any(k.kid == kid and k.active(now) for k in self.keys):
            raise KeyFileError(f"no key {kid!r} that is not retired: see `himaya keys list`")
        left = [k for k in self.keys if k.kid != kid]
        use = next(k.use for k in self.keys if k.kid == kid)
        if not any(k.use == use and k.active(now) for k in left):  # partners could no longer verify, or encrypt
            what = "signing" if use == "sig" else "encryption"
            raise KeyFileError(f"{kid!r} is the only {what} key: `himaya keys rotate --use {use}` first")
        return Keyring(tuple(replace(k, retires=now) if k.kid == kid else k for k in self.keys))

    def dumps(self) -> str:
        return json.dumps(
            [
                {
                    "use": k.use,
                    "pem": k.pem,
                    "created": k.created.isoformat(),
                    "retires": k.retires.isoformat() if k.retires else None,
                }
                for k in self.keys
            ]
        )


def loads(text: str) -> Keyring:
    rows = json.loads(text)
    return Keyring(
        tuple(
            RingKey(
                r["use"],
                r["pem"],
                datetime.fromisoformat(r["created"]),
                datetime.fromisoformat(r["retires"]) if r["retires"] else None,
            )
            for r in rows
        )
    )


def first_ring(signing_pem: str, now: datetime) -> Keyring:
    """The ring of a service that had only its signing key: that key, and a new encryption key."""
    return Keyring((RingKey("sig", signing_pem, now), _new("enc", now)))


def with_signing(ring: Keyring, pem: bytes) -> Keyring:
    """The ring with its signing keys replaced by the one given (HIMAYA_DCI_SIGNING_KEY's file)."""
    load_service_key(pem)  # an Ed25519 private key, or KeyFileError
    others: Sequence[RingKey] = [k for k in ring.keys if k.use != "sig"]
    return Keyring((RingKey("sig", pem.decode("ascii"), datetime(2000, 1, 1, tzinfo=UTC)), *others))
