"""The FastAPI application: `create_app()` wires the store, the policy pack and the routes."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.api import errors
from himaya.api.batching import ExplainBatcher
from himaya.api.routes import audit, auth, dci, enrollment, families, payroll, people, policy
from himaya.api.security import PrincipalCache, TokenSettings
from himaya.db import audit as audit_trail
from himaya.db.access import signing_key
from himaya.policy.packs import load_pack

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

DESCRIPTION = """
Himaya's service API. Log in at `/auth/token` (OAuth2 password flow for people, client
credentials for partner systems) and send the access token as `Authorization: Bearer …`.
What each user may do depends on their roles; what they may see, on their branches.
Errors are JSON: `{"error": {"code": …, "message": …}}`. Every request may carry an
`X-Request-ID` (echoed back and written to the audit trail).
"""


_NULS = (b"\x00", b"\\u0000", b"%00")


async def _carries_nul(request: Request) -> bool:
    """A NUL is never meaningful in what people and partners send, and PostgreSQL cannot store one:
    refuse it at the door rather than deep inside a query."""
    target = (request.url.path + "?" + request.url.query).encode().lower()
    if any(n in target for n in _NULS):
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        content = (await request.body()).lower()
        return any(n in content for n in _NULS)
    return False


THREADS = 8  # requests a worker works on at once; more only queue for the interpreter lock


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield


def create_app(
    engine: Engine | None = None,
    *,
    tokens: TokenSettings | None = None,
    files: Path | None = None,
    pack: str = "oman",
    dci_callback_hosts: frozenset[str] | None = None,
) -> FastAPI:
    """The service on `engine` (default: the configured store, which must be migrated)."""
    store = engine or bootstrap.registry_engine()
    app = FastAPI(title="Himaya", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan)
    app.state.engine = store
    app.state.pack = load_pack(pack)
    app.state.explainer = ExplainBatcher(app.state.pack)
    app.state.tokens = tokens or TokenSettings(key=signing_key(store))
    app.state.principals = PrincipalCache()
    app.state.files = files or Path(os.environ.get("HIMAYA_BANK_FILES", "himaya-bank-files"))
    # DCI answers are POSTed only to these hosts, so a search cannot make the service call anywhere.
    configured = os.environ.get("HIMAYA_DCI_CALLBACK_HOSTS", "127.0.0.1,localhost,::1")
    app.state.dci_deliver = dci.deliver
    app.state.dci_callback_hosts = dci_callback_hosts or frozenset(
        h.strip() for h in configured.split(",") if h.strip()
    )
    errors.install(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        audit_trail.REQUEST_ID.set(request.state.request_id)
        if await _carries_nul(request):
            response: Response = JSONResponse(
                errors.body(request, "invalid_input", "text may not contain NUL characters (\\u0000)"), 422
            )
        else:
            response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or browser
        return response

    for module in (auth, people, families, enrollment, policy, payroll, audit, dci):
        app.include_router(module.router)
    return app
