"""Schemathesis against our own OpenAPI document: generated requests for every operation, as a user
holding every role, and not one server error."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from himaya.bootstrap import hash_password
from himaya.core.access import Role, Scope
from himaya.db import access
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
