"""`himaya keys ...` wired: the service's DCI key ring (`adapters/dci/keyring.py`) rotated or a key
retired, in the store, with the audit entry of the change in the same transaction (the keys' ids,
uses and times: never a private half). Each worker sees the change within `dci.TTL`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from himaya.adapters.dci.keyring import Keyring, RingKey, loads
from himaya.adapters.dci.signing import KeyFileError
from himaya.bootstrap.dci import RING, load_ring
from himaya.core.audit import Change
from himaya.core.errors import ConflictError, UsageError
from himaya.core.settings import Settings
from himaya.db.service_keys import kept, swap


def summary(key: RingKey, now: datetime) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "use": key.use,
        "alg": key.public["alg"],
        "created": key.created.isoformat(timespec="seconds"),
        "retires": key.retires.isoformat(timespec="seconds") if key.retires else None,
        "active": key.active(now),
    }


def keys(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    """Every key of the ring, retired ones too (with the signing key of HIMAYA_DCI_SIGNING_KEY if set)."""
    now = datetime.now(UTC)
    return [summary(k, now) for k in load_ring(engine, settings).keys]


def _change(
    engine: Engine, settings: Settings, action: str, make: Callable[[Keyring], Keyring], *, actor: str
) -> Keyring:
    load_ring(engine, settings)  # made if it was not yet; a bad HIMAYA_DCI_SIGNING_KEY stops here
    before_text = kept(engine, RING, lambda: "")
    before = loads(before_text)
    try:
        after = make(before)
    except KeyFileError as error:
        raise UsageError(str(error)) from None
    now = datetime.now(UTC)
    change = Change(
        action,
        "service:dci-keys",
        {"keys": [summary(k, now) for k in before.keys]},
        {"keys": [summary(k, now) for k in after.keys]},
    )
    if not swap(engine, RING, before_text, after.dumps(), [change], actor=actor):
        raise ConflictError("the DCI keys were changed meanwhile: run the command again")
    return after


def rotate(engine: Engine, settings: Settings, uses: Iterable[str], overlap: timedelta, *, actor: str) -> Keyring:
    """A new key for each use (sig, enc); the ones they supersede stay published for `overlap`."""
    uses = list(uses)
    if "sig" in uses and settings.dci_signing_key is not None:
        raise UsageError(
            f"the signing key is HIMAYA_DCI_SIGNING_KEY's ({settings.dci_signing_key}): replace that file, or unset "
            "it to sign with the kept keys, which rotate"
        )
    now = datetime.now(UTC)
    return _change(engine, settings, "dci.keys.rotate", lambda ring: ring.rotate(uses, now, overlap), actor=actor)


def retire(engine: Engine, settings: Settings, kid: str, *, actor: str) -> Keyring:
    """The key `kid` retired now: no longer published, used, or accepted for decryption."""
    now = datetime.now(UTC)
    return _change(engine, settings, "dci.keys.retire", lambda ring: ring.retire(kid, now), actor=actor)
