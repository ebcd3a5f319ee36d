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
BATCH = 20  # events of one subscription in one notify message at most (its notify_event array)
Render = Callable[[Principal, dict[str, Any]], SRPerson]
Made = tuple[Transaction, dict[str, Any], list[Transaction]]  # the first event's, the envelope, the others'
Ready = tuple[dict[str, Any], SRPerson]  # a notification and its record as the partner may read it


def envelope(events: list[Ready], receiver: str) -> dict[str, Any]:
    """The notify message of a subscription's events (one or more), as POSTed (signed at each POST);
    its transaction id is the first event's id."""
    made = []
    for item, record in events:
        at = item["created_at"]
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        data = NotifyData(
            reg_type=REG_TYPE, reg_event_type=item["event_code"], reg_record_type=RECORD_TYPE, reg_records=record
        )
        # reference_id: the partner's own, for its subscribe request
        made.append(
            NotifyEvent(
                reference_id=item["reference_id"],
                timestamp=at.isoformat(timespec="seconds"),
                data=data,
                locale=item["locale"],
            )
        )
    header = CallbackHeader(
        message_id=secrets.token_hex(12),
        message_ts=datetime.now(UTC).isoformat(timespec="seconds"),
        action="notify",
        status="succ",
        total_count=len(made),
        completed_count=len(made),
        sender_id=SENDER_ID,
        receiver_id=receiver,
    )
    message = NotifyMessage(transaction_id=events[0][0]["correlation_id"], notify_event=made)
    return Notify(header=header, message=message).model_dump(mode="json", by_alias=True, exclude_none=True)


def _ready(uow: DciUnitOfWork, render: Render, limit: int) -> dict[str, list[tuple[Ready, dict[str, Any]]]]:
    """The notifications not begun yet, rendered, by subscription code (first first); a person the
    partner may no longer read is refused here, with the reason."""
    partners: dict[str, Principal | None] = {}
    ready: dict[str, list[tuple[Ready, dict[str, Any]]]] = {}
    for item in uow.notifications.unsent(limit):
        client = item["client"]
        if client not in partners:
            partners[client] = uow.notifications.partner(client)
        principal = partners[client]
        row = uow.notifications.record(principal, item["person_id"]) if principal else None
        if principal is None or row is None:
            why = "not sent: the person is not one the partner may read now"
            uow.dci.finish(item["correlation_id"], TxnStatus.RJCT, None, why)
            uow.dci.delivered(item["correlation_id"], Delivery.REFUSED, 0)
            continue
        ready.setdefault(item["code"], []).append(((item, render(principal, row)), row))
    return ready


def prepare(uow: DciUnitOfWork, render: Render, *, limit: int = 1000, batch: int = BATCH) -> list[Made]:
    """Render the notifications not begun yet and keep their envelopes, in one unit of work: a
    subscription's events together, `batch` at most in one message, the envelope kept with each
    (each event is recorded, audited and redelivered with the others of its message). A person the
    partner may no longer read (out of its scope since) is not sent: its delivery is `refused`,
    with the reason. What is to POST."""
    made: list[Made] = []
    with uow:
        for code, entries in _ready(uow, render, limit).items():
            client = entries[0][0][0]["client"]
            terms = uow.dci.partner(client)
            for start in range(0, len(entries), max(batch, 1)):
                chunk = entries[start : start + max(batch, 1)]
                body = envelope([ready for ready, _ in chunk], terms.sender_id or client)
                transactions = []
                for (item, _), row in chunk:
                    uow.dci.address(item["correlation_id"], json.dumps(body))
                    transactions.append(uow.dci.transaction(item["correlation_id"]))
                    what = {"people": [row["civil_number"]], "subscription": code, "event": item["event"]}
                    uow.audit.record([Change("dci.notify", f"dci:{client}", None, what)], actor=delivery.DELIVERER)
                made.append((transactions[0], body, transactions[1:]))
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
    batch: int = BATCH,
) -> list[tuple[Transaction, Delivery]]:
    """Render and POST every notification not begun yet, a subscription's events together (`batch`
    at most a message), each message with `limits.attempts` attempts; the outcome of each event."""
    done: list[tuple[Transaction, Delivery]] = []
    for first, body, others in prepare(unit_of_work(), render, batch=batch):
        outcome = delivery.deliver(
            unit_of_work, first, body, limits=limits, send=post, sign=sign, bearer=bearer, also=others
        )
        done.extend((transaction, outcome) for transaction in (first, *others))
    return done
