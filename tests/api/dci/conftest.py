"""The DCI tests' fixtures: the partner onboarded (its sender id; limits out of the way), a
receiver of callbacks, and that receiver registered as the partner's callback address."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from himaya import bootstrap
from himaya.adapters.dci.onboarding import set_partner
from himaya.registry.partners import Limits
from tests.api.conftest import World
from tests.api.dci.support import SENDER

LIMITS = Limits(per_minute=1_000_000, max_records=10_000, max_requests=100, attempts=3, backoff=0.0)


@pytest.fixture(autouse=True)
def onboarded(world: World) -> Iterator[None]:
    """The partner onboarded with its sender id, without limits in the way of these tests (tests of
    the limits set their own)."""
    set_partner(bootstrap.unit_of_work(world.engine), "partner", sender_id=SENDER, actor="setup")
    world.client.app.state.dci_limits = LIMITS  # type: ignore[attr-defined]
    yield


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012  (shared with the test: one server per test)
    refused: list[dict[str, Any]] = []  # noqa: RUF012  (the POSTs answered 503)
    fail_first = 0  # answer 503 to this many POSTs before taking one

    logins: list[dict[str, list[str]]] = []  # noqa: RUF012  (the forms POSTed to its token endpoint)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        if self.path.endswith("/oauth2/client/token"):  # the partner's token endpoint (authz_core)
            self.logins.append(parse_qs(self.rfile.read(length).decode()))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"access_token": "partner-token-1", "token_type": "bearer", "expires_in": "900"}')
            return
        call = {
            "path": self.path,
            "body": json.loads(self.rfile.read(length)),
            "authorization": self.headers.get("Authorization"),
        }
        if len(self.refused) < self.fail_first:
            self.refused.append(call)
            self.send_response(503)
            self.end_headers()
            return
        self.received.append(call)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"message": {"ack_status": "ACK"}}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.received, _Receiver.refused, _Receiver.fail_first, _Receiver.logins = [], [], 0, []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback/on-search", _Receiver.received
    server.shutdown()


@pytest.fixture
def registered(world: World, receiver: tuple[str, list[dict[str, Any]]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The receiver's address registered as the partner's callback (removed after the test)."""
    uri = receiver[0]
    set_partner(bootstrap.unit_of_work(world.engine), "partner", add=[uri], actor="setup")
    yield receiver
    with bootstrap.unit_of_work(world.engine) as uow:
        still = uri in uow.dci.partner("partner").callbacks  # a test may have removed it
    if still:
        set_partner(bootstrap.unit_of_work(world.engine), "partner", remove=[uri], actor="setup")


@pytest.fixture
def failing(registered: tuple[str, list[dict[str, Any]]]) -> type[_Receiver]:
    """The registered receiver, whose `fail_first` a test sets (its `refused` lists the POSTs it
    answered 503)."""
    return _Receiver
