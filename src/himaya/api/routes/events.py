"""`/events`: life events from a civil registry, into the inbox (the worker applies them)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
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


async def signed_delivery(request: Request) -> None:
    """A dependency: with HIMAYA_OPENCRVS_WEBHOOK_SECRET set, a delivery whose HMAC signature is missing
    or is not that of its raw body is refused (401) before anything is read or written; the token
    says which client sends, the signature that the registry itself made this very body."""
    secret = request.app.state.settings.opencrvs_webhook_secret
    if secret is None:
        return
    header = request.headers.get("x-hub-signature-256") or request.headers.get("x-hub-signature")
    if not signature_ok(secret, await request.body(), header):
        raise HTTPException(
            401, "the delivery's X-Hub-Signature is missing or is not the HMAC of its body under the webhook's secret"
        )


@router.post(
    "/opencrvs",
    status_code=202,
    summary="Receive an OpenCRVS birth or death registration (FHIR R4 document, or a webhook delivery holding one)",
)
def opencrvs(
    request: Request,
    document: Annotated[
        dict[str, Any], Body(description="A FHIR Bundle of type document, or {event: {context: [Bundle]}}.")
    ],
    principal: Annotated[Principal, Depends(require(Permission.EVENT_SUBMIT))],
    _: Annotated[None, Depends(signed_delivery)],
) -> EventsReceived:
    events = read_document(json.dumps(document))  # a delivery: every registration it holds
    uow = bootstrap.unit_of_work(request.app.state.engine)
    done = actions.receive(uow, events, today=today(request.app.state.pack.timezone), actor=principal.username)
    kept = actions.states(uow, events)
    return EventsReceived(
        received=done.received,
        duplicate=done.duplicate,
        failed=done.failed,
        events=[InboxEvent(**{k: r[k] for k in ("id", "source_event_id", "state", "reason")}) for r in kept],
    )
