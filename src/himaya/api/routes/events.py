"""`/events`: life events from a civil registry, into the inbox (the worker applies them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.adapters.opencrvs import read_document, signature_ok
from himaya.api.security import require
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.events import actions

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
    kept = actions.states(uow, events)
    return EventsReceived(
        received=done.received,
        duplicate=done.duplicate,
        failed=done.failed,
        events=[InboxEvent(**{k: r[k] for k in ("id", "source_event_id", "state", "reason")}) for r in kept],
    )
