"""A small civil registry for the tests: the registry side of DCI CRVS (crvs_api v1.0.0), written
from the spec and not from Himaya's code. `/registry/subscribe` acknowledges, then POSTs its
`on-subscribe` (the subscription codes) to the subscriber's `sender_uri`; `/registry/unsubscribe`
ends a code; `/control/notify` (the tests' lever) makes it POST a `notify` message, signed as the
spec's MsgSignature shows, to the subscriber's notify address, and answers what the subscriber said,
unless the subscription's `filter` does not take the record or its `frequency` holds it for its
schedule (`/control/flush`: the schedule comes, the held events go in one notify).
`/registry/sync/search` answers a search of its `people` (by `idtype-value` UIN, or the `predicate`
name eq … and birth_date eq …) with a signed on-search; `/registry/search` acknowledges, then POSTs
it to the searcher's `sender_uri`; `/control/on-search` POSTs the last one again (a replay) or one of
the test's making."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import BackgroundTasks, FastAPI, HTTPException, Request
from jwcrypto import jwe, jwk

REGISTRY_ID = "civil-registry.example"
KEY_ID = "registry-key-1"


@dataclass
class Registry:
    token: str = ""  # the bearer token Himaya gave the registry's client
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> what was asked, and status
    callback: str = ""  # the subscriber's sender_uri (…/on-subscribe); notify goes beside it (…/notify)
    seen: list[dict[str, Any]] = field(default_factory=list)  # the messages received, as received
    answers: list[str] = field(default_factory=list)  # what the subscriber answered its on-subscribe
    people: list[dict[str, Any]] = field(default_factory=list)  # CRVSPerson records its searches find
    on_search: dict[str, Any] = field(default_factory=dict)  # the last async answer: url, message, signature
    refuse: str = ""  # a search's status_reason_code: its searches refused with it
    everyone: bool = False  # a registry that answers a search with every record it holds, asked or not
    queued: list[dict[str, Any]] = field(default_factory=list)  # events held for a subscription's frequency
    reg_type: str = "ns:org:RegistryType:Civil"  # a disability registry: ns:org:RegistryType:DR (PWD_Person records)
    record_type: str = "spdci-extensions-crvs:Person"
    enc_key: jwk.JWK | None = None  # its private encryption key (its public half registered at Himaya)
    encrypt_to: dict[str, Any] | None = None  # Himaya's encryption key (its JWKS): its answers encrypted to it
    sealed: list[bool] = field(default_factory=list)  # whether each message received came encrypted

    def opened(self, body: dict[str, Any]) -> dict[str, Any]:
        """A received message, its `message` decrypted with the registry's key if it came as a JWE."""
        encrypted = body.get("header", {}).get("is_msg_encrypted") is True
        self.sealed.append(encrypted)
        if not encrypted:
            return body
        if self.enc_key is None:
            raise HTTPException(400, "err.encryption.invalid: this registry has no encryption key")
        token = jwe.JWE()
        token.deserialize(json.dumps(body["message"]), self.enc_key)
        return body | {"message": json.loads(token.payload)}

    def sealing(self, answer: dict[str, Any]) -> dict[str, Any]:
        """An answer as this registry sends it: encrypted to Himaya's key if it has one, then signed."""
        made = encrypted(answer, self.encrypt_to) if self.encrypt_to else answer
        return {"signature": self.sign(made), **made}

    def jwk(self) -> dict[str, Any]:
        raw = self.key.public_key().public_bytes_raw()
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": KEY_ID, "alg": "EdDSA", "use": "sig"}

    def sign(self, message: dict[str, Any], key: Ed25519PrivateKey | None = None) -> str:
        """MsgSignature of {header}+{message}: Ed25519 over (created) (expires) and the BLAKE2b-512 digest."""
        body = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        created = int(time.time())
        expires = created + 300
        digest = base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode()
        text = f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()
        signature = base64.b64encode((key or self.key).sign(text)).decode()
        return (
            f'Signature: namespace="spdci", kidId="{REGISTRY_ID}|{KEY_ID}|ed25519", algorithm="ed25519", '
            f'created="{created}", expires="{expires}", headers="(created) (expires) digest", signature="{signature}"'
        )

    def post(self, url: str, message: dict[str, Any], *, signed: str = "good") -> httpx.Response:
        body = dict(message)
        if signed == "good":
            body = {"signature": self.sign(message), **message}
        elif signed == "other-key":
            body = {"signature": self.sign(message, Ed25519PrivateKey.generate()), **message}
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.post(url, json=body, headers=headers, timeout=30.0)


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ack(correlation: str) -> dict[str, Any]:
    return {"message": {"ack_status": "ACK", "timestamp": _stamp(), "correlation_id": correlation}}


def _header(action: str, total: int) -> dict[str, Any]:
    return {"version": "1.0.0", "message_id": secrets.token_hex(8), "message_ts": _stamp(), "action": action,
            "status": "succ", "total_count": total, "completed_count": total, "sender_id": REGISTRY_ID,
            "receiver_id": "himaya"}  # fmt: skip


def _value(record: dict[str, Any]) -> str | None:
    found = record.get("personal_details", record).get("identifier")  # a PWD_Person's is in its personal_details
    if isinstance(found, str):
        return found
    first = found[0] if isinstance(found, list) and found else found
    return first.get("identifier_value") if isinstance(first, dict) else None


def _finds(record: dict[str, Any], criteria: dict[str, Any]) -> bool:
    """Whether a search's criteria find the record (the two query types this registry knows)."""
    query = criteria["query"]
    if criteria["query_type"] == "idtype-value":
        return query["type"] == "UIN" and _value(record) == query["value"]
    said = {e["attribute_name"]: e["attribute_value"] for p in query for e in (p["expression1"], p.get("expression2"))
            if e}  # fmt: skip
    name = record.get("name") or {}
    full = " ".join(name.get(k) or "" for k in ("given_name", "surname")).strip().lower()
    born = str(record.get("birth_date", ""))[:10]
    return full == str(said.get("name", "")).lower() and born == said.get("birth_date")


def _on_search(registry: Registry, message: dict[str, Any]) -> dict[str, Any]:
    results = []
    for item in message["search_request"]:
        found = [r for r in registry.people if registry.everyone or _finds(r, item["search_criteria"])]
        if registry.refuse:
            refused = {"status": "rjct", "status_reason_code": registry.refuse}
            refused["status_reason_message"] = "not searchable"
            results.append({"reference_id": item["reference_id"], "timestamp": _stamp(), **refused})
            continue
        results.append({"reference_id": item["reference_id"], "timestamp": _stamp(), "status": "succ",
                        "data": {"version": "1.0.0", "reg_type": registry.reg_type,
                                 "reg_record_type": registry.record_type, "reg_records": found},
                        "pagination": {"page_size": 100, "page_number": 1, "total_count": len(found)}})  # fmt: skip
    return {"header": _header("on-search", len(results)),
            "message": {"transaction_id": message["transaction_id"], "correlation_id": secrets.token_hex(8),
                        "search_response": results}}  # fmt: skip


def add_search(app: FastAPI, registry: Registry) -> None:
    """The registry's search: sync, async, and the tests' lever on its on-search."""

    async def searched(request: Request) -> dict[str, Any]:
        body = registry.opened(await request.json())
        registry.seen.append(body)
        if request.headers.get("authorization") != "Bearer registry-access" or "signature" not in body:
            raise HTTPException(401, "unsigned or without the registry's token")
        if body["header"]["action"] != "search" or not body["message"].get("search_request"):
            raise HTTPException(400, "not a search message")
        return dict(body)

    @app.post("/registry/sync/search")
    async def sync_search(request: Request) -> dict[str, Any]:
        return registry.sealing(_on_search(registry, (await searched(request))["message"]))

    def answer_search(url: str, message: dict[str, Any]) -> None:
        registry.on_search = {"url": url, "message": registry.sealing(_on_search(registry, message))}
        registry.answers.append(httpx.post(url, json=registry.on_search["message"], timeout=30.0,
                                           headers={"Authorization": f"Bearer {registry.token}"}).text)  # fmt: skip

    @app.post("/registry/search")
    async def search(request: Request, background: BackgroundTasks) -> dict[str, Any]:
        body = await searched(request)
        background.add_task(answer_search, body["header"]["sender_uri"], body["message"])
        return _ack(secrets.token_hex(8))

    @app.post("/control/on-search")
    async def answer_search_again(request: Request) -> dict[str, Any]:
        """{}: the last on-search POSTed again as it was (a replay); {transaction_id, records, signed}:
        an on-search of the test's making to the same address."""
        order = await request.json()
        url, message = registry.on_search["url"], registry.on_search["message"]
        if order:
            made = _on_search(registry, {"transaction_id": order["transaction_id"], "search_request": [
                {"reference_id": "r1", "search_criteria": {"query_type": "idtype-value",
                                                           "query": {"type": "UIN", "value": "none"}}}]})  # fmt: skip
            made["message"]["search_response"][0]["data"]["reg_records"] = order.get("records", [])
            if order.get("encrypt_to"):  # encrypted to this key (Himaya's, or one it does not have)
                made = encrypted(made, order["encrypt_to"])
            if order.get("tamper"):  # the ciphertext changed after signing
                text = made["message"]["ciphertext"]
                made["message"]["ciphertext"] = ("B" if text[0] == "A" else "A") + text[1:]
            answer = registry.post(url, made, signed=order.get("signed", "good"))
        else:
            answer = httpx.post(url, json=message, headers={"Authorization": f"Bearer {registry.token}"}, timeout=30)
        return {"status": answer.status_code, "body": answer.json()}


def encrypted(envelope: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """The spec's EncryptedMessage: a flattened JSON JWE of the message, alg, enc and kid in its header."""
    token = jwe.JWE(json.dumps(envelope["message"]).encode())
    token.add_recipient(jwk.JWK(**key), header=json.dumps({"alg": key["alg"], "enc": "A256GCM", "kid": key["kid"]}))
    header = envelope["header"] | {"is_msg_encrypted": True}
    return {"header": header, "message": json.loads(token.serialize())}


def make_app(registry: Registry) -> FastAPI:
    app = FastAPI()
    add_search(app, registry)

    def answer_subscribe(message: dict[str, Any]) -> None:
        results = []
        for item in message["subscribe_request"]:
            code = "SUB-" + secrets.token_hex(6)
            criteria = item["subscribe_criteria"]
            registry.subscriptions[code] = {
                "event": criteria["reg_event_type"],
                "status": "subscribe",
                "filter": criteria.get("filter"),
                "frequency": criteria.get("frequency"),
            }
            results.append({"reference_id": item["reference_id"], "timestamp": _stamp(), "status": "succ",
                            "subscriptions": [{"code": code, "status": "subscribe", "timestamp": _stamp(),
                                               "reg_event_type": criteria["reg_event_type"]}]})  # fmt: skip
        on = {"header": _header("on-subscribe", len(results)),
              "message": {"transaction_id": message["transaction_id"], "correlation_id": secrets.token_hex(8),
                          "subscribe_response": results}}  # fmt: skip
        answer = registry.post(registry.callback, on)
        registry.answers.append(f"{answer.status_code} {answer.text}")

    @app.post("/registry/subscribe")
    async def subscribe(request: Request, background: BackgroundTasks) -> dict[str, Any]:
        body = registry.opened(await request.json())
        registry.seen.append(body)
        if request.headers.get("authorization") != "Bearer registry-access" or "signature" not in body:
            raise HTTPException(401, "unsigned or without the registry's token")
        if body["header"]["action"] != "subscribe" or not body["message"].get("subscribe_request"):
            raise HTTPException(400, "not a subscribe message")
        registry.callback = body["header"]["sender_uri"]
        background.add_task(answer_subscribe, body["message"])
        return _ack(secrets.token_hex(8))

    @app.post("/registry/unsubscribe")
    async def unsubscribe(request: Request) -> dict[str, Any]:
        body = registry.opened(await request.json())
        registry.seen.append(body)
        for code in body["message"]["subscription_codes"]:
            registry.subscriptions[code]["status"] = "unsubscribe"
        return _ack(secrets.token_hex(8))

    @app.post("/control/on-subscribe")
    async def answer_again(request: Request) -> dict[str, Any]:
        """{reference_id, code}: an on-subscribe POSTed to the subscriber (a replay, or one it never asked for)."""
        order = await request.json()
        result = {"reference_id": order["reference_id"], "timestamp": _stamp(), "status": "succ",
                  "subscriptions": [{"code": order["code"], "status": "subscribe", "timestamp": _stamp()}]}  # fmt: skip
        on = {"header": _header("on-subscribe", 1),
              "message": {"transaction_id": "t", "correlation_id": "c", "subscribe_response": [result]}}  # fmt: skip
        answer = registry.post(registry.callback, on)
        return {"status": answer.status_code, "body": answer.json()}

    @app.post("/control/notify")
    async def notify(request: Request) -> dict[str, Any]:
        """{event: LiveBirth|Death|…, reference_id, record, signed: good|none|other-key, message: a
        replacement for the whole message (a wrong envelope), unfiltered: sent whatever the subscription
        asked (a registry in error)}: POSTed to the subscriber's notify."""
        order = await request.json()
        event = {"reference_id": order["reference_id"], "timestamp": _stamp(), "locale": "en", "data": {
            "version": "1.0.0", "reg_type": "ns:org:RegistryType:Civil",
            "reg_event_type": f"spdci-common:RegistryEventType:{order['event']}",
            "reg_record_type": "spdci-extensions-crvs:Person", "reg_records": order["record"]}}  # fmt: skip
        if not order.get("message") and not order.get("unfiltered"):  # unfiltered: a registry that errs
            held = _held(registry, order["event"], order["reference_id"], order["record"])
            if held:
                return {"status": held}
        message = order.get("message") or {
            "header": _header("notify", 1),
            "message": {"transaction_id": secrets.token_hex(8), "notify_event": [event]},
        }
        if order.get("encrypt_to"):  # the subscriber's encryption key (its JWKS): the message as a JWE
            message = encrypted(message, order["encrypt_to"])
        url = registry.callback.rsplit("/", 1)[0] + "/notify"
        answer = registry.post(url, message, signed=order.get("signed", "good"))
        return {"status": answer.status_code, "body": answer.json()}

    @app.post("/control/flush")
    async def flush() -> dict[str, Any]:
        """The subscription's schedule comes (its cron fires): the events held for it, in one notify."""
        events, registry.queued = registry.queued, []
        message = {"header": _header("notify", len(events)),
                   "message": {"transaction_id": secrets.token_hex(8), "notify_event": events}}  # fmt: skip
        answer = registry.post(registry.callback.rsplit("/", 1)[0] + "/notify", message)
        return {"status": answer.status_code, "body": answer.json(), "sent": len(events)}

    return app


def _attribute(record: dict[str, Any], path: str) -> Any:
    found: Any = record
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _held(registry: Registry, event: str, reference_id: str, record: dict[str, Any]) -> str | None:
    """Why the registry does not send this event now, as its subscription to the type asked: not
    taken by the filter (every predicate expression `eq`), outside the frequency's window, or held
    for the frequency's schedule (queued). None: sent now."""
    code = f"spdci-common:RegistryEventType:{event}"
    asked = next((s for s in registry.subscriptions.values() if s["event"] == code and s["status"] == "subscribe"),
                 None)  # fmt: skip
    if asked is None:
        return None
    for item in asked["filter"] if isinstance(asked["filter"], list) else []:
        wanted = item["expression1"]
        if str(_attribute(record, wanted["attribute_name"])) != wanted["attribute_value"]:
            return "filtered"
    window = asked["frequency"]
    if window:
        now = datetime.now(UTC)
        if not datetime.fromisoformat(window["start_time"]) <= now <= datetime.fromisoformat(window["end_time"]):
            return "outside"
        registry.queued.append({"reference_id": reference_id,
                                "timestamp": _stamp(), "data": {"version": "1.0.0", "reg_type":
                                "ns:org:RegistryType:Civil", "reg_event_type": code,
                                "reg_record_type": "spdci-extensions-crvs:Person", "reg_records": record}})  # fmt: skip
        return "queued"
    return None
