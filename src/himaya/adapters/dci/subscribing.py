"""Partners' subscriptions (DCI subscribe/unsubscribe), each message in one unit of work: the
partner's terms checked (sender id, signature, callback address), the message kept as a
transaction (its message_id used once; its answer kept and POSTed like a search's), each subscribe
request checked on its own (a bad one is rejected with the spec's reason code, naming the field)
and the subscriptions written, with the audit entry.

What a subscription may say, and what it means here:
- `reg_event_type`: a registration (`REGISTER`), an update of the record (`UPDATE`) or a death
  (`Death`); the spec's codes are matched on their last part, case aside
  (`spdci-common:RegistryEventType:Death` is `death`). Others are refused `rjct.notify_types.invalid`.
- `filter_type` and `filter`: the search's queries (`idtype-value`, `predicate`, `expression`, see
  `query.py`), evaluated on the record as it is after the change; `graphql` is refused.
- `notify_record_type`: a person record (`SRPerson`, `Person`, `Member`, ...): notifications carry
  `spdci:SR_Person` records. Groups are refused.
- `frequency`: its start_time and end_time bound the subscription's validity; notifications are
  sent as each change commits (the cron text is kept, not used to batch them).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from himaya.adapters.dci import trust
from himaya.adapters.dci.actions import REG_TYPE, keep_once, stamp
from himaya.adapters.dci.envelope import RequestHeader, SearchCriteria
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.adapters.dci.query import PERSONS, RejectedError, criteria_filter, timestamp
from himaya.adapters.dci.signing import Seal
from himaya.adapters.dci.subscribe_envelope import (
    CodeStatus,
    FrequencyInfo,
    SubscribeItem,
    SubscribeResponseMessage,
    SubscribeResult,
    SubscriptionInfo,
    UnsubscribeResponseMessage,
)
from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.errors import NotFoundError
from himaya.registry.partners import (
    Delivery,
    Limits,
    RecordEvent,
    Subscription,
    SubscriptionStatus,
    Transaction,
    TxnStatus,
)
from himaya.registry.query import dumps

EVENTS = {
    "register": RecordEvent.REGISTER,
    "registration": RecordEvent.REGISTER,
    "update": RecordEvent.UPDATE,
    "death": RecordEvent.DEATH,
    "livebirth": RecordEvent.LIVE_BIRTH,
    "live_birth": RecordEvent.LIVE_BIRTH,
    "birth": RecordEvent.LIVE_BIRTH,
    "marriage": RecordEvent.MARRIAGE,
    "divorce": RecordEvent.DIVORCE,
    "enrollment": RecordEvent.ENROLLMENT,
    "enrolment": RecordEvent.ENROLLMENT,
    "enrollement": RecordEvent.ENROLLMENT,  # as the DCI IBR spec spells it
}
FILTER_TYPES = ("idtype-value", "predicate", "expression")
RECORD_TYPES = PERSONS | {"sr_person", "srperson", "person"}
DETAILS = "rjct.notify_details.invalid"


@dataclass(frozen=True)
class Checked:
    """One subscribe request: the subscription to keep, or why not."""

    reference_id: str
    locale: str | None
    subscription: Subscription | None = None
    rejection: RejectedError | None = None
    filter: Any = None


def event_of(code: str) -> RecordEvent:
    """A reg_event_type as the event it names (`spdci-common:RegistryEventType:Death` is a death);
    a code with spaces around it is not the spec's, and would be echoed so in every notify: refused."""
    found = EVENTS.get(code.rsplit(":", 1)[-1].lower())
    if found is None:
        raise RejectedError(
            "rjct.notify_types.invalid",
            f"reg_event_type {code!r} is not notified here:"
            " use REGISTER, UPDATE, Death, LiveBirth, Marriage, Divorce or Enrollment",
        )
    return found


def filter_type_of(given: str | None, value: Any) -> str:
    """The filter's type: as given, or read from its shape (a list is a predicate)."""
    if given is not None:
        if given not in FILTER_TYPES:
            raise RejectedError(DETAILS, f"filter_type {given!r} is not supported: use {', '.join(FILTER_TYPES)}")
        return given
    if isinstance(value, list):
        return "predicate"
    inner = value.get("value") if isinstance(value, dict) else None
    return "expression" if isinstance(inner, dict) and "expression" in inner else "idtype-value"


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    if not timestamp(text):
        raise RejectedError("rjct.timestamp.invalid", f"{name} must be an ISO 8601 time with its zone")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def check_item(item: SubscribeItem, *, client: str, callback: str, at: datetime) -> Checked:
    """One subscribe request, as a subscription or a rejection naming the field at fault."""
    reference = item.reference_id[:99]
    try:
        if not 1 <= len(item.reference_id) <= 99:
            raise RejectedError("rjct.reference_id.invalid", "reference_id must be a string of 1 to 99 characters")
        if not timestamp(item.timestamp):
            raise RejectedError("rjct.timestamp.invalid", "timestamp must be an ISO 8601 time with its zone")
        if item.locale is not None and not re.fullmatch("[a-z]{3}", item.locale):
            raise RejectedError(DETAILS, "locale must be an ISO 639-3 code such as eng or ara")
        criteria = item.subscribe_criteria
        if criteria.reg_type is not None and not criteria.reg_type.lower().endswith("social"):
            raise RejectedError(DETAILS, f"reg_type {criteria.reg_type!r}: this is the social registry ({REG_TYPE})")
        event = event_of(criteria.reg_event_type)
        if criteria.notify_record_type.rsplit(":", 1)[-1].lower() not in RECORD_TYPES:
            raise RejectedError(
                DETAILS, f"notify_record_type {criteria.notify_record_type!r}: notifications carry persons (SRPerson)"
            )
        kind = filter_type_of(criteria.filter_type, criteria.filter)
        try:
            query = SearchCriteria(query_type=kind, query=criteria.filter)
            selects = criteria_filter(query)[0]
        except ValidationError:
            raise RejectedError(DETAILS, f"filter: not a {kind} query") from None
        except RejectedError as error:
            raise RejectedError(DETAILS, f"filter: {error.message}") from None
        window = criteria.frequency
        valid_from = _when(window.start_time if window else None, "frequency.start_time")
        valid_until = _when(window.end_time if window else None, "frequency.end_time")
        if valid_from and valid_until and valid_until <= valid_from:
            raise RejectedError("rjct.timestamp.invalid", "frequency.end_time must come after frequency.start_time")
    except RejectedError as rejected:
        return Checked(reference, item.locale, rejection=rejected)
    kept = Subscription(
        code=f"sub-{secrets.token_hex(16)}",
        client=client,
        reference_id=reference,
        event=event,
        event_code=criteria.reg_event_type,
        filter_type=kind,
        filter=json.dumps(criteria.filter, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        selects=dumps(selects),
        record_type=criteria.notify_record_type,
        callback_uri=callback,
        status=SubscriptionStatus.SUBSCRIBE,
        created_at=at,
        valid_from=valid_from,
        valid_until=valid_until,
        locale=item.locale,
        frequency=window.frequency if window else None,
    )
    return Checked(reference, item.locale, kept, filter=criteria.filter)


def keep_message(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    *,
    kind: str,
    requests: int,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> Transaction:
    """The partner's terms checked and the message kept (pending its answer), in the unit of work."""
    terms = uow.dci.partner(principal.username)
    trust.check(uow, terms, header, principal, seal)
    uri = header.sender_uri or (terms.callbacks[0] if len(terms.callbacks) == 1 else None)
    if uri is None or uri not in terms.callbacks:
        raise RejectedError(
            "err.sender_uri.invalid", "header.sender_uri must be a callback address registered for your client"
        )
    at = datetime.now(UTC)
    transaction = Transaction(
        correlation_id=secrets.token_hex(16),
        client=principal.username,
        message_id=header.message_id,
        transaction_id=transaction_id,
        sender_id=header.sender_id,
        kind=kind,
        status=TxnStatus.PDNG,
        requests=requests,
        callback_uri=uri,
        created_at=at,
        expires_at=at + limits.retention,
        delivery=Delivery.PENDING,
    )
    keep_once(uow, transaction)
    return transaction


def subscribe(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    items: Sequence[SubscribeItem],
    *,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> tuple[Transaction, SubscribeResponseMessage]:
    """Check and keep the message and the subscriptions its requests ask for, in one transaction;
    a request for a subscription the partner has on already (same event, same filter) is rejected
    `rjct.event.already_subscribed`, and so is a reference_id repeated in the message."""
    with uow:
        transaction = keep_message(
            uow,
            header,
            transaction_id,
            kind="subscribe",
            requests=len(items),
            principal=principal,
            limits=limits,
            seal=seal,
        )
        checked, seen = [], set()
        for item in items:
            one = check_item(
                item, client=principal.username, callback=transaction.callback_uri or "", at=datetime.now(UTC)
            )
            if one.subscription is not None:
                kept = one.subscription
                code = uow.subscriptions.subscribed(kept.client, kept.event, kept.filter)
                if one.reference_id in seen:
                    why = RejectedError("rjct.reference_id.duplicate", "reference_id is repeated in the message")
                    one = Checked(one.reference_id, one.locale, rejection=why)
                elif code is not None:
                    why = RejectedError(
                        "rjct.event.already_subscribed",
                        f"you are subscribed to {kept.event_code} with that filter already: {code}",
                    )
                    one = Checked(one.reference_id, one.locale, rejection=why)
                else:
                    uow.subscriptions.add(kept, transaction.correlation_id)
            seen.add(one.reference_id)
            checked.append(one)
        codes = [c.subscription.code for c in checked if c.subscription]
        what = {"codes": codes, "correlation_id": transaction.correlation_id, "sender_id": header.sender_id}
        uow.audit.record([Change("dci.subscribe", f"dci:{principal.username}", None, what)], actor=principal.username)
        message = subscribed_message(transaction, checked)
        status = TxnStatus.SUCC if codes else TxnStatus.RJCT
        uow.dci.finish(
            transaction.correlation_id, status, message.model_dump_json(by_alias=True, exclude_none=True), None
        )
        uow.commit()
    return transaction, message


def info(kept: Subscription, filter_value: Any) -> SubscriptionInfo:
    """A subscription as the spec's SubscriptionInfo."""
    window = None
    if kept.valid_from and kept.valid_until and kept.frequency:
        window = FrequencyInfo(
            start_time=kept.valid_from.isoformat(timespec="seconds"),
            end_time=kept.valid_until.isoformat(timespec="seconds"),
            frequency=kept.frequency,
        )
    return SubscriptionInfo(
        code=kept.code,
        status=kept.status.value,
        timestamp=kept.created_at.isoformat(timespec="seconds"),
        reg_type=REG_TYPE,
        reg_event_type=kept.event_code,
        frequency=window,
        filter_type=kept.filter_type,
        filter=filter_value,
        notify_record_type=kept.record_type,
        locale=kept.locale,
    )


def subscribed_message(transaction: Transaction, checked: Sequence[Checked]) -> SubscribeResponseMessage:
    """The on-subscribe message: each request's subscription (with its code) or rejection."""
    results = []
    for one in checked:
        rejected = one.rejection
        results.append(
            SubscribeResult(
                reference_id=one.reference_id,
                timestamp=stamp(),
                status="rjct" if rejected else "succ",
                status_reason_code=rejected.reason if rejected else None,
                status_reason_message=rejected.message[:999] if rejected else None,
                subscriptions=[info(one.subscription, one.filter)] if one.subscription else None,
                locale=one.locale,
            )
        )
    return SubscribeResponseMessage(
        transaction_id=transaction.transaction_id, correlation_id=transaction.correlation_id, subscribe_response=results
    )


def unsubscribe(
    uow: DciUnitOfWork,
    header: RequestHeader,
    transaction_id: str,
    codes: Sequence[str],
    *,
    principal: Principal,
    limits: Limits,
    seal: Seal,
) -> tuple[Transaction, UnsubscribeResponseMessage]:
    """End the partner's own subscriptions named, all or none: a code that is not one of its
    subscriptions (unknown, or another partner's: the same answer) rejects the request
    `rjct.subscription_code.invalid`; one ended already, `rjct.event.already_unsubscribed`."""
    with uow:
        transaction = keep_message(
            uow,
            header,
            transaction_id,
            kind="unsubscribe",
            requests=len(codes),
            principal=principal,
            limits=limits,
            seal=seal,
        )
        found = uow.subscriptions.statuses(principal.username, codes)
        problem = _unsubscribable(codes, found)
        if problem is None:
            uow.subscriptions.end(principal.username, codes, datetime.now(UTC))
            what = {"codes": sorted(set(codes)), "correlation_id": transaction.correlation_id}
            uow.audit.record(
                [Change("dci.unsubscribe", f"dci:{principal.username}", None, what)], actor=principal.username
            )
        message = UnsubscribeResponseMessage(
            transaction_id=transaction.transaction_id,
            correlation_id=transaction.correlation_id,
            timestamp=stamp(),
            status="rjct" if problem else "succ",
            status_reason_code=problem.reason if problem else None,
            status_reason_message=problem.message[:999] if problem else None,
            subscription_status=[
                CodeStatus(code=c, status=(found[c] if problem else SubscriptionStatus.UNSUBSCRIBE).value)
                for c in dict.fromkeys(codes)
                if c in found
            ]
            or None,
        )
        status = TxnStatus.RJCT if problem else TxnStatus.SUCC
        uow.dci.finish(transaction.correlation_id, status, message.model_dump_json(exclude_none=True), None)
        uow.commit()
    return transaction, message


def _unsubscribable(codes: Sequence[str], found: dict[str, SubscriptionStatus]) -> RejectedError | None:
    unknown = [c for c in dict.fromkeys(codes) if c not in found]
    if unknown:
        return RejectedError(
            "rjct.subscription_code.invalid", f"no subscription of yours has the code {', '.join(unknown)}"
        )
    ended = sorted(c for c, s in found.items() if s is SubscriptionStatus.UNSUBSCRIBE)
    if ended:
        return RejectedError("rjct.event.already_unsubscribed", f"subscription {', '.join(ended)} is ended already")
    return None


def subscriptions(uow: DciUnitOfWork, client: str) -> list[Subscription]:
    """A partner's subscriptions, first first (an operator's view: `himaya partners subscriptions`)."""
    with uow:
        if not uow.partners.is_client(client):
            raise NotFoundError(f"no partner system (client user) named {client!r}")
        return uow.subscriptions.of_client(client)
