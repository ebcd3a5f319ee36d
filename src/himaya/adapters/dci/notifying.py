"""DCI `notify`, after the change committed: each notification queued in the change's transaction
(`db/stores/dci_notify.py`) is rendered once (the record as the partner may read it then, as an
`spdci:SR_Person`) into its envelope, which is kept, and POSTed to the subscription's address with
the search answers' machinery (`delivery.py`: signed at each POST, the partner's bearer token,
retries with backoff, every attempt recorded; `himaya partners redeliver` sends the same envelope
again). The notification's correlation id is its event id (the message's `transaction_id`; its
`notify_event[].reference_id` is the partner's reference id of the subscribe request): made once
in the outbox, so a redelivery never makes a second event.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from himaya.adapters.dci import delivery
from himaya.adapters.dci.actions import REG_TYPE
from himaya.adapters.dci.envelope import CallbackHeader, SRPerson
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.adapters.dci.subscribe_envelope import Notify, NotifyData, NotifyEvent, NotifyMessage
from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.registry.partners import Delivery, Limits, Transaction, TxnStatus

RECORD_TYPE = "spdci:SR_Person"
SENDER_ID = "himaya"
Render = Callable[[Principal, dict[str, Any]], SRPerson]
Made = tuple[Transaction, dict[str, Any]]


def envelope(item: dict[str, Any], record: SRPerson, receiver: str) -> dict[str, Any]:
    """The notify message of one event, as POSTed (signed at each POST)."""
    at = item["created_at"]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    event = NotifyEvent(
        reference_id=item["reference_id"],  # the partner's own, for its subscribe request
        timestamp=at.isoformat(timespec="seconds"),
        data=NotifyData(
            reg_type=REG_TYPE, reg_event_type=item["event_code"], reg_record_type=RECORD_TYPE, reg_records=record
        ),
        locale=item["locale"],
    )
    header = CallbackHeader(
        message_id=secrets.token_hex(12),
        message_ts=datetime.now(UTC).isoformat(timespec="seconds"),
        action="notify",
        status="succ",
        total_count=1,
        completed_count=1,
        sender_id=SENDER_ID,
        receiver_id=receiver,
    )
    message = NotifyMessage(transaction_id=item["correlation_id"], notify_event=[event])
    return Notify(header=header, message=message).model_dump(mode="json", by_alias=True, exclude_none=True)


def prepare(uow: DciUnitOfWork, render: Render, *, limit: int = 1000) -> list[Made]:
    """Render the notifications not begun yet and keep their envelopes, in one unit of work; a
    person the partner may no longer read (out of its scope since) is not sent: its delivery is
    `refused`, with the reason. What is to POST."""
    made: list[Made] = []
    with uow:
        partners: dict[str, Principal | None] = {}
        for item in uow.notifications.unsent(limit):
            client = item["client"]
            if client not in partners:
                partners[client] = uow.notifications.partner(client)
            principal = partners[client]
            row = uow.notifications.record(principal, item["person_id"]) if principal else None
            correlation = item["correlation_id"]
            if principal is None or row is None:
                why = "not sent: the person is not one the partner may read now"
                uow.dci.finish(correlation, TxnStatus.RJCT, None, why)
                uow.dci.delivered(correlation, Delivery.REFUSED, 0)
                continue
            terms = uow.dci.partner(client)
            body = envelope(item, render(principal, row), terms.sender_id or client)
            uow.dci.address(correlation, json.dumps(body))
            transaction = uow.dci.transaction(correlation)
            made.append((transaction, body))
            what = {"people": [row["civil_number"]], "subscription": item["code"], "event": item["event"]}
            uow.audit.record([Change("dci.notify", f"dci:{client}", None, what)], actor=delivery.DELIVERER)
        uow.commit()
    return made


def send(
    unit_of_work: Callable[[], DciUnitOfWork],
    render: Render,
    *,
    limits: Limits,
    post: delivery.Post = delivery.post,
    sign: delivery.Sign = delivery.unsigned,
    bearer: delivery.Bearer | None = None,
) -> list[tuple[Transaction, Delivery]]:
    """Render and POST every notification not begun yet (each with `limits.attempts` attempts)."""
    done = []
    for transaction, body in prepare(unit_of_work(), render):
        outcome = delivery.deliver(unit_of_work, transaction, body, limits=limits, send=post, sign=sign, bearer=bearer)
        done.append((transaction, outcome))
    return done
