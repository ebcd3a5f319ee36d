"""The DCI exchange's trust, wired: the service's signing key (HIMAYA_DCI_SIGNING_KEY, a PEM file;
else an Ed25519 key made once and kept in the store, shared by every worker) and the signer of
our answers and callbacks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from himaya.adapters.dci.signing import KeyFileError, ServiceKey, load_service_key, new_service_key, signed
from himaya.core.errors import UsageError
from himaya.core.settings import Settings
from himaya.db.service_keys import kept

SENDER_ID = "himaya"  # our header.sender_id, and the sender in our signatures' kidId
STORED = "dci_signing_key"  # its name in service_setting


def service_key(engine: Engine, settings: Settings) -> ServiceKey:
    """The key our DCI messages are signed with."""
    if settings.dci_signing_key is not None:
        try:
            return load_service_key(settings.dci_signing_key.read_bytes())
        except OSError as error:
            raise UsageError(f"HIMAYA_DCI_SIGNING_KEY {settings.dci_signing_key}: {error.strerror}") from None
        except KeyFileError as error:
            raise UsageError(f"HIMAYA_DCI_SIGNING_KEY {settings.dci_signing_key}: {error}") from None
    return load_service_key(kept(engine, STORED, lambda: new_service_key().decode("ascii")).encode("ascii"))


def signer(key: ServiceKey) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Sign an answer (a copy, with our signature first) at the moment it is sent."""

    def sign(document: dict[str, Any]) -> dict[str, Any]:
        return signed(document, key, sender_id=SENDER_ID, now=datetime.now(UTC))

    return sign


def jwks(key: ServiceKey) -> dict[str, Any]:
    """The public keys our signatures verify with (RFC 7517 key set)."""
    return {"keys": [key.jwk]}
