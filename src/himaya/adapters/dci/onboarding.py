"""A partner system's DCI onboarding, as an admin sets it: the sender id it must send, the callback
addresses its async answers may go to, and its own limits. Each change is one audit entry."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.core.audit import Change
from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.registry.partners import CallbackLogin, PartnerKey, PartnerTerms


class PartnerError(InvalidInputError):
    """Terms that cannot be registered (a callback that is not an address, a limit below one)."""


def check_callback(uri: str) -> str:
    """An absolute http(s) address with a host, no user name or password, no fragment."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PartnerError(f"callback {uri!r}: an http:// or https:// address with a host is required")
    if parts.username or parts.password or parts.fragment or len(uri) > 2000:
        raise PartnerError(f"callback {uri!r}: no user name, password or #fragment, at most 2000 characters")
    return uri


def set_partner(
    uow: DciUnitOfWork,
    client: str,
    *,
    sender_id: str | None = None,
    max_records: int | None = None,
    per_minute: int | None = None,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    add_keys: list[PartnerKey] | None = None,
    remove_keys: list[str] | None = None,
    retire_keys: list[tuple[str, datetime]] | None = None,
    login: CallbackLogin | None = None,
    actor: str,
) -> PartnerTerms:
    """Change a partner's terms (what is not given stays); the terms after. `add_keys`: public keys
    its messages' signatures are checked with, or our messages to it encrypted to (`signing.read_key`,
    `encryption.read_encryption_key`). `retire_keys`: (key id, time) its key is valid until, so a
    partner rotating keys has both valid for an overlap. `login`: the partner's token endpoint and our
    client credentials there (our callbacks carry its bearer token)."""
    for name, limit in (("max records", max_records), ("per minute", per_minute)):
        if limit is not None and not 1 <= limit <= 1_000_000:
            raise PartnerError(f"{name}: {limit} is not 1 to 1,000,000")
    if sender_id is not None and not 1 <= len(sender_id) <= 99:
        raise PartnerError("sender id: 1 to 99 characters")
    added = [check_callback(u) for u in add or []]
    if login is not None:
        check_callback(login.url)
        if not (1 <= len(login.client_id) <= 99 and 1 <= len(login.secret) <= 1000):
            raise PartnerError("callback token: a client id of 1 to 99 characters and a secret of 1 to 1000")
    with uow:
        if not uow.partners.is_client(client):
            raise NotFoundError(f"no partner system (client user) named {client!r}: `himaya users create --client`")
        before = uow.dci.partner(client)
        changes: dict[str, Any] = {
            k: v
            for k, v in (("sender_id", sender_id), ("max_records", max_records), ("per_minute", per_minute))
            if v is not None
        }
        if login is not None:
            changes |= {"token_url": login.url, "token_client_id": login.client_id, "token_secret": login.secret}
        uow.partners.set_terms(client, changes)
        for uri in added:
            uow.partners.add_callback(client, uri)
        for uri in remove or []:
            if not uow.partners.remove_callback(client, uri):
                raise NotFoundError(f"callback {uri!r} is not registered for {client!r}")
        for key in add_keys or []:
            if not uow.partners.add_key(client, key):
                raise PartnerError(f"key {key.key_id!r} is registered for {client!r} already")
        for key_id in remove_keys or []:
            if not uow.partners.remove_key(client, key_id):
                raise NotFoundError(f"key {key_id!r} is not registered for {client!r}")
        for key_id, at in retire_keys or []:
            if not uow.partners.retire_key(client, key_id, at):
                raise NotFoundError(f"key {key_id!r} is not registered for {client!r}")
        after = uow.dci.partner(client)
        uow.audit.record([Change("dci.partner", f"client:{client}", asdict(before), asdict(after))], actor=actor)
        uow.commit()
    return after


def partners(uow: DciUnitOfWork) -> list[PartnerTerms]:
    with uow:
        return [uow.dci.partner(c) for c in uow.partners.clients()]
