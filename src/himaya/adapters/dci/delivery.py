"""An async answer POSTed to the partner's callback address: a bounded number of attempts with a
doubling pause between them, each attempt recorded as it happens (`dci_delivery`), each made only
while the address is still one the partner has registered. Whatever the outcome, the answer stays
kept for txn/status until its retention ends."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from himaya.adapters.dci import actions
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.core.audit import Change
from himaya.registry.partners import Attempt, Delivery, Limits, Outcome, Transaction


@dataclass(frozen=True)
class Posted:
    """What one POST came to: taken (a 2xx) or not, the partner's HTTP status, why not."""

    ok: bool
    http_status: int | None = None
    error: str | None = None


Post = Callable[[str, dict[str, Any]], Posted]
Sign = Callable[[dict[str, Any]], dict[str, Any]]  # the answer with the service's signature (made at each POST)


def unsigned(body: dict[str, Any]) -> dict[str, Any]:
    return body


DELIVERER = "dci-delivery"  # the service's retries, in the audit trail (a redelivery names its operator)


def post(uri: str, body: dict[str, Any]) -> Posted:
    """POST an answer to a partner's address (no redirects: only registered addresses are called)."""
    try:
        response = httpx.post(uri, json=body, timeout=10.0, follow_redirects=False)
    except httpx.HTTPError as error:
        return Posted(False, None, f"{type(error).__name__}: {error}"[:999])
    if response.is_success:
        return Posted(True, response.status_code)
    return Posted(False, response.status_code, f"HTTP {response.status_code}")


def pauses(limits: Limits) -> list[float]:
    """The seconds waited before the 2nd, 3rd, ... attempt: backoff, then doubled each time."""
    return [limits.backoff * 2**n for n in range(max(limits.attempts - 1, 0))]


def unregistered(transaction: Transaction) -> str:
    """Why an answer is not POSTed to its address: the partner no longer has it registered."""
    return (
        f"not sent: {transaction.callback_uri} is no longer a callback address registered for partner"
        f" {transaction.client!r}"
    )


def refuse_unregistered(uow: DciUnitOfWork, transaction: Transaction, attempt: int, *, actor: str) -> bool:
    """Before each POST of an answer: is its address still one its partner has registered? If not
    (removed, or changed for another, since the message came), the attempt is recorded as not sent
    with the reason, the delivery is `refused` (never tried again, by the service or a redelivery)
    and audited; True. Checked and written in one transaction."""
    with uow:
        if transaction.callback_uri in uow.dci.partner(transaction.client).callbacks:
            return False
        why = unregistered(transaction)
        uri = transaction.callback_uri or ""
        uow.dci.attempted(
            transaction.correlation_id, Attempt(attempt, uri, datetime.now(UTC), Outcome.FAILED, None, why)
        )
        uow.dci.delivered(transaction.correlation_id, Delivery.REFUSED, attempt - 1)  # the POSTs made
        change = Change(
            "dci.delivery.refused",
            f"correlation:{transaction.correlation_id}",
            {"client": transaction.client, "callback_uri": uri},
            {"delivery": Delivery.REFUSED.value, "reason": why},
        )
        uow.audit.record([change], actor=actor)
        uow.commit()
    return True


def record_attempt(uow: DciUnitOfWork, transaction: Transaction, attempt: Attempt, *, last: bool) -> None:
    """One POST of the answer, recorded as it happens (a restart loses no attempt already made); the
    transaction's delivery is `delivered` once one succeeds, `failed` after the last one fails."""
    delivered = attempt.outcome is Outcome.DELIVERED
    state = Delivery.DELIVERED if delivered else Delivery.FAILED if last else Delivery.PENDING
    with uow:
        uow.dci.attempted(transaction.correlation_id, attempt)
        uow.dci.delivered(transaction.correlation_id, state, attempt.attempt)
        uow.commit()


def address(uow: DciUnitOfWork, transaction: Transaction, envelope: str) -> None:
    with uow:
        uow.dci.address(transaction.correlation_id, envelope)
        uow.commit()


def deliver(
    unit_of_work: Callable[[], DciUnitOfWork],
    transaction: Transaction,
    body: dict[str, Any],
    *,
    limits: Limits,
    send: Post = post,
    sleep: Callable[[float], None] = time.sleep,
    actor: str = DELIVERER,
    sign: Sign = unsigned,
) -> Delivery:
    """POST `body` to the transaction's callback until it is taken or the attempts are spent. The
    envelope is kept first (a redelivery sends the same); attempts are numbered after any made before.
    Before each POST the address is checked against the partner's registered ones now: one removed
    meanwhile (or since the message came, for a redelivery) is not POSTed to, and the delivery is
    `refused` with the reason (`refuse_unregistered`)."""
    uri = transaction.callback_uri
    if uri is None:
        return Delivery.FAILED
    if transaction.envelope is None:
        address(unit_of_work(), transaction, json.dumps(body))
    waits, before = pauses(limits), transaction.attempts
    for number in range(1, limits.attempts + 1):
        if number > 1:
            sleep(waits[number - 2])
        if refuse_unregistered(unit_of_work(), transaction, before + number, actor=actor):
            return Delivery.REFUSED
        posted = send(uri, sign(body))  # signed now: a signature lives minutes, retries and redeliveries longer
        outcome = Outcome.DELIVERED if posted.ok else Outcome.FAILED
        attempt = Attempt(before + number, uri, datetime.now(UTC), outcome, posted.http_status, posted.error)
        record_attempt(unit_of_work(), transaction, attempt, last=number == limits.attempts)
        if posted.ok:
            return Delivery.DELIVERED
    return Delivery.FAILED


def redeliver(
    unit_of_work: Callable[[], DciUnitOfWork],
    *,
    limits: Limits,
    send: Post = post,
    actor: str = DELIVERER,
    sign: Sign = unsigned,
) -> list[tuple[Transaction, Delivery]]:
    """Deliver again every kept answer its partner has not taken (`actions.undelivered`), each with
    `limits.attempts` more attempts: what a restart of the service abandoned, or a partner's
    receiver that was down longer than the retries lasted. Only to an address the partner has
    registered now: an answer whose address was removed or changed is `refused`, not sent."""
    done = []
    for transaction in actions.undelivered(unit_of_work()):
        body = json.loads(transaction.envelope or "{}")
        outcome = deliver(unit_of_work, transaction, body, limits=limits, send=send, actor=actor, sign=sign)
        done.append((transaction, outcome))
    return done
