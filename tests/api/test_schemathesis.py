"""Schemathesis against our own OpenAPI document: generated requests for every operation, as a user
holding every role, and not one server error."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from himaya import bootstrap
from himaya.adapters.dci.delivery import Posted
from himaya.adapters.dci.onboarding import set_partner
from himaya.bootstrap import hash_password
from himaya.core.access import Role, Scope
from himaya.db import access
from himaya.registry.partners import Limits
from tests.api.conftest import PASSWORD, World

EXAMPLES = 15  # per operation and database


def test_no_server_errors(world: World) -> None:
    access.create_user(world.engine, "everything", hash_password(PASSWORD), actor="test")
    access.grant(world.engine, "everything", roles=[r.value for r in Role], scopes=[Scope("all")], actor="test")
    headers = {"Authorization": f"Bearer {world.login('everything')['access_token']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/auth/logout":  # would end the session every other case uses
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")

        call()
    assert operations >= 20
    assert not failures, "\n".join(failures[:20])


DCI_PATHS = {"/registry/sync/search", "/registry/search", "/registry/sync/txn/status", "/registry/txn/status"}
DCI_EXAMPLES = 40  # per DCI operation and database
CALLBACK = "http://127.0.0.1:9/on-search"


def _as_partner(body: dict[str, Any], action: str) -> None:
    """What a random message rarely gets right: the onboarded partner's header, a known status query."""
    body["header"] |= {"sender_id": "partner", "sender_uri": CALLBACK, "action": action, "version": "1.0.0"}
    body["header"]["message_ts"] = "2026-01-05T09:00:00+04:00"
    body["header"]["message_id"] = uuid.uuid4().hex  # a message id is used once: a generated one repeats
    if isinstance(body.get("message"), dict) and isinstance(body["message"].get("transaction_id"), str):
        body["message"]["transaction_id"] = uuid.uuid4().hex  # and so is a transaction id (per kind)
    query = body.get("message", {}).get("txnstatus_request") if isinstance(body.get("message"), dict) else None
    if isinstance(query, dict):
        query |= {"txn_type": "search", "attribute_type": "correlation_id"}


def test_dci_operations_have_no_server_errors(world: World) -> None:
    """The DCI operations with their request schemas, as the onboarded partner: most generated
    messages carry the partner's own sender id and callback, so they reach the searches."""
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add=[CALLBACK], actor="test")
    state = world.client.app.state  # type: ignore[attr-defined]
    state.dci_limits = Limits(per_minute=10**9, max_records=10**6, max_requests=1000, attempts=1, backoff=0.0)
    deliver, state.dci_deliver = state.dci_deliver, lambda uri, answer: Posted(True, 200)
    headers = world.headers("partner")
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    failures: list[str] = []
    answered: set[str] = set()  # operations that answered a generated message 200 at least once
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path in DCI_PATHS]
    try:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=DCI_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def call(case: Any) -> None:
                body = case.body
                if isinstance(body, dict) and isinstance(body.get("header"), dict) and len(str(body)) % 4:
                    _as_partner(body, "txn-status" if "txn" in case.path else "search")
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:99]}")
                if response.status_code == 200:
                    answered.add(case.path)

            call()
    finally:
        state.dci_deliver = deliver
    assert len(operations) == len(DCI_PATHS)
    assert answered == DCI_PATHS  # the generated messages got past the envelope's checks
    assert not failures, "\n".join(failures[:20])
