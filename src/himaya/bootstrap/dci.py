"""The DCI exchange's trust, wired: the service's keys (a ring kept in the store, shared by every
worker, rotated by `himaya keys rotate`; the signing key HIMAYA_DCI_SIGNING_KEY's PEM file if set)
and the sealer of our answers and callbacks (encrypted to a partner with an encryption key, signed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from jwcrypto.jwk import JWK
from sqlalchemy import Engine

from himaya.access.masking import pseudonym
from himaya.adapters.dci import delivery, notifying
from himaya.adapters.dci.encryption import encrypted
from himaya.adapters.dci.keyring import Keyring, first_ring, loads, with_signing
from himaya.adapters.dci.render import sr_person
from himaya.adapters.dci.signing import KeyFileError, ServiceKey, new_service_key, signed
from himaya.bootstrap.periodic import Periodic
from himaya.core.errors import UsageError
from himaya.core.settings import Settings
from himaya.db.service_keys import kept
from himaya.db.uow import SqlUnitOfWork
from himaya.registry.partners import Delivery, Limits, PartnerKey, Transaction

SENDER_ID = "himaya"  # our header.sender_id, and the sender in our signatures' kidId
STORED = "dci_signing_key"  # the first signing key's name in service_setting (before rotation came)
RING = "dci_keyring"  # our DCI keys, with their rotation (`adapters/dci/keyring.py`), in service_setting
TTL = timedelta(seconds=30)  # how long a worker keeps the ring before reading it again


def load_ring(engine: Engine, settings: Settings) -> Keyring:
    """Our DCI keys: the ring kept in the store (made on first use from the signing key kept before,
    with a new encryption key); its signing key the one in HIMAYA_DCI_SIGNING_KEY's file if set."""
    legacy = kept(engine, STORED, lambda: new_service_key().decode("ascii"))
    ring = loads(kept(engine, RING, lambda: first_ring(legacy, datetime.now(UTC)).dumps()))
    if settings.dci_signing_key is None:
        return ring
    try:
        return with_signing(ring, settings.dci_signing_key.read_bytes())
    except OSError as error:
        raise UsageError(f"HIMAYA_DCI_SIGNING_KEY {settings.dci_signing_key}: {error.strerror}") from None
    except (KeyFileError, UnicodeDecodeError) as error:
        raise UsageError(f"HIMAYA_DCI_SIGNING_KEY {settings.dci_signing_key}: {error}") from None


class KeySource:
    """The ring as one worker sees it: read again every `TTL` (so a `himaya keys rotate` reaches every
    worker within that) and when one of its keys retires; `refresh` reads it at once."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.refresh()

    def refresh(self) -> None:
        now = datetime.now(UTC)
        ring = load_ring(self.engine, self.settings)
        retiring = [k.retires for k in ring.keys if k.retires is not None and k.retires > now]
        self._until = min([now + TTL, *retiring])
        self._signing, self._decrypting = ring.signing(now), ring.decrypting(now)
        self._published = ring.published(now)

    def _fresh(self) -> None:
        if datetime.now(UTC) >= self._until:
            self.refresh()

    @property
    def signing(self) -> ServiceKey:
        self._fresh()
        return self._signing

    @property
    def decrypting(self) -> list[JWK]:
        self._fresh()
        return self._decrypting

    @property
    def published(self) -> list[dict[str, Any]]:
        self._fresh()
        return self._published


class Sealer:
    """Our DCI message as sent: to a partner that registered an encryption key, its message encrypted
    to the newest one first (`encryption.encrypted`); then signed with our newest signing key. Made at
    the moment it is sent (a retry is signed again)."""

    def __init__(self, keys: KeySource, engine: Engine) -> None:
        self.keys, self.engine = keys, engine

    def __call__(self, document: dict[str, Any], to: str | None = None) -> dict[str, Any]:
        now = datetime.now(UTC)
        key = self.encryption_key(to, now) if to is not None else None
        clear_or_not = encrypted(document, key) if key is not None else document
        return signed(clear_or_not, self.keys.signing, sender_id=SENDER_ID, now=now)

    def encryption_key(self, client: str, now: datetime) -> PartnerKey | None:
        with SqlUnitOfWork(self.engine).reading() as uow:
            found = [k for k in uow.dci.keys(client) if k.use == "enc" and k.valid(now)]
        return found[-1] if found else None  # the newest


def sealer(engine: Engine, settings: Settings) -> Sealer:
    """What a command that sends DCI messages as the service signs (and encrypts) them with."""
    return Sealer(KeySource(engine, settings), engine)


def jwks(keys: KeySource) -> dict[str, Any]:
    """The public keys our signatures verify with and partners may encrypt to (RFC 7517 key set)."""
    return {"keys": keys.published}


def renderer(key: str, country: str) -> notifying.Render:
    """A person as a partner may see them in a notification: identified if it may identify people,
    else under the service's keyed pseudonym (as in its searches)."""
    return lambda principal, row: sr_person(
        row, identifies=principal.identifies, pseudonym=lambda cn: pseudonym(key, cn), country=country
    )


def notify_partners(
    engine: Engine,
    settings: Settings,
    *,
    key: str,
    country: str,
    sign: delivery.Sign,
    bearer: delivery.Bearer | None = None,
    post: delivery.Post = delivery.post,
    attempts: int | None = None,
    batch: int = notifying.BATCH,
) -> list[tuple[Transaction, Delivery]]:
    """Render and POST the notifications queued by committed changes (`adapters/dci/notifying.py`):
    a subscription's events together, `batch` at most in one notify message."""
    limits = Limits(attempts=attempts or settings.dci_callback_attempts)
    return notifying.send(
        lambda: SqlUnitOfWork(engine),
        renderer(key, country),
        limits=limits,
        post=post,
        sign=sign,
        bearer=bearer,
        batch=batch,
    )


class NotifySender(Periodic):
    """A thread of `himaya serve` that sends the queued DCI notifications every `every` seconds
    (HIMAYA_DCI_NOTIFY_EVERY) until stopped. Several service workers may each run one: a
    notification's envelope is made once, in the unit of work that claims it (`notifying.prepare`)."""

    def __init__(self, engine: Engine, settings: Settings, *, key: str, country: str, sign: delivery.Sign) -> None:
        bearer = delivery.Bearer()  # the partners' tokens, kept from round to round while good
        job = partial(notify_partners, engine, settings, key=key, country=country, sign=sign, bearer=bearer)
        super().__init__("dci-notify", settings.dci_notify_every, job)
