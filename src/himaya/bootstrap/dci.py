"""The DCI exchange's trust, wired: the service's signing key (HIMAYA_DCI_SIGNING_KEY, a PEM file;
else an Ed25519 key made once and kept in the store, shared by every worker) and the signer of
our answers and callbacks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from himaya.access.masking import pseudonym
from himaya.adapters.dci import delivery, notifying
from himaya.adapters.dci.render import sr_person
from himaya.adapters.dci.signing import KeyFileError, ServiceKey, load_service_key, new_service_key, signed
from himaya.bootstrap.periodic import Periodic
from himaya.core.errors import UsageError
from himaya.core.settings import Settings
from himaya.db.service_keys import kept
from himaya.db.uow import SqlUnitOfWork
from himaya.registry.partners import Delivery, Limits, Transaction

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
) -> list[tuple[Transaction, Delivery]]:
    """Render and POST the notifications queued by committed changes (`adapters/dci/notifying.py`)."""
    limits = Limits(attempts=attempts or settings.dci_callback_attempts)
    return notifying.send(
        lambda: SqlUnitOfWork(engine), renderer(key, country), limits=limits, post=post, sign=sign, bearer=bearer
    )


class NotifySender(Periodic):
    """A thread of `himaya serve` that sends the queued DCI notifications every `every` seconds
    (HIMAYA_DCI_NOTIFY_EVERY) until stopped. Several service workers may each run one: a
    notification's envelope is made once, in the unit of work that claims it (`notifying.prepare`)."""

    def __init__(self, engine: Engine, settings: Settings, *, key: str, country: str, sign: delivery.Sign) -> None:
        bearer = delivery.Bearer()  # the partners' tokens, kept from round to round while good
        job = partial(notify_partners, engine, settings, key=key, country=country, sign=sign, bearer=bearer)
        super().__init__("dci-notify", settings.dci_notify_every, job)
