"""DCI subscriptions: `POST /registry/subscribe` and `POST /registry/unsubscribe` (asynchronous, as
the social registry spec defines them: no sync variant). Each acknowledges at once (ACK with the
correlation id, or ERR naming the field at fault) and POSTs its answer (`on-subscribe`,
`on-unsubscribe`) to the sender's registered callback address, signed and with the partner's
bearer token, with retries, like a search's. The subscriptions are kept before the ACK, in the
transaction that keeps the message. docs/api.md describes the exchange.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request

from himaya import bootstrap
from himaya.adapters.dci import subscribing
from himaya.adapters.dci.envelope import AckEnvelope
from himaya.adapters.dci.query import RejectedError, check_header
from himaya.adapters.dci.subscribe_envelope import (
    OnSubscribe,
    OnUnsubscribe,
    SubscribeEnvelope,
    UnsubscribeEnvelope,
)
from himaya.api.routes.dci import ACK_ERRORS, DciRoute, Partner, ack, deliver_later, header, limits, seal

router = APIRouter(tags=["DCI social registry"], route_class=DciRoute)


@router.post(
    "/registry/subscribe",
    summary="DCI: subscribe to changes of the records a filter selects; the answer goes to on-subscribe",
    response_model=AckEnvelope,
    response_model_exclude_none=True,
    responses=ACK_ERRORS,
)
def subscribe(envelope: SubscribeEnvelope, request: Request, background: BackgroundTasks, principal: Partner) -> Any:
    try:
        check_header(envelope.header, "subscribe")
        transaction, message = subscribing.subscribe(
            bootstrap.unit_of_work(request.app.state.engine),
            envelope.header,
            envelope.message.transaction_id,
            envelope.message.subscribe_request,
            principal=principal,
            limits=limits(request),
            seal=seal(request, envelope),
        )
    except RejectedError as error:
        return ack(secrets.token_hex(16), error)
    done = sum(1 for r in message.subscribe_response if r.status == "succ")
    status = "succ" if done else "rjct"
    total = len(message.subscribe_response)
    answer = OnSubscribe(
        header=header("on-subscribe", status, receiver=transaction.sender_id, total=total, done=total),
        message=message,
    )
    body = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    background.add_task(deliver_later, request, transaction, body, limits(request))
    return ack(transaction.correlation_id)


@router.post(
    "/registry/unsubscribe",
    summary="DCI: end subscriptions by their codes; the answer goes to on-unsubscribe",
    response_model=AckEnvelope,
    response_model_exclude_none=True,
    responses=ACK_ERRORS,
)
def unsubscribe(
    envelope: UnsubscribeEnvelope, request: Request, background: BackgroundTasks, principal: Partner
) -> Any:
    try:
        check_header(envelope.header, "unsubscribe")
        transaction, message = subscribing.unsubscribe(
            bootstrap.unit_of_work(request.app.state.engine),
            envelope.header,
            envelope.message.transaction_id,
            envelope.message.subscription_codes,
            principal=principal,
            limits=limits(request),
            seal=seal(request, envelope),
        )
    except RejectedError as error:
        return ack(secrets.token_hex(16), error)
    codes = len(envelope.message.subscription_codes)
    answer = OnUnsubscribe(
        header=header("on-unsubscribe", message.status, receiver=transaction.sender_id, total=codes, done=codes),
        message=message,
    )
    body = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    background.add_task(deliver_later, request, transaction, body, limits(request))
    return ack(transaction.correlation_id)
