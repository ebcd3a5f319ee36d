"""DCI CRVS, the client side: search a civil registry's people (`/registry/sync/search`, or
`/registry/search` with its answer POSTed to Himaya's `/events/dci/on-search`), by civil number
(`idtype-value`, type UIN) or by name and birth date (`predicate`: name eq … and birth_date eq …).

The answer is checked as a notify is (the spec's envelope and records, the signature with the keys
registered for the registry's client); an asynchronous answer must be for a search Himaya sent to
that registry and not answered yet (a replay, or an answer to nothing, is refused and writes
nothing). The vital events of the kinds asked to be taken (`take`: a missed notify fetched) go into
the life-events inbox in the answer's transaction, validated, matched and deduplicated as a notify's:
each is kept under an id made of its kind, person and date, so the same event found again is a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from jwcrypto.jwk import JWK

from himaya.adapters.crvs.client import (
    RECORD_TYPE,
    REG_TYPE,
    RegistryError,
    Sign,
    exchange,
    header,
    matched,
    post,
    source_of,
    verify_message,
)
from himaya.adapters.crvs.messages import (
    DATES,
    NAMES,
    CrvsOnSearch,
    CrvsPerson,
    NotSubscribedError,
    kind_of,
    person_facts,
    read,
)
from himaya.adapters.crvs.ports import CrvsUnitOfWork
from himaya.adapters.dci.encryption import is_encrypted, open_envelope
from himaya.adapters.dci.envelope import SearchEnvelope
from himaya.core.audit import Change
from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError
from himaya.events import actions
from himaya.events.model import LifeEvent, Received

PAGE = 100  # records asked for in one answer


@dataclass(frozen=True)
class Query:
    """A civil number, or a name and a birth date."""

    civil_number: str | None = None
    name: str | None = None
    birth_date: date | None = None

    def criteria(self) -> dict[str, Any]:
        if self.civil_number and not (self.name or self.birth_date):
            return {"query_type": "idtype-value", "query": {"type": "UIN", "value": self.civil_number}}
        if self.civil_number is None and self.name and self.birth_date:
            name = {"attribute_name": "name", "operator": "eq", "attribute_value": self.name}
            born = {"attribute_name": "birth_date", "operator": "eq", "attribute_value": self.birth_date.isoformat()}
            return {"query_type": "predicate", "query": [{"seq_num": 1, "expression1": name, "condition": "and",
                                                          "expression2": born}]}  # fmt: skip
        raise InvalidInputError(
            "search by a civil number (--civil), or by a name and a birth date (--name and --birth-date)"
        )


@dataclass(frozen=True)
class Found:
    """A search's state and the records found (each as Himaya prints it); what taking them did."""

    transaction_id: str
    status: str  # pending (an asynchronous answer to come), answered, failed
    records: list[dict[str, Any]] = field(default_factory=list)
    received: Received | None = None
    events: list[LifeEvent] = field(default_factory=list)
    review: dict[str, str] = field(default_factory=dict)  # event id -> why it waits for a registrar


def check_asking(uow: CrvsUnitOfWork, query: Query, *, registry_id: str, client: str, callback: str | None) -> None:
    """What a search needs, checked before anything (a civil number above all) leaves Himaya."""
    if not registry_id.strip():
        raise InvalidInputError("--registry-id: empty: the registry's sender_id, as registered")
    if query.civil_number is not None and not re.fullmatch(r"[0-9]{1,16}", query.civil_number):
        raise InvalidInputError(f"--civil {query.civil_number[:20]!r}: a civil number is 1 to 16 digits")
    if callback is not None and urlsplit(callback).scheme not in ("http", "https"):
        raise InvalidInputError(f"--callback {callback[:60]!r}: an http or https address of Himaya's on-search")
    with uow.reading():
        keys = uow.dci.keys(client)
    if not keys:
        raise InvalidInputError(
            f"--client {client[:40]!r}: no keys registered for that client user, so its answer could not be "
            "verified: `himaya partners set USER --key FILE` first"
        )


def search(
    uow: CrvsUnitOfWork,
    query: Query,
    *,
    url: str,
    registry_id: str,
    client: str,
    take: list[str],
    callback: str | None,
    sign: Sign,
    sender_id: str,
    token: str | None,
    today: date,
    actor: str,
    decrypting: Sequence[JWK] = (),
) -> Found:
    """Ask the registry. Synchronous (no `callback`): its answer is read, kept and its events taken
    before this returns; a registry that cannot be reached writes nothing. Asynchronous: the search
    is kept (pending) before the POST, so that its answer finds it; if the registry does not
    acknowledge, the search is kept as failed with the reason. The message is encrypted to the
    registry's client's encryption key if it registered one (`sign`); an encrypted synchronous
    answer is opened with our keys (`decrypting`), as `/events/dci/on-search` opens an asynchronous one."""
    check_asking(uow, query, registry_id=registry_id, client=client, callback=callback)
    kinds = ",".join(dict.fromkeys(kind_of(k).value for k in take))
    transaction = secrets.token_hex(12)
    item = {"reference_id": secrets.token_hex(12), "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "search_criteria": {"version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": RECORD_TYPE,
                                **query.criteria(), "pagination": {"page_size": PAGE, "page_number": 1}}}  # fmt: skip
    asked = {"registry_url": url, "registry_id": registry_id, "client": client, "transaction_id": transaction,
             "query": json.dumps(item["search_criteria"], ensure_ascii=False), "take": kinds}  # fmt: skip

    def answered(clear: Any, received: Any) -> Found:
        return on_search(uow, clear, client=client, today=today, actor=actor, sent=asked, received=received)

    sending = Sending(url, registry_id, client, sender_id, token, callback, sign, tuple(decrypting))
    return send(uow, item, asked, sending, audit_action="crvs.search", answered=answered, actor=actor)


@dataclass(frozen=True)
class Sending:
    """Where and how a search goes: the registry, its client user (whose keys sign, encrypt and
    verify), our sender id and bearer token, the callback for an asynchronous answer, our keys."""

    url: str
    registry_id: str
    client: str
    sender_id: str
    token: str | None
    callback: str | None
    sign: Sign
    decrypting: tuple[JWK, ...]


def send(
    uow: CrvsUnitOfWork,
    item: dict[str, Any],
    asked: dict[str, Any],
    to: Sending,
    *,
    audit_action: str,
    answered: Callable[[Any, Any], Found],
    actor: str,
) -> Found:
    """One search request (`item`) sent to a registry (a civil or a disability registry, the same
    exchange): synchronously, its answer opened and read by `answered(clear, as received)`;
    asynchronously, the search (`asked`) kept pending before the POST, and kept failed, with the
    reason, if the registry does not acknowledge it."""
    transaction = asked["transaction_id"]
    made = header("search", registry_id=to.registry_id, sender_id=to.sender_id, total=1, callback=to.callback)
    body = {"header": made, "message": {"transaction_id": transaction, "search_request": [item]}}
    SearchEnvelope.model_validate(body)  # ours, checked as Himaya's registry side checks one
    if to.callback is None:
        where = f"{to.url.rstrip('/')}/registry/sync/search"
        response, answer = exchange(where, to.sign(body, to.client), to.token)
        if not response.is_success:
            raise RegistryError(f"{where}: HTTP {response.status_code}: {str(answer)[:300]}")
        opened = isinstance(answer, dict) and is_encrypted(answer)
        return answered(open_envelope(answer, to.decrypting) if opened else answer, answer)
    subject = f"{audit_action.split('.', maxsplit=1)[0]}:{to.registry_id}"
    with uow:
        id_ = uow.crvs.add_search(asked, at=datetime.now(UTC))
        uow.audit.record([Change(audit_action, subject, None, {**asked, "mode": "async"})], actor=actor)
        uow.commit()
    try:
        post(f"{to.url.rstrip('/')}/registry/search", to.sign(body, to.client), to.token)
    except RegistryError as error:
        with uow:
            uow.crvs.settle_search(id_, status="failed", answer=None, reason=str(error), at=datetime.now(UTC))
            uow.commit()
        raise
    return Found(transaction, "pending")


def summary(person: CrvsPerson) -> dict[str, Any]:
    """A record as Himaya prints and keeps it."""
    name = person.name
    return {
        "civil_number": person.civil_number,
        "given_name": name.given_name if name else None,
        "surname": name.surname if name else None,
        "sex": person.sex,
        **{k: getattr(person, k) or None for k in ("birth_date", "death_date", "marriage_date", "divorce_date")},
    }


def _event_id(kind_name: str, person: CrvsPerson, when: date) -> str:
    """The same event found again has the same id (a duplicate in the inbox)."""
    who = person.civil_number
    if who is None:
        name = person.name.model_dump_json() if person.name else ""
        who = "name-" + hashlib.sha256(f"{name}|{person.birth_date}".encode()).hexdigest()[:16]
    return f"search:{kind_name}:{who}:{when.isoformat()}"


def _taken(answer: CrvsOnSearch, take: str) -> list[LifeEvent]:
    """The vital events of the kinds in `take` the records hold (a date given), as events."""
    kinds = [kind_of(k) for k in take.split(",") if k]
    made = []
    for i, result in enumerate(answer.message.search_response):
        for j, person in enumerate(result.data.reg_records if result.data and result.status == "succ" else []):
            for kind in kinds:
                if not getattr(person, DATES[kind]):
                    continue
                where = f"message.search_response.{i}.data.reg_records.{j}"
                when, facts = person_facts(kind, person, where)
                event_id = _event_id(NAMES[kind], person, when)
                made.append(LifeEvent(source_of(answer.header.sender_id), event_id, kind.value, when, facts))
    return made


def _refuse_others(answer: CrvsOnSearch, criteria: dict[str, Any]) -> None:
    """Every record of the answer must be one the search asked for: its civil number, or its birth
    date (a name is compared by the matching, not here); a record of someone else is refused whole
    (an outside attack: a registry answered a search with another person's death, taken as an event)."""
    if criteria.get("query_type") == "idtype-value":
        key, wanted = "civil_number", str(criteria["query"]["value"])
    else:
        said = {e["attribute_name"]: e["attribute_value"] for p in criteria["query"]
                for e in (p.get("expression1"), p.get("expression2")) if e}  # fmt: skip
        key, wanted = "birth_date", str(said.get("birth_date", ""))
    for i, result in enumerate(answer.message.search_response):
        for j, person in enumerate(result.data.reg_records if result.data else []):
            got = getattr(person, key)
            if (str(got)[:10] if got is not None else None) != wanted:
                raise InvalidInputError(
                    f"message.search_response.{i}.data.reg_records.{j}: {key} {got!s:.20}, not the "
                    f"{wanted!r} the search asked for: an answer holds only the person asked for"
                )


def on_search(
    uow: CrvsUnitOfWork,
    document: Any,
    *,
    client: str,
    today: date,
    actor: str,
    sent: dict[str, Any] | None = None,
    received: Any = None,
) -> Found:
    """The registry's answer (`sent`: the synchronous search it answers, kept with it; otherwise the
    asynchronous search of that transaction, which must be this registry's and still pending).
    `received`: the answer as it came when `document` is it decrypted (its signature covers what came)."""
    answer = read(CrvsOnSearch, document, "SearchResponse")
    sender, transaction = answer.header.sender_id, answer.message.transaction_id
    with uow.reading():
        verify_message(uow, answer.signature, received or document, client=client, sender=sender)
        asked = sent if sent is not None else uow.crvs.search_of(transaction)
    if asked is None or asked["client"] != client or asked["registry_id"] != sender:
        raise NotSubscribedError(f"transaction_id {transaction[:99]!r}: no search of ours to you")
    if sent is not None and transaction != sent["transaction_id"]:
        raise ConflictError(f"transaction_id {transaction[:99]!r}: not the transaction of our search")
    if asked.get("status", "pending") != "pending":
        raise ConflictError(f"transaction_id {transaction!r}: the search is {asked['status']} already (a replay?)")
    _refuse_others(answer, json.loads(asked["query"]))
    records = [summary(p) for r in answer.message.search_response if r.data for p in r.data.reg_records]
    taken = matched(uow, _taken(answer, asked["take"]), today=today, where="the found events")
    answered = Answered(transaction, sender, records, answer.message.search_response, sent, asked)
    return keep_answer(uow, answered, taken, audit_action="crvs.on_search", today=today, actor=actor)


@dataclass(frozen=True)
class Answered:
    """A registry's answer to our search, read: its transaction, who sent it, the records as kept,
    each request's response (status and reason), and the search as sent (sync) or as kept (async)."""

    transaction: str
    sender: str
    records: list[dict[str, Any]]
    responses: Sequence[Any]
    sent: dict[str, Any] | None
    asked: dict[str, Any]


def keep_answer(
    uow: CrvsUnitOfWork,
    answer: Answered,
    taken: tuple[list[LifeEvent], list[tuple[LifeEvent, str]]],
    *,
    audit_action: str,
    today: date,
    actor: str,
) -> Found:
    """Settle the search as answered (once: a replay is a conflict) and take its events, with the
    review they need, into the inbox, all in one transaction (a civil or a disability registry's)."""
    refused = "; ".join(f"the registry refused: {r.status_reason_code}: {r.status_reason_message}"[:300]
                        for r in answer.responses if r.status != "succ") or None  # fmt: skip
    state = "answered" + (f" ({refused})" if refused else "")
    events, review = taken
    transaction, records, sent = answer.transaction, answer.records, answer.sent

    def guard() -> None:  # in the transaction that keeps the events: a replay settles nothing
        id_ = uow.crvs.add_search(sent, at=datetime.now(UTC)) if sent is not None else int(answer.asked["id"])
        text = json.dumps(records, ensure_ascii=False)
        if not uow.crvs.settle_search(id_, status="answered", answer=text, reason=refused, at=datetime.now(UTC)):
            raise ConflictError(f"transaction_id {transaction!r}: the search is answered already (a replay?)")
        said = {"transaction_id": transaction, "records": len(records), "taken": len(events) + len(review),
                **({"query": sent["query"], "mode": "sync"} if sent else {})}  # fmt: skip
        subject = f"{audit_action.split('.', maxsplit=1)[0]}:{answer.sender}"
        uow.audit.record([Change(audit_action, subject, None, said)], actor=actor)

    if not events and not review:
        with uow:
            guard()
            uow.commit()
        return Found(transaction, state, records)
    done = actions.receive(uow, events, today=today, actor=actor, guard=guard, review=review)
    why = {e.source_event_id: reason for e, reason in review}
    return Found(transaction, state, records, done, [*events, *(e for e, _ in review)], why)


def result(uow: CrvsUnitOfWork, transaction_id: str) -> Found:
    """A search's state and records, as kept."""
    with uow.reading():
        found = uow.crvs.search_of(transaction_id)
    if found is None:
        raise NotFoundError(f"transaction {transaction_id!r}: no search of Himaya has it (himaya events crvs-search)")
    records = json.loads(found["answer"]) if found["answer"] else []
    return Found(transaction_id, found["status"] + (f" ({found['reason']})" if found["reason"] else ""), records)
