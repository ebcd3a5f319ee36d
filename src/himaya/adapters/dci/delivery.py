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
from himaya.registry.partners import Attempt, Delivery, Limits, Outcome, Transaction


@dataclass(frozen=True)
class Posted:
    """What one POST came to: taken (a 2xx) or not, the partner's HTTP status, why not."""

    ok: bool
    http_status: int | None = None
    error: str | None = None


Post = Callable[[str, dict[str, Any]], Posted]
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


def deliver(
    unit_of_work: Callable[[], DciUnitOfWork],
    transaction: Transaction,
    body: dict[str, Any],
    *,
    limits: Limits,
    send: Post = post,
    sleep: Callable[[float], None] = time.sleep,
    actor: str = DELIVERER,
) -> Delivery:
    """POST `body` to the transaction's callback until it is taken or the attempts are spent. The
    envelope is kept first (a redelivery sends the same); attempts are numbered after any made before.
    Before each POST the address is checked against the partner's registered ones now: one removed
    meanwhile (or since the message came, for a redelivery) is not POSTed to, and the delivery is
    `refused` with the reason (`actions.refuse_unregistered`)."""
    uri = transaction.callback_uri
    if uri is None:
        return Delivery.FAILED
    if transaction.envelope is None:
        actions.address(unit_of_work(), transaction, json.dumps(body))
    waits, before = pauses(limits), transaction.attempts
    for number in range(1, limits.attempts + 1):
        if number > 1:
            sleep(waits[number - 2])
        if actions.refuse_unregistered(unit_of_work(), transaction, before + number, actor=actor):
            return Delivery.REFUSED
        posted = send(uri, body)
        outcome = Outcome.DELIVERED if posted.ok else Outcome.FAILED
        attempt = Attempt(before + number, uri, datetime.now(UTC), outcome, posted.http_status, posted.error)
        actions.record_attempt(unit_of_work(), transaction, attempt, last=number == limits.attempts)
        if posted.ok:
            return Delivery.DELIVERED
    return Delivery.FAILED


def redeliver(
    unit_of_work: Callable[[], DciUnitOfWork], *, limits: Limits, send: Post = post, actor: str = DELIVERER
) -> list[tuple[Transaction, Delivery]]:
    """Deliver again every kept answer its partner has not taken (`actions.undelivered`), each with
    `limits.attempts` more attempts: what a restart of the service abandoned, or a partner's
    receiver that was down longer than the retries lasted. Only to an address the partner has
    registered now: an answer whose address was removed or changed is `refused`, not sent."""
    done = []
    for transaction in actions.undelivered(unit_of_work()):
        body = json.loads(transaction.envelope or "{}")
        outcome = deliver(unit_of_work, transaction, body, limits=limits, send=send, actor=actor)
        done.append((transaction, outcome))
    return done
