"""DCI CRVS, the client side: subscribe to a civil registry's vital events, take its answer
(`on-subscribe`), end a subscription, and take its `notify` messages into the life-events inbox.

A notify message is taken whole or not at all: its envelope and every record checked against the
spec, its signature checked with the keys registered for the registry's client (`himaya partners
set CLIENT --key FILE`), an active subscription of that client to each event's type, all in the
transaction that keeps the events; what is refused writes nothing and says why. Each event is kept
under the registry's `reference_id`, so a notify sent again is a duplicate.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

import httpx

from himaya.adapters.crvs.criteria import Criteria
from himaya.adapters.crvs.criteria import read as stored_criteria
from himaya.adapters.crvs.messages import (
    NAMES,
    CrvsNotify,
    NotifyRefusedError,
    NotSubscribedError,
    kind_of,
    notified,
    read_answer,
    read_notify,
)
from himaya.adapters.crvs.ports import CrvsUnitOfWork
from himaya.adapters.dci.signing import Seal, canonical, verify
from himaya.adapters.dci.subscribe_envelope import SubscribeEnvelope, UnsubscribeEnvelope
from himaya.core.audit import Change
from himaya.core.errors import ConflictError, HimayaError, NotFoundError
from himaya.events import actions, matching
from himaya.events.model import LifeEvent, Received
from himaya.events.rules import problem
from himaya.events.subscriptions import CrvsSubscription, SubscriptionState

S = SubscriptionState


class Sign(Protocol):
    """Our message as sent (`bootstrap.dci.Sealer`): encrypted to the registry's client `to` if it
    registered an encryption key (`himaya partners set CLIENT --enc-key FILE`), then signed."""

    def __call__(self, document: dict[str, Any], to: str | None = None) -> dict[str, Any]: ...


REG_TYPE = "ns:org:RegistryType:Civil"
RECORD_TYPE = "spdci-extensions-crvs:Person"


class RegistryError(HimayaError):
    """The civil registry could not be reached, or did not acknowledge (ACK) the message."""


def source_of(registry_id: str) -> str:
    """The inbox's source of a registry's events."""
    return f"dci-crvs:{registry_id}"[:64]


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def header(action: str, *, registry_id: str, sender_id: str, total: int, callback: str | None) -> dict[str, Any]:
    made = {
        "version": "1.0.0",
        "message_id": secrets.token_hex(12),
        "message_ts": _stamp(),
        "action": action,
        "sender_id": sender_id,
        "receiver_id": registry_id,
        "total_count": total,
        "is_msg_encrypted": False,
    }
    return made | ({"sender_uri": callback} if callback else {})


def exchange(url: str, body: dict[str, Any], token: str | None) -> tuple[httpx.Response, Any]:
    """POST a message to the registry: its HTTP answer and the JSON it holds (RegistryError if the
    registry cannot be reached or answers what is not JSON)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=15.0, follow_redirects=False)
        return response, response.json() if response.content else {}
    except (httpx.HTTPError, ValueError) as error:
        raise RegistryError(f"{url}: {type(error).__name__}: {error}"[:500]) from None


def post(url: str, body: dict[str, Any], token: str | None) -> None:
    """POST a message to the registry; refused unless it answers 2xx with ack_status ACK."""
    response, answer = exchange(url, body, token)
    ack = answer.get("message", {}) if isinstance(answer, dict) else {}
    if not response.is_success or not isinstance(ack, dict) or ack.get("ack_status") != "ACK":
        said = ack.get("error") if isinstance(ack, dict) else None
        raise RegistryError(f"{url}: HTTP {response.status_code}, not acknowledged (ACK): {said or answer}"[:500])


def subscribe(
    uow: CrvsUnitOfWork,
    *,
    url: str,
    registry_id: str,
    client: str,
    events: list[str],
    callback: str,
    sign: Sign,
    sender_id: str,
    token: str | None,
    actor: str,
    asked: Criteria | None = None,
) -> list[CrvsSubscription]:
    """Ask the registry for its events of these types (with `asked`: only those its filter takes, on
    its frequency): the subscriptions are kept (pending) before the POST, so that its answer finds
    them; if the registry does not acknowledge, they are rejected."""
    kinds = list(dict.fromkeys(kind_of(e) for e in events))
    transaction = secrets.token_hex(12)
    criteria = (asked or Criteria()).asked()
    made = [CrvsSubscription(None, url, registry_id, client, k.value, f"spdci-common:RegistryEventType:{NAMES[k]}",
                             transaction, secrets.token_hex(12), None, S.PENDING, None, datetime.now(UTC), criteria)
            for k in kinds]  # fmt: skip
    items = [{"reference_id": s.reference_id, "timestamp": _stamp(), "subscribe_criteria": {
        "version": "1.0.0", "reg_type": REG_TYPE, "reg_event_type": s.event_code, **criteria,
        "notify_record_type": RECORD_TYPE}} for s in made]  # fmt: skip
    made_header = header("subscribe", registry_id=registry_id, sender_id=sender_id, total=len(items), callback=callback)
    body = {"header": made_header, "message": {"transaction_id": transaction, "subscribe_request": items}}
    SubscribeEnvelope.model_validate(body)  # ours, checked as Himaya's registry side checks one
    with uow:
        ids = [uow.crvs.add(s) for s in made]
        uow.audit.record([Change("crvs.subscribe", f"crvs:{registry_id}", None,
                                 {"url": url, "client": client, "events": [s.event_type for s in made]})],
                         actor=actor)  # fmt: skip
        uow.commit()
    try:
        post(f"{url.rstrip('/')}/registry/subscribe", sign(body, client), token)
    except RegistryError as error:
        with uow:
            for id_ in ids:
                uow.crvs.settle(id_, status=S.REJECTED, code=None, reason=str(error), at=datetime.now(UTC))
            uow.commit()
        raise
    with uow.reading():
        return uow.crvs.by_reference([s.reference_id for s in made])


def verify_message(
    uow: CrvsUnitOfWork, signature: str | None, document: dict[str, Any], *, client: str, sender: str
) -> None:
    """The registry's signature of the message, with the keys registered for its client (401 if not)."""
    seal = Seal(signature, canonical(document))
    verify(seal, uow.dci.keys(client), sender_id=sender, now=datetime.now(UTC))


def on_subscribe(uow: CrvsUnitOfWork, document: dict[str, Any], *, client: str, actor: str, sent: Any = None) -> int:
    """The registry's answer to our subscribe: each subscription active with its code, or rejected
    with its reason. The subscriptions it names must be this client's, pending, for this registry.
    `sent`: the message as it came when `document` is it decrypted (its signature covers what came)."""
    answer = read_answer(document)
    results = answer.message.subscribe_response
    with uow:
        verify_message(uow, answer.signature, sent or document, client=client, sender=answer.header.sender_id)
        found = {s.reference_id: s for s in uow.crvs.by_reference([r.reference_id for r in results])}
        for result in results:
            mine = found.get(result.reference_id)
            if mine is None or mine.client != client or mine.registry_id != answer.header.sender_id:
                raise NotSubscribedError(f"reference_id {result.reference_id[:99]!r}: no subscription of ours to you")
            if mine.status != S.PENDING:
                raise ConflictError(f"reference_id {result.reference_id!r}: the subscription is {mine.status}")
            code = result.subscriptions[0].code if result.status == "succ" and result.subscriptions else None
            why = None if code else f"{result.status_reason_code}: {result.status_reason_message}"
            uow.crvs.settle(mine.id or 0, status=S.ACTIVE if code else S.REJECTED, code=code, reason=why,
                            at=datetime.now(UTC))  # fmt: skip
        uow.audit.record([Change("crvs.on_subscribe", f"crvs:{answer.header.sender_id}", None,
                                 {r.reference_id: r.status for r in results})], actor=actor)  # fmt: skip
        uow.commit()
    return len(results)


def unsubscribe(
    uow: CrvsUnitOfWork, code: str, *, sign: Sign, sender_id: str, token: str | None, actor: str
) -> CrvsSubscription:
    """End a subscription at the registry (`/registry/unsubscribe`); once it acknowledges, its notify
    messages under it are refused."""
    with uow.reading():
        found = uow.crvs.by_code(code)
    if found is None or found.status != S.ACTIVE:
        raise NotFoundError(
            f"subscription code {code!r}: no active subscription has it (himaya events crvs-subscriptions)"
        )
    made_header = header("unsubscribe", registry_id=found.registry_id, sender_id=sender_id, total=1, callback=None)
    body = {"header": made_header, "message": {"transaction_id": secrets.token_hex(12), "timestamp": _stamp(),
                                          "subscription_codes": [code]}}  # fmt: skip
    UnsubscribeEnvelope.model_validate(body)
    post(f"{found.registry_url.rstrip('/')}/registry/unsubscribe", sign(body, found.client), token)
    with uow:
        uow.crvs.settle(found.id or 0, status=S.ENDED, code=code, reason=None, at=datetime.now(UTC))
        uow.audit.record([Change("crvs.unsubscribe", f"crvs:{found.registry_id}", None, {"code": code})], actor=actor)
        uow.commit()
    return found


def listed(uow: CrvsUnitOfWork) -> list[CrvsSubscription]:
    with uow.reading():
        return uow.crvs.listed()


def notify(
    uow: CrvsUnitOfWork, document: Any, *, client: str, today: date, actor: str, sent: Any = None
) -> tuple[Received, list[LifeEvent]]:
    """A registry's notify message into the inbox, whole or not at all (see the module's text).
    `sent`: the message as it came when `document` is it decrypted (its signature covers what came)."""
    message = read_notify(document)
    sender = message.header.sender_id
    told, registrations = [], []
    for position, event in enumerate(message.message.notify_event):
        registration, kind, when, facts = notified(position, event)
        told.append(LifeEvent(source_of(sender), event.reference_id, kind.value, when, facts))
        registrations.append((registration.value, registration == kind))  # an update: its registration's
    events, review = matched(uow, told, today=today, where="message.notify_event")

    def guard() -> None:  # in the receipt's transaction: nothing is kept if it refuses
        verify_message(uow, message.signature, sent or document, client=client, sender=sender)
        _subscribed(uow, message, registrations, client=client)

    done = actions.receive(uow, events, today=today, actor=actor, guard=guard, review=review)
    return done, [*events, *(e for e, _ in review)]


def _subscribed(
    uow: CrvsUnitOfWork, message: CrvsNotify, registrations: list[tuple[str, bool]], *, client: str
) -> None:
    """Each registration notified is one an active subscription of ours asked for: its type, its
    filter and its time window. (An update of a registration comes under its type's subscription:
    its record need not repeat what the filter read; the registration passed it.)"""
    sender = message.header.sender_id
    active = {kind: uow.crvs.active(client, sender, kind) for kind, _ in registrations}
    for kind, found in active.items():
        if not found:
            raise NotSubscribedError(
                f"no active subscription of client {client!r} to {kind} events of registry {sender!r}"
                " (himaya events crvs-subscribe; unsubscribed or rejected ones take no events)"
            )
    sent = _sent_at(message.header.message_ts)
    for position, ((kind, registration), event) in enumerate(
        zip(registrations, message.message.notify_event, strict=True)
    ):
        if not registration:
            continue
        record = event.data.reg_records.model_dump(mode="json", by_alias=True)
        said = [stored_criteria(s.criteria).refuses(record, sent) for s in active[kind]]
        if all(said):
            raise NotSubscribedError(
                f"message.notify_event.{position} ({event.reference_id!r}): no subscription of ours asked for this"
                f" {kind} event: {said[0]}"
            )


def _sent_at(text: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def matched(
    uow: CrvsUnitOfWork, told: list[LifeEvent], *, today: date, where: str
) -> tuple[list[LifeEvent], list[tuple[LifeEvent, str]]]:
    """The events checked (refused whole naming the first at fault), those naming a person without a
    civil number matched on the registry: (to receive, for a registrar with the reason)."""
    for position, event in enumerate(told):
        said = replace(event, facts={**event.facts, "person_id": "?"}) if matching.matchable(event) else event
        why = problem(said, today=today)
        if why:
            raise NotifyRefusedError(f"{where}.{position} ({event.source_event_id!r}): {why}")
    return matching.resolve(uow, told)
