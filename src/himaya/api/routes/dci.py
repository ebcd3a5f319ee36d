"""The DCI Social Registry API for partner systems (spdci social_api v1.0.0).

`POST /registry/sync/search` answers in the response; `POST /registry/search` acknowledges at once
(ACK with a correlation id) and POSTs the answer to the sender's registered on-search address, with
retries. `POST /registry/sync/txn/status` and `/registry/txn/status` give a transaction's status and
its kept answer. Each route parses the message (`adapters/dci/envelope.py`), calls one action
(`adapters/dci/actions.py`) and answers with a typed model; a malformed message gets a DCI
rejection (400), never a server error. docs/api.md describes the exchange and its conformance.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from himaya import bootstrap
from himaya.adapters.dci import actions, delivery
from himaya.adapters.dci.envelope import (
    Ack,
    AckEnvelope,
    AckError,
    CallbackHeader,
    Envelope,
    OnSearch,
    OnTxnStatus,
    SearchEnvelope,
    SearchResponseMessage,
    TxnStatusEnvelope,
    TxnStatusResponseMessage,
    TxnStatusResult,
)
from himaya.adapters.dci.query import RejectedError, check_header, plan
from himaya.adapters.dci.render import sr_person
from himaya.adapters.dci.signing import Seal, canonical
from himaya.api.dci_sealed import decrypted
from himaya.api.security import require
from himaya.api.views import pseudonym
from himaya.bootstrap.dci import SENDER_ID
from himaya.core.access import Permission, Principal
from himaya.registry.partners import Limits, Transaction, TxnStatus

log = logging.getLogger(__name__)
HEADER_CODES = {
    "rjct.version.invalid",
    "rjct.message_id.duplicate",
    "rjct.message_ts.invalid",
    "rjct.action.invalid",
    "rjct.action.not_supported",
    "rjct.total_count.invalid",
    "rjct.total_count.limit_exceeded",
    "rjct.errors.too_many",
}


def limits(request: Request) -> Limits:
    """The service's DCI limits: the settings, or those a test put on the application."""
    given = getattr(request.app.state, "dci_limits", None)
    if isinstance(given, Limits):
        return given
    config = request.app.state.settings
    return Limits(
        max_requests=config.dci_max_requests,
        max_records=config.dci_max_records,
        per_minute=config.dci_per_minute,
        retention=timedelta(days=config.dci_retention_days),
        attempts=config.dci_callback_attempts,
    )


def header(action: str, status: str, *, receiver: str | None = None, total: int = 0, done: int = 0) -> CallbackHeader:
    return CallbackHeader(
        message_id=secrets.token_hex(12),
        message_ts=actions.stamp(),
        action=action,
        status=status,
        total_count=total,
        completed_count=done,
        sender_id=SENDER_ID,
        receiver_id=receiver,
    )


def rejected_header(action: str, error: RejectedError) -> CallbackHeader:
    answer = header(action, "rjct")
    if error.reason in HEADER_CODES:
        answer.status_reason_code = error.reason
    answer.status_reason_message = (
        error.message if error.reason in HEADER_CODES else f"{error.reason}: {error.message}"
    )[:999]
    return answer


def _json(model: Any, status: int, request: Request | None = None, to: str | None = None) -> JSONResponse:
    """The answer; with `request`, an answer envelope (header and message) signed with our key, its
    message encrypted first if the partner `to` registered an encryption key."""
    body = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return JSONResponse(request.app.state.dci_sign(body, to) if request else body, status_code=status)


def seal(request: Request, envelope: Envelope) -> Seal:
    """The message's signature and the content it must sign: the body as received, not as parsed."""
    body = json.loads(request.state.dci_body)
    return Seal(envelope.signature, canonical(body if isinstance(body, dict) else {}))


def ack(correlation: str, error: RejectedError | None = None) -> JSONResponse:
    problem = None
    if error is not None:
        code = error.reason if error.reason.startswith("err.") else "err.request.bad"
        text = error.message if code == error.reason else f"{error.reason}: {error.message}"
        problem = AckError(code=code, message=text[:999])
    message = Ack(
        ack_status="ERR" if error else "ACK", timestamp=actions.stamp(), correlation_id=correlation, error=problem
    )
    return _json(AckEnvelope(message=message), error.http if error else 200)


def _invalid(error: RequestValidationError) -> RejectedError:
    """A message the models refuse: the first problem, with a DCI code when the check gave one."""
    first: dict[str, Any] = next(iter(error.errors()), {})
    kind = str(first.get("type", ""))
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "the message"
    code = kind if kind.startswith(("err.", "rjct.")) else "err.request.bad"
    http = 401 if code.startswith("err.signature.") else 400  # the message's authentication failed
    return RejectedError(code, f"{where}: {first.get('msg', 'invalid')}"[:999], http)


class DciRoute(APIRoute):
    """A DCI operation: a message its models refuse is answered in DCI terms (a rejected on-search or
    an ERR acknowledgement), not with the service's generic 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler, asynchronous = super().get_route_handler(), self.path in ASYNC_PATHS
        action = ACTIONS.get(self.path, "on-search")

        async def handle(request: Request) -> Response:
            request.state.dci_body = await request.body()  # kept by the request for the handler too
            try:
                return await handler(decrypted(request))
            except (RequestValidationError, HTTPException, RejectedError) as error:
                if isinstance(error, HTTPException) and error.status_code != 400:
                    raise  # not a body the parser refused (e.g. 401): the service's answer
                if isinstance(error, RejectedError):
                    rejection = error  # an encrypted message that cannot be read
                elif isinstance(error, RequestValidationError):
                    rejection = _invalid(error)
                else:
                    rejection = RejectedError("err.request.bad", "the body is not JSON, or is nested too deeply")
                if asynchronous:
                    return ack(secrets.token_hex(16), rejection)
                return _json(OnSearch(header=rejected_header(action, rejection)), rejection.http, request)

        return handle


ASYNC_PATHS = {"/registry/search", "/registry/txn/status", "/registry/subscribe", "/registry/unsubscribe"}
ACTIONS = {"/registry/sync/search": "on-search", "/registry/sync/txn/status": "txn-on-status"}
router = APIRouter(tags=["DCI social registry"], route_class=DciRoute)
Partner = Annotated[Principal, Depends(require(Permission.DCI_SEARCH))]
REJECTIONS: dict[int | str, dict[str, Any]] = {
    400: {"model": OnSearch, "description": "The message is rejected (header status rjct, with the reason)"},
    401: {"model": OnSearch, "description": "The message signature is missing or not valid (err.signature.*)"},
    403: {"model": OnSearch, "description": "header.sender_id is not the partner's registered sender id"},
    409: {"model": OnSearch, "description": "The message_id was sent already"},
    429: {"model": OnSearch, "description": "Over the partner's search requests a minute"},
}
ACK_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": AckEnvelope, "description": about["description"]} for status, about in REJECTIONS.items()
}


def renderer(request: Request, principal: Principal) -> actions.Render:
    country = request.app.state.pack.country
    return lambda row: sr_person(
        row, identifies=principal.identifies, pseudonym=lambda cn: pseudonym(request, cn), country=country
    )


def on_search(transaction: Transaction, message: SearchResponseMessage) -> OnSearch:
    """The answer: `succ` when any search request succeeded, `rjct` when none did."""
    total = len(message.search_response)
    done = sum(1 for r in message.search_response if r.status == "succ")
    status = "succ" if done else "rjct"
    return OnSearch(
        header=header("on-search", status, receiver=transaction.sender_id, total=total, done=total), message=message
    )


@router.post(
    "/registry/sync/search",
    summary="DCI: search the social registry, answered at once",
    response_model=OnSearch,
    response_model_exclude_none=True,
    responses=REJECTIONS,
)
def sync_search(envelope: SearchEnvelope, request: Request, principal: Partner) -> Any:
    try:
        check_header(envelope.header, "search")
        planned = plan(envelope.message.search_request, max_requests=limits(request).max_requests)
        transaction, message = actions.search_now(
            bootstrap.unit_of_work(request.app.state.engine),
            envelope.header,
            envelope.message.transaction_id,
            planned,
            principal=principal,
            limits=limits(request),
            render=renderer(request, principal),
            seal=seal(request, envelope),
        )
    except RejectedError as error:
        return _json(OnSearch(header=rejected_header("on-search", error)), error.http, request)
    return _json(on_search(transaction, message), 200, request, principal.username)


@router.post(
    "/registry/search",
    summary="DCI: search the social registry; the answer goes to the sender's registered on-search",
    response_model=AckEnvelope,
    response_model_exclude_none=True,
    responses=ACK_ERRORS,
)
def async_search(envelope: SearchEnvelope, request: Request, background: BackgroundTasks, principal: Partner) -> Any:
    try:
        check_header(envelope.header, "search")
        planned = plan(envelope.message.search_request, max_requests=limits(request).max_requests)
        transaction = actions.search_later(
            bootstrap.unit_of_work(request.app.state.engine),
            envelope.header,
            envelope.message.transaction_id,
            planned,
            principal=principal,
            limits=limits(request),
            seal=seal(request, envelope),
        )
    except RejectedError as error:
        return ack(secrets.token_hex(16), error)
    background.add_task(answer_later, request, principal, transaction, planned, limits(request))
    return ack(transaction.correlation_id)


def answer_later(
    request: Request, principal: Principal, transaction: Transaction, planned: list[Any], limits: Limits
) -> None:
    """Make the answer and POST it to the sender, with retries. If it cannot be made, the
    transaction ends rejected and the sender is told so: nothing stays pending."""
    engine = request.app.state.engine
    try:
        render, uow = renderer(request, principal), bootstrap.unit_of_work(engine)
        message = actions.complete(uow, transaction, planned, principal=principal, render=render)
        answer = on_search(transaction, message)
    except Exception:  # whatever failed, the transaction must end and the sender hear of it
        log.exception("DCI answer %s failed", transaction.correlation_id)
        actions.fail(bootstrap.unit_of_work(engine), transaction, "the search failed on the server")
        answer = OnSearch(
            header=rejected_header(
                "on-search", RejectedError("err.service.unavailable", "the search failed on the server")
            )
        )
        answer.header.receiver_id = transaction.sender_id
    deliver_later(request, transaction, answer.model_dump(mode="json", by_alias=True, exclude_none=True), limits)


def deliver_later(request: Request, transaction: Transaction, answer: dict[str, Any], limits: Limits) -> None:
    """POST the answer to the transaction's callback with retries (`adapters/dci/delivery.py`); each
    attempt is recorded and the answer stays fetchable by txn/status either way."""
    engine = request.app.state.engine
    delivery.deliver(
        lambda: bootstrap.unit_of_work(engine),
        transaction,
        answer,
        limits=limits,
        send=request.app.state.dci_deliver,
        sign=request.app.state.dci_sign,
        bearer=request.app.state.dci_bearer,
    )


# --- transaction status --------------------------------------------------------------------------


def txn_status(
    envelope: TxnStatusEnvelope, principal: Principal, request: Request, *, kept_already: bool
) -> OnTxnStatus:
    """The status of the caller's own transaction (`rjct` with a reason when there is none). The
    message is kept with it (its message_id used once) unless kept already (an async one is, before its ACK)."""
    check_header(envelope.header, "txn-status")
    query = envelope.message.txnstatus_request
    if query.txn_type != "search":
        raise RejectedError("err.request.bad", f"txn_type {query.txn_type!r}: only search transactions are kept here")
    values = query.attribute_value if isinstance(query.attribute_value, list) else [query.attribute_value]
    uow = bootstrap.unit_of_work(request.app.state.engine)
    if kept_already:
        with uow:
            found = actions.status(
                uow, query.attribute_type, values, principal=principal, sender_id=envelope.header.sender_id
            )
    else:
        found = actions.status_now(
            uow,
            envelope.header,
            envelope.message.transaction_id,
            query.attribute_type,
            values,
            principal=principal,
            limits=limits(request),
            seal=seal(request, envelope),
        )
    receiver = envelope.header.sender_id
    if not found:
        answer = header("txn-on-status", "rjct", receiver=receiver)
        answer.status_reason_message = f"no search transaction with that {query.attribute_type} is kept for you"
        return OnTxnStatus(header=answer)
    last = found[-1]
    kept = SearchResponseMessage.model_validate_json(last.response) if last.response else None
    if kept is not None and query.attribute_type == "reference_id_list":  # only the requests asked about
        kept.search_response = [r for r in kept.search_response if r.reference_id in values]
    answer = header("txn-on-status", str(last.status), receiver=receiver, total=1, done=int(kept is not None))
    if last.status is TxnStatus.RJCT and last.error:
        answer.status_reason_message = last.error
    result = TxnStatusResult(txn_type="search", txn_status=kept)
    message = TxnStatusResponseMessage(
        transaction_id=envelope.message.transaction_id, correlation_id=last.correlation_id, txnstatus_response=result
    )
    return OnTxnStatus(header=answer, message=message)


@router.post(
    "/registry/sync/txn/status",
    summary="DCI: the status of a search transaction and its kept answer, at once",
    response_model=OnTxnStatus,
    response_model_exclude_none=True,
    responses=REJECTIONS,
)
def sync_txn_status(envelope: TxnStatusEnvelope, request: Request, principal: Partner) -> Any:
    try:
        return _json(txn_status(envelope, principal, request, kept_already=False), 200, request, principal.username)
    except RejectedError as error:
        return _json(OnTxnStatus(header=rejected_header("txn-on-status", error)), error.http, request)


@router.post(
    "/registry/txn/status",
    summary="DCI: the status of a search transaction, POSTed to the sender's registered txn/on-status",
    response_model=AckEnvelope,
    response_model_exclude_none=True,
    responses=ACK_ERRORS,
)
def async_txn_status(
    envelope: TxnStatusEnvelope, request: Request, background: BackgroundTasks, principal: Partner
) -> Any:
    """Checked and kept before the ACK (its correlation id is the kept transaction's); the status
    answer is made at once and POSTed with retries like a search's."""
    try:
        check_header(envelope.header, "txn-status")
        transaction = actions.status_later(
            bootstrap.unit_of_work(request.app.state.engine),
            envelope.header,
            envelope.message.transaction_id,
            principal=principal,
            limits=limits(request),
            seal=seal(request, envelope),
        )
    except RejectedError as error:
        return ack(secrets.token_hex(16), error)
    try:
        answer = txn_status(envelope, principal, request, kept_already=True)
    except RejectedError as error:
        answer = OnTxnStatus(header=rejected_header("txn-on-status", error))
        answer.header.receiver_id = envelope.header.sender_id
    body = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    status = TxnStatus.SUCC if answer.header.status == "succ" else TxnStatus.RJCT
    actions.keep(bootstrap.unit_of_work(request.app.state.engine), transaction, status, json.dumps(body))
    background.add_task(deliver_later, request, transaction, body, limits(request))
    return ack(transaction.correlation_id)
