"""An async answer POSTed to the partner's callback address: a bounded number of attempts with a
doubling pause between them, each attempt recorded as it happens (`dci_delivery`), each made only
while the address is still one the partner has registered. Whatever the outcome, the answer stays
kept for txn/status until its retention ends."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from himaya.adapters.dci import actions
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.core.audit import Change
from himaya.registry.partners import Attempt, CallbackLogin, Delivery, Limits, Outcome, Transaction


@dataclass(frozen=True)
class Posted:
    """What one POST came to: taken (a 2xx) or not, the partner's HTTP status, why not."""

    ok: bool
    http_status: int | None = None
    error: str | None = None


Post = Callable[..., Posted]  # (address, body) or (address, body, headers)


class Sign(Protocol):
    """The answer as sent to the partner `to`: signed with the service's key (at each POST), its
    message encrypted first when that partner registered an encryption key."""

    def __call__(self, document: dict[str, Any], to: str | None = None, /) -> dict[str, Any]: ...


def unsigned(body: dict[str, Any], to: str | None = None, /) -> dict[str, Any]:
    return body


class TokenError(Exception):
    """The partner's token endpoint gave no access token: the attempt fails with why."""


class Bearer:
    """The bearer token our callbacks carry to a partner whose on-search requires one (the spec's
    `Authorization` scheme): an access token from the partner's token endpoint (OAuth2 client
    credentials, its authz_core `/oauth2/client/token`), kept until a minute before it expires."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], tuple[str, float]] = {}

    def headers(self, uow: DciUnitOfWork, client: str) -> dict[str, str]:
        with uow:
            login = uow.dci.callback_login(client)
        if login is None:
            return {}
        key = (login.url, login.client_id)
        token, until = self._kept.get(key, ("", 0.0))
        if time.monotonic() >= until:
            token, lifetime = fetch_token(login)
            self._kept[key] = (token, time.monotonic() + max(lifetime - 60, 0))
        return {"Authorization": f"Bearer {token}"}


def fetch_token(login: CallbackLogin) -> tuple[str, int]:
    """An access token and its lifetime (seconds) from the partner's token endpoint."""
    form = {"grant_type": "client_credentials", "client_id": login.client_id, "client_secret": login.secret}
    try:
        response = httpx.post(login.url, data=form, timeout=10.0, follow_redirects=False)
        answer = response.json() if response.is_success else {}
    except (httpx.HTTPError, ValueError) as error:
        raise TokenError(f"token endpoint {login.url}: {type(error).__name__}") from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise TokenError(f"token endpoint {login.url}: HTTP {response.status_code}, no access_token")
    try:
        lifetime = int(answer.get("expires_in", 300))
    except (TypeError, ValueError):
        lifetime = 300
    return token, lifetime


DELIVERER = "dci-delivery"  # the service's retries, in the audit trail (a redelivery names its operator)


def post(uri: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Posted:
    """POST an answer to a partner's address (no redirects: only registered addresses are called)."""
    try:
        response = httpx.post(uri, json=body, headers=headers, timeout=10.0, follow_redirects=False)
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


def _post(
    unit_of_work: Callable[[], DciUnitOfWork],
    transaction: Transaction,
    uri: str,
    body: dict[str, Any],
    send: Post,
    bearer: Bearer | None,
) -> Posted:
    """One POST, with the partner's bearer token when it registered a token endpoint."""
    if bearer is None:
        return send(uri, body)
    try:
        headers = bearer.headers(unit_of_work(), transaction.client)
    except TokenError as error:
        return Posted(False, None, f"not sent: {error}"[:999])
    return send(uri, body, headers) if headers else send(uri, body)


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
    bearer: Bearer | None = None,
    also: Sequence[Transaction] = (),
) -> Delivery:
    """POST `body` to the transaction's callback until it is taken or the attempts are spent. The
    envelope is kept first (a redelivery sends the same); attempts are numbered after any made before.
    Before each POST the address is checked against the partner's registered ones now: one removed
    meanwhile (or since the message came, for a redelivery) is not POSTed to, and the delivery is
    `refused` with the reason (`refuse_unregistered`). `also`: the other transactions the same
    envelope carries (the events of a batched notify, each kept with it): each attempt and the
    outcome are recorded for each of them too."""
    uri = transaction.callback_uri
    if uri is None:
        return Delivery.FAILED
    if transaction.envelope is None:
        address(unit_of_work(), transaction, json.dumps(body))
    waits, group = pauses(limits), [transaction, *also]
    for number in range(1, limits.attempts + 1):
        if number > 1:
            sleep(waits[number - 2])
        if refuse_unregistered(unit_of_work(), transaction, transaction.attempts + number, actor=actor):
            for other in also:
                refuse_unregistered(unit_of_work(), other, other.attempts + number, actor=actor)
            return Delivery.REFUSED
        sealed = sign(body, transaction.client)  # signed (and encrypted) now: retries outlive a signature
        posted = _post(unit_of_work, transaction, uri, sealed, send, bearer)
        outcome = Outcome.DELIVERED if posted.ok else Outcome.FAILED
        for member in group:
            attempt = Attempt(
                member.attempts + number, uri, datetime.now(UTC), outcome, posted.http_status, posted.error
            )
            record_attempt(unit_of_work(), member, attempt, last=number == limits.attempts)
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
    bearer: Bearer | None = None,
) -> list[tuple[Transaction, Delivery]]:
    """Deliver again every kept answer its partner has not taken (`actions.undelivered`; the events
    of a batched notify together, in one POST, as first sent), each with `limits.attempts` more
    attempts: what a restart of the service abandoned, or a partner's receiver that was down longer
    than the retries lasted. Only to an address the partner has registered now: an answer whose
    address was removed or changed is `refused`, not sent."""
    groups: dict[str, list[Transaction]] = {}  # the events of a batched notify share their envelope
    for transaction in actions.undelivered(unit_of_work()):
        groups.setdefault(transaction.envelope or transaction.correlation_id, []).append(transaction)
    done: list[tuple[Transaction, Delivery]] = []
    for lead, *others in groups.values():
        body = json.loads(lead.envelope or "{}")
        outcome = deliver(
            unit_of_work, lead, body, limits=limits, send=send, actor=actor, sign=sign, bearer=bearer, also=others
        )
        done.extend((member, outcome) for member in (lead, *others))
    return done
