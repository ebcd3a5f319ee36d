"""Issue 12, at the door (items 11 in part, 14, 16): bodies too large, JSON too deep or not Unicode,
the answers' security headers, the documentation without a CDN, error texts without server paths."""

from __future__ import annotations

import asyncio
import json
import tempfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from himaya.api.app import create_app
from himaya.api.guard import RequestGuard, json_depth
from himaya.api.security import TokenSettings
from tests.api.conftest import KEY, World

JSON = {"content-type": "application/json"}


def _bodies(world: World) -> list[tuple[str, str, str, str]]:
    """(method, path, user, JSON text with a lone surrogate) for each kind of endpoint that reads JSON."""
    person = world.inside["person_id"]
    dci = {
        "header": {
            "version": "1.0.0",
            "message_id": "msg-1",
            "message_ts": "2026-01-05T09:00:00+04:00",
            "action": "search",
            "sender_id": "partner",
            "total_count": 1,
        },
        "message": {
            "transaction_id": "t-1",
            "search_request": [
                {
                    "reference_id": "r-1",
                    "timestamp": "2026-01-05T09:00:00+04:00",
                    "search_criteria": {
                        "query_type": "idtype-value",
                        "query": {"type": "UIN", "value": "\ud800"},
                    },
                }
            ],
        },
    }
    return [
        ("PATCH", f"/people/{person}", "registrar", json.dumps({"version": 1, "changes": {"mobile": "\ud800"}})),
        (
            "POST",
            "/people",
            "registrar",
            json.dumps({"record": {"given_name_en": "\udfff"}, "valid_from": "2026-01-01"}),
        ),
        ("PUT", f"/people/{person}/incomes", "registrar", json.dumps({"version": 1, "wage": "\ud800"})),
        ("POST", "/registry/sync/search", "partner", json.dumps(dci)),
        ("POST", "/no/such/path", "registrar", json.dumps({"\ud800": 1})),
    ]


def test_a_lone_surrogate_is_refused_with_422_everywhere(world: World) -> None:
    for method, path, user, body in _bodies(world):
        assert "\\ud" in body  # sent as the JSON escape, as the attack did
        answer = world.client.request(method, path, content=body, headers=world.headers(user) | JSON)
        assert answer.status_code == 422, (path, answer.text)
        assert "surrogate" in answer.json()["error"]["message"]


def test_a_surrogate_pair_is_a_character_and_passes(world: World) -> None:
    body = json.dumps({"version": 1, "changes": {"bogus": "\U0001f600"}})  # escaped as a valid pair
    answer = world.client.patch(
        f"/people/{world.inside['person_id']}", content=body, headers=world.headers("registrar") | JSON
    )
    assert answer.status_code == 422 and "bogus" in answer.json()["error"]["message"]  # the route's own refusal


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_5000_levels_is_refused_not_a_500(world: World, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    body = opening * 5000 + "1" + closing * 5000
    for path in ("/people", "/registry/sync/search", "/no/such/path"):
        answer = world.client.post(path, content=body, headers=world.headers("registrar") | JSON)
        assert answer.status_code == 422, (path, answer.status_code)
        assert "nest" in answer.json()["error"]["message"]


def test_brackets_inside_strings_do_not_count(world: World) -> None:
    body = json.dumps({"version": 1, "changes": {"bogus": "[" * 5000}})
    answer = world.client.patch(
        f"/people/{world.inside['person_id']}", content=body, headers=world.headers("registrar") | JSON
    )
    assert answer.status_code == 422 and "bogus" in answer.json()["error"]["message"]


def test_a_body_over_the_limit_is_refused_before_authentication(world: World) -> None:
    two_megabytes = b"x" * (2 << 20)
    for path in ("/no/such/path", "/people", "/auth/token"):
        answer = world.client.post(path, content=two_megabytes)
        assert answer.status_code == 413, path
        assert answer.json()["error"]["code"] == "too_large"
    # A bank's answer file may be larger (HIMAYA_MAX_UPLOAD): it reaches the endpoint.
    upload = world.client.post(
        "/payroll/reconcile", files={"file": ("reply.xml", two_megabytes)}, headers=world.headers("finance_officer")
    )
    assert upload.status_code == 422


def test_the_guard_stops_reading_once_the_limit_is_passed() -> None:
    """A client that sends without end (200 MB and more): refused after about the limit, unread after."""
    pulled = 0

    async def endless() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def never(*_: Any) -> None:
        raise AssertionError("the application was reached")

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/nowhere", "headers": [], "query_string": b""}
    guard = RequestGuard(never, max_body=1 << 20)
    asyncio.run(asyncio.wait_for(guard(scope, endless, send), timeout=10))
    assert sent[0]["status"] == 413
    assert pulled == 17  # 16 chunks of 64 KiB make the limit; the 17th passes it; nothing after

    declared = {**scope, "headers": [(b"content-length", b"200000000")]}
    pulled, sent = 0, []
    asyncio.run(asyncio.wait_for(guard(declared, endless, send), timeout=10))
    assert sent[0]["status"] == 413 and pulled == 0  # a declared length over the limit: not a byte read


def test_every_answer_carries_the_security_headers(world: World) -> None:
    for answer in (
        world.client.get("/auth/me"),  # 401
        world.client.get("/auth/me", headers=world.headers("auditor")),  # 200
        world.client.get("/no/such/path"),  # 404
        world.client.post("/no/such/path", content=b"x" * (2 << 20)),  # refused at the door
    ):
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
        assert "server" not in headers
        assert "strict-transport-security" not in headers  # plain HTTP: HSTS would mean nothing


def test_hsts_behind_tls(world: World) -> None:
    over_tls = TestClient(world.client.app, base_url="https://testserver")
    assert "max-age=" in over_tls.get("/auth/me").headers["strict-transport-security"]


def test_the_documentation_needs_no_cdn(world: World) -> None:
    page = world.client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text.replace("https://fastapi", "")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "http" not in policy
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs/assets/{asset}" in page.text
        served = world.client.get(f"/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 10_000
    assert world.client.get("/docs/oauth2-redirect").status_code == 200
    assert world.client.get("/openapi.json").status_code == 200


def test_error_texts_do_not_reveal_server_paths(world: World) -> None:
    broken = world.client.post(
        "/payroll/reconcile",
        files={"file": ("reply.xml", b"<not-xml")},
        headers=world.headers("finance_officer"),
    )
    assert broken.status_code == 422
    assert tempfile.gettempdir() not in broken.text and "reply.xml" in broken.text


def test_an_unexpected_failure_is_a_plain_json_500(world: World) -> None:
    app = create_app(world.engine, tokens=TokenSettings(key=KEY))

    @app.get("/explode")
    def explode() -> None:
        raise FileNotFoundError(f"{tempfile.gettempdir()}/himaya/secret.key")

    answer = TestClient(app, raise_server_exceptions=False).get("/explode", headers={"X-Request-ID": "req-1"})
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "the service failed: see its log", "request_id": "req-1"}
    }
    assert answer.headers["x-content-type-options"] == "nosniff"


@given(st.recursive(st.none() | st.text(alphabet='[]{}"\\ab'), lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_json_depth_counts_nesting_not_brackets_in_strings(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    assert json_depth(json.dumps(value).encode()) == depth(value)
