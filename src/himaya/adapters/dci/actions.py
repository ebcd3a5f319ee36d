"""The DCI exchange's use cases, each in one unit of work: accept a search message (the partner's
terms, limits and duplicates checked, the transaction kept), answer it (the searches, the audit
entry listing the people returned, the answer kept for txn/status), fail it, record its delivery,
and read a transaction's status.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from himaya.adapters.dci import trust
from himaya.adapters.dci.envelope import (
    PageInfo,
    RequestHeader,
    ResultData,
    SearchResponseMessage,
    SearchResult,
    SRPerson,
)
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.adapters.dci.query import Planned, RejectedError
from himaya.adapters.dci.signing import Seal
from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.errors import NotFoundError
from himaya.registry.partners import Attempt, Delivery, Limits, PartnerTerms, Transaction, TxnStatus

REG_TYPE = "ns:org:RegistryType:Social"
RECORD_TYPE = "SRPerson"
Render = Callable[[dict[str, Any]], SRPerson]


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def keep_once(uow: DciUnitOfWork, transaction: Transaction) -> None:
    """Keep a partner's message (in the unit of work, with what it writes): refused 409, nothing kept,
    if it repeats a `message_id` of the partner's (`rjct.message_id.duplicate`), or the
    `transaction_id` of one of its messages of the same kind (`rjct.transaction_id.duplicate`: the
    spec makes the sender ensure its uniqueness and has no code for it; the answer's code is then the
    spec's generic one, this one before the reason). A unique index decides, so of two messages sent
    at once with one id, one is kept and the other refused."""
    repeated = uow.dci.open(transaction)
    if repeated == "message_id":
        raise RejectedError("rjct.message_id.duplicate", f"message_id {transaction.message_id!r} was sent already", 409)
    if repeated is not None:
        raise RejectedError(
            "rjct.transaction_id.duplicate",
            f"transaction_id {transaction.transaction_id!r} was used already in a {transaction.kind} message of "
            "yours: a new message has a new transaction_id",
            409,
        )


def _check_terms(
    uow: DciUnitOfWork,
    header: RequestHeader,
    planned: Sequence[Planned],
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> PartnerTerms:
    """The partner's onboarding and limits: whom it may say it is (and sign as), how much it may ask."""
    terms = uow.dci.partner(principal.username)
    trust.check(uow, terms, header, principal, seal)
    records = sum(p.page.size for p in planned if p.page is not None)
    most = terms.max_records if terms.max_records is not None else limits.max_records
    if records > most:
        raise RejectedError(
            "rjct.total_count.limit_exceeded",
            f"the message asks for up to {records} records (the sum of its page sizes); at most {most}",
        )
    per_minute = terms.per_minute if terms.per_minute is not None else limits.per_minute
    recent = uow.dci.requests_since(principal.username, datetime.now(UTC) - timedelta(minutes=1))
    if recent + len(planned) > per_minute:
        raise RejectedError(
            "err.request.too_many_requests", f"at most {per_minute} search requests a minute: try again later", 429
        )
    return terms


def _callback(terms: PartnerTerms, sender_uri: str | None) -> str:
    """The address an answer goes to: `sender_uri` if registered for the partner, else its only
    registered address when the message names none."""
    uri = sender_uri or (terms.callbacks[0] if len(terms.callbacks) == 1 else None)
    if uri is None or uri not in terms.callbacks:
        raise RejectedError(
            "err.sender_uri.invalid", "header.sender_uri must be a callback address registered for your client"
        )
    return uri


def callback_for(uow: DciUnitOfWork, sender_uri: str | None, *, principal: Principal) -> str:
    """Where an asynchronous answer for this partner may go (see `_callback`)."""
    with uow:
        return _callback(uow.dci.partner(principal.username), sender_uri)


def accept(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    planned: Sequence[Planned],
    *,
    principal: Principal,
    limits: Limits,
    callback: bool,
    seal: Seal,
) -> Transaction:
    """Check and keep a search message, in the unit of work (the caller commits). With `callback`,
    the answer goes to `header.sender_uri`, which must be registered for the partner (its only
    registered address when the header has none)."""
    terms = _check_terms(uow, header, planned, principal, limits, seal)
    uri = _callback(terms, header.sender_uri) if callback else None
    at = datetime.now(UTC)
    uow.dci.forget(at)
    transaction = Transaction(
        correlation_id=secrets.token_hex(16),
        client=principal.username,
        message_id=header.message_id,
        transaction_id=transaction_id,
        sender_id=header.sender_id,
        kind="search",
        status=TxnStatus.PDNG,
        requests=len(planned),
        callback_uri=uri,
        created_at=at,
        expires_at=at + limits.retention,
        delivery=Delivery.PENDING if callback else None,
    )
    keep_once(uow, transaction)
    uow.dci.refer(transaction.correlation_id, principal.username, [p.reference_id for p in planned])
    return transaction


def answer(
    uow: DciUnitOfWork, transaction: Transaction, planned: Sequence[Planned], *, principal: Principal, render: Render
) -> SearchResponseMessage:
    """Run the searches, audit the people returned and keep the answer, in the unit of work (the
    caller commits)."""
    responses, found = [], []
    for item in planned:
        if item.rejection is not None or item.filter is None or item.page is None:
            rejected = item.rejection or RejectedError("rjct.search_criteria.invalid", "not a search")
            responses.append(
                SearchResult(
                    reference_id=item.reference_id,
                    timestamp=stamp(),
                    status="rjct",
                    status_reason_code=rejected.reason,
                    status_reason_message=rejected.message[:999],
                )
            )
            continue
        rows, total = uow.dci.search(principal, item.filter, item.page)
        found += [r["civil_number"] for r in rows]
        responses.append(
            SearchResult(
                reference_id=item.reference_id,
                timestamp=stamp(),
                status="succ",
                data=ResultData(reg_type=REG_TYPE, reg_record_type=RECORD_TYPE, reg_records=[render(r) for r in rows]),
                pagination=PageInfo(page_size=item.page.size, page_number=item.page.number, total_count=total),
                locale=item.locale,
            )
        )
    message = SearchResponseMessage(
        transaction_id=transaction.transaction_id, correlation_id=transaction.correlation_id, search_response=responses
    )
    what = {"people": found, "sender_id": transaction.sender_id, "correlation_id": transaction.correlation_id}
    uow.audit.record([Change("read", f"dci:{principal.username}", None, what)], actor=principal.username)
    status = TxnStatus.SUCC if any(r.status == "succ" for r in responses) else TxnStatus.RJCT
    uow.dci.finish(transaction.correlation_id, status, message.model_dump_json(by_alias=True, exclude_none=True), None)
    return message


def search_now(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    planned: Sequence[Planned],
    *,
    principal: Principal,
    limits: Limits,
    render: Render,
    seal: Seal,
) -> tuple[Transaction, SearchResponseMessage]:
    """A sync search: accepted, answered, audited and kept in one transaction."""
    with uow:
        transaction = accept(
            uow, header, transaction_id, planned, principal=principal, limits=limits, callback=False, seal=seal
        )
        message = answer(uow, transaction, planned, principal=principal, render=render)
        uow.commit()
    return transaction, message


def search_later(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    planned: Sequence[Planned],
    *,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> Transaction:
    """An async search accepted (pending): `complete` answers it after the ACK."""
    with uow:
        transaction = accept(
            uow, header, transaction_id, planned, principal=principal, limits=limits, callback=True, seal=seal
        )
        uow.commit()
    return transaction


def complete(
    uow: DciUnitOfWork, transaction: Transaction, planned: Sequence[Planned], *, principal: Principal, render: Render
) -> SearchResponseMessage:
    with uow:
        message = answer(uow, transaction, planned, principal=principal, render=render)
        uow.commit()
    return message


def fail(uow: DciUnitOfWork, transaction: Transaction, error: str) -> None:
    """End a transaction whose answer could not be made: rejected, with why, never left pending."""
    with uow:
        uow.dci.finish(transaction.correlation_id, TxnStatus.RJCT, None, error[:999])
        uow.commit()


def _keep_status_message(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    *,
    principal: Principal,
    limits: Limits,
    status: TxnStatus,
    callback_uri: str | None,
) -> Transaction:
    """Keep a txn status message (kind txn-status), so that its message_id is used once per partner
    (as a search's is): a replay is refused `rjct.message_id.duplicate`."""
    at = datetime.now(UTC)
    transaction = Transaction(
        correlation_id=secrets.token_hex(16),
        client=principal.username,
        message_id=header.message_id,
        transaction_id=transaction_id,
        sender_id=header.sender_id,
        kind="txn-status",
        status=status,
        requests=0,
        callback_uri=callback_uri,
        created_at=at,
        expires_at=at + limits.retention,
        delivery=Delivery.PENDING if callback_uri else None,
    )
    keep_once(uow, transaction)
    return transaction


def status_later(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    *,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> Transaction:
    """An async txn status accepted: kept (kind txn-status) like a search, so that its answer's
    deliveries are recorded the same way; `keep` stores the answer."""
    with uow:
        terms = uow.dci.partner(principal.username)
        trust.check(uow, terms, header, principal, seal)
        callback = _callback(terms, header.sender_uri)
        transaction = _keep_status_message(
            uow,
            header,
            transaction_id,
            principal=principal,
            limits=limits,
            status=TxnStatus.PDNG,
            callback_uri=callback,
        )
        uow.commit()
    return transaction


def keep(uow: DciUnitOfWork, transaction: Transaction, status: TxnStatus, response: str) -> None:
    """Keep an answer made outside the accepting unit of work (an async txn status's)."""
    with uow:
        uow.dci.finish(transaction.correlation_id, status, response, None)
        uow.commit()


def undelivered(uow: DciUnitOfWork, *, stale: timedelta = timedelta(minutes=10)) -> list[Transaction]:
    """The kept answers a partner has not taken: delivery failed, or pending for longer than the
    serving process's retries take (a restart abandoned them)."""
    now = datetime.now(UTC)
    with uow:
        return uow.dci.undelivered(now, now - stale)


def deliveries(uow: DciUnitOfWork, correlation_id: str) -> list[Attempt]:
    """A transaction's delivery attempts (an operator's view: `himaya partners deliveries`)."""
    with uow:
        found = uow.dci.attempts(correlation_id)
    if not found:
        raise NotFoundError(f"no delivery attempt is kept for correlation id {correlation_id!r}")
    return found


def purge(uow: DciUnitOfWork, *, actor: str, at: datetime | None = None) -> int:
    """Remove the transactions whose retention has ended (with their references and delivery
    attempts); how many, in the audit trail too."""
    with uow:
        removed = uow.dci.forget(at or datetime.now(UTC))
        uow.audit.record([Change("dci.purge", "dci:transactions", None, {"removed": removed})], actor=actor)
        uow.commit()
    return removed


def _find(
    uow: DciUnitOfWork, attribute: str, values: Sequence[str], *, principal: Principal, sender_id: str
) -> list[Transaction]:
    trust.check_sender(uow.dci.partner(principal.username), sender_id, principal)
    if attribute not in ("transaction_id", "correlation_id", "reference_id_list"):
        raise RejectedError(
            "err.request.bad", "attribute_type must be transaction_id, correlation_id or reference_id_list"
        )
    return uow.dci.find(principal.username, attribute, values, datetime.now(UTC))


def _audit_status(uow: DciUnitOfWork, found: list[Transaction], *, principal: Principal, sender_id: str) -> None:
    what = {"txn_status": [t.correlation_id for t in found], "sender_id": sender_id}
    uow.audit.record([Change("read", f"dci:{principal.username}", None, what)], actor=principal.username)


def status(
    uow: DciUnitOfWork, attribute: str, values: Sequence[str], *, principal: Principal, sender_id: str
) -> list[Transaction]:
    """The caller's own transactions (never another partner's) still kept, by transaction_id,
    correlation_id or reference_id_list; reading their answers is audited as a read of the people in
    them. For a message kept already (an async txn status, `status_later`)."""
    found = _find(uow, attribute, values, principal=principal, sender_id=sender_id)
    _audit_status(uow, found, principal=principal, sender_id=sender_id)
    uow.commit()
    return found


def status_now(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    attribute: str,
    values: Sequence[str],
    *,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> list[Transaction]:
    """A sync txn status: the transactions found as `status` finds them, and the message kept (its
    message_id used once, like a search's: a replayed message is refused before anything is read
    back or audited), in one transaction."""
    with uow:
        trust.check(uow, uow.dci.partner(principal.username), header, principal, seal)
        found = _find(uow, attribute, values, principal=principal, sender_id=header.sender_id)
        answered = TxnStatus.SUCC if found else TxnStatus.RJCT
        _keep_status_message(
            uow, header, transaction_id, principal=principal, limits=limits, status=answered, callback_uri=None
        )
        _audit_status(uow, found, principal=principal, sender_id=header.sender_id)
        uow.commit()
    return found
