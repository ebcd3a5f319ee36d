"""`/events`: life events from a civil registry, into the inbox (the worker applies them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.adapters.crvs import client as crvs
from himaya.adapters.crvs import disability
from himaya.adapters.dci.encryption import is_encrypted, open_envelope
from himaya.adapters.dci.query import RejectedError
from himaya.adapters.opencrvs import read_document, signature_ok
from himaya.api.security import require
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.events import actions
from himaya.events.model import LifeEvent, Received
from himaya.events.ports import EventsUnitOfWork

router = APIRouter(prefix="/events", tags=["events"])


class InboxEvent(BaseModel):
    id: int = Field(description="The event's id in the inbox.")
    source_event_id: str = Field(description="The source's id of the event (OpenCRVS: the tracking id).")
    state: str = Field(description="received, applied, held, failed, needs_review or duplicate.")
    reason: str | None = Field(description="Why it failed, is held or needs review.")


class EventsReceived(BaseModel):
    received: int = Field(description="Events new to the inbox (a failed one included).")
    duplicate: int = Field(description="Events the inbox had already: nothing changed.")
    failed: int = Field(description="Events that could not be read or break a rule: kept as failed.")
    events: list[InboxEvent]


async def signed_delivery(request: Request) -> bytes:
    """A dependency: the delivery's raw body, read here and not parsed before its signature is
    checked. With HIMAYA_OPENCRVS_WEBHOOK_SECRET set, a delivery whose HMAC signature is missing or
    is not that of this very body is refused (401) before anything is parsed or written; the token
    says which client sends, the signature that the registry itself made this body."""
    body = await request.body()
    secret = request.app.state.settings.opencrvs_webhook_secret
    if secret is None:
        return body
    header = request.headers.get("x-hub-signature-256") or request.headers.get("x-hub-signature")
    if not signature_ok(secret, body, header):
        raise HTTPException(
            401, "the delivery's X-Hub-Signature is missing or is not the HMAC of its body under the webhook's secret"
        )
    return body


DOCUMENT = {  # the body, read raw (for its signature) and then as `read_document` reads a file
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "A FHIR Bundle of type document, or a webhook delivery {event: {context: [Bundle]}}.",
            }
        }
    },
}


def _received(uow: EventsUnitOfWork, done: Received, events: Sequence[LifeEvent]) -> EventsReceived:
    """The answer to a delivery: the counts, and each event's state in the inbox."""
    kept = actions.states(uow, events)
    return EventsReceived(
        received=done.received,
        duplicate=done.duplicate,
        failed=done.failed,
        events=[InboxEvent(**{k: r[k] for k in ("id", "source_event_id", "state", "reason")}) for r in kept],
    )


@router.post(
    "/opencrvs",
    status_code=202,
    summary="Receive an OpenCRVS birth or death registration (FHIR R4 document, or a webhook delivery holding one)",
    openapi_extra={"requestBody": DOCUMENT},
)
def opencrvs(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.EVENT_SUBMIT))],
    body: Annotated[bytes, Depends(signed_delivery)],
) -> EventsReceived:
    """What cannot be read (not JSON, not a document) is kept as a failed event with its reason."""
    events = read_document(body)  # a delivery: every registration it holds
    uow = bootstrap.unit_of_work(request.app.state.engine)
    done = actions.receive(uow, events, today=today(request.app.state.pack.timezone), actor=principal.username)
    return _received(uow, done, events)


async def dci_message(request: Request) -> Any:
    """A dependency: the message as JSON (its signature is checked against these very members)."""
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):
        raise HTTPException(422, "the message is not JSON") from None


def _opened(request: Request, document: Any) -> Any:
    """The message decrypted with our keys if it came encrypted (`encryption.open_envelope`), else as it came."""
    if isinstance(document, dict) and is_encrypted(document):
        return open_envelope(document, request.app.state.dci_keys.decrypting)
    return document


def _refused(error: RejectedError) -> HTTPException:
    return HTTPException(error.http, f"{error.reason}: {error.message}")


DCI_MESSAGE = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}


@router.post(
    "/dci/notify",
    status_code=202,
    summary="Receive a civil registry's DCI CRVS notify (LiveBirth, Death, Marriage, Divorce) under our subscription",
    openapi_extra={"requestBody": DCI_MESSAGE},
)
def dci_notify(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.EVENT_SUBMIT))],
    document: Annotated[Any, Depends(dci_message)],
) -> EventsReceived:
    """Taken whole or refused whole with the reason: an envelope or record that is not the spec's
    (422), a signature that does not verify with the registry client's keys (401), an event type
    without an active subscription of this client to this registry (403). A replay is a duplicate."""
    uow = bootstrap.unit_of_work(request.app.state.engine)
    when = today(request.app.state.pack.timezone)
    try:
        clear = _opened(request, document)
        done, events = crvs.notify(
            uow, clear, client=principal.username, today=when, actor=principal.username, sent=document
        )
    except RejectedError as error:
        raise _refused(error) from None
    return _received(uow, done, events)


class Subscribed(BaseModel):
    subscriptions: int = Field(description="The subscriptions the answer settled (active or rejected).")


@router.post(
    "/dci/on-subscribe",
    summary="The civil registry's answer to Himaya's DCI CRVS subscribe: the subscription codes",
    openapi_extra={"requestBody": DCI_MESSAGE},
)
def dci_on_subscribe(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.EVENT_SUBMIT))],
    document: Annotated[Any, Depends(dci_message)],
) -> Subscribed:
    uow = bootstrap.unit_of_work(request.app.state.engine)
    try:
        clear = _opened(request, document)
        settled = crvs.on_subscribe(uow, clear, client=principal.username, actor=principal.username, sent=document)
    except RejectedError as error:
        raise _refused(error) from None
    return Subscribed(subscriptions=settled)


class SearchAnswered(BaseModel):
    records: int = Field(description="The people records the answer holds (kept with the search).")
    received: int = Field(description="Found events new to the inbox (the search's --take).")
    duplicate: int = Field(description="Found events the inbox had already.")
    events: list[InboxEvent]


@router.post(
    "/dci/on-search",
    summary="A civil or disability registry's answer to Himaya's asynchronous DCI search (its people records)",
    openapi_extra={"requestBody": DCI_MESSAGE},
)
def dci_on_search(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.EVENT_SUBMIT))],
    document: Annotated[Any, Depends(dci_message)],
) -> SearchAnswered:
    """Refused whole with the reason: an encrypted answer that cannot be read (400
    err.encryption.invalid), not the spec's (422, naming the field), not signed with the registry
    client's keys (401: over the answer as sent, encrypted or not), for no search Himaya sent this
    registry (403), for one answered already (409). The vital events the search asked to take go into the inbox."""
    uow = bootstrap.unit_of_work(request.app.state.engine)
    when = today(request.app.state.pack.timezone)
    try:
        clear = _opened(request, document)
        found = disability.on_any_search(
            uow, clear, client=principal.username, today=when, actor=principal.username, received=document
        )
    except RejectedError as error:
        raise _refused(error) from None
    done = found.received or Received()
    kept = _received(uow, done, found.events).events if found.events else []
    return SearchAnswered(records=len(found.records), received=done.received, duplicate=done.duplicate, events=kept)
