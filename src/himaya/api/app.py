"""The FastAPI application: `create_app()` wires the store, the policy pack and the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.adapters.dci import delivery
from himaya.api import docs, errors
from himaya.api.batching import ExplainBatcher
from himaya.api.guard import RequestGuard
from himaya.api.routes import (
    audit,
    auth,
    case_exceptions,
    cases,
    dci,
    dci_subscribe,
    enrollment,
    events,
    families,
    insurance,
    letters,
    notices,
    payroll,
    people,
    policy,
    public,
    referrals,
    trust,
)
from himaya.api.security import TokenSettings
from himaya.bootstrap import dci as dci_trust
from himaya.bootstrap import notify
from himaya.bootstrap.access import PrincipalCache, ready_passwords, signing_key
from himaya.bootstrap.events_worker import events_worker
from himaya.core.settings import Settings

DESCRIPTION = """
Himaya's service API. Log in at `/auth/token` (OAuth2 password flow for people, client
credentials for partner systems) and send the access token as `Authorization: Bearer …`.
What each user may do depends on their roles; what they may see, on their branches.
Errors are JSON: `{"error": {"code": …, "message": …}}`. Every request may carry an
`X-Request-ID` (echoed back and written to the audit trail).
"""


# The resources, in the order their routes are matched.
ROUTES = (
    auth,
    trust,
    people,
    families,
    insurance,
    letters,
    notices,
    enrollment,
    events,
    policy,
    payroll,
    audit,
    dci,
    dci_subscribe,
    case_exceptions,  # before `cases`: /cases/exceptions is not a case number
    cases,
    referrals,
    public,
)
THREADS = 8  # requests a worker works on at once; more only queue for the interpreter lock


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    config = app.state.settings.notify
    # The outbox's sender, when HIMAYA_NOTIFY_EVERY asks for it (off by default, and so in the tests).
    worker = notify.Worker(app.state.engine, config).start() if config.every > 0 else None
    app.state.notify_worker = worker
    every = app.state.settings.events_every  # the life-events inbox, when HIMAYA_EVENTS_EVERY asks for it
    events = events_worker(app.state.engine, app.state.pack, every).start() if every > 0 else None
    app.state.events_worker = events
    dci_sender, state = None, app.state
    if state.settings.dci_notify_every > 0:  # the DCI notifications' sender (HIMAYA_DCI_NOTIFY_EVERY; off by default)
        country, sign = state.pack.country, state.dci_sign
        dci_sender = dci_trust.NotifySender(
            state.engine, state.settings, key=state.tokens.key, country=country, sign=sign
        )
        dci_sender.start()
    try:
        yield
    finally:
        for running in (worker, events, dci_sender):
            if running is not None:
                await anyio.to_thread.run_sync(running.stop)


def create_app(
    engine: Engine | None = None,
    *,
    tokens: TokenSettings | None = None,
    files: Path | None = None,
    pack: str | None = None,
    settings: Settings | None = None,
    front: Callable[[FastAPI], Mapping[str, bytes]] | None = None,
) -> FastAPI:
    """The service on `engine` (default: the configured store, which must be migrated); `settings`
    default to the environment's, read once here. `front` adds the pages served beside the API (the
    web front office, `himaya.service`) and answers their content-security policies by path prefix."""
    config = bootstrap.configure(settings)
    store = engine or bootstrap.registry_engine(service=True)
    app = FastAPI(
        title="Himaya", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan, docs_url=None, redoc_url=None
    )
    app.state.engine = store
    app.state.settings = config
    # The registry's pack (recorded by its first import), as the registry's commands follow it.
    app.state.pack = bootstrap.pack_of_store(store, pack)
    app.state.pack.cases  # noqa: B018  (its case types are read and checked now: a bad file stops the start)
    app.state.explainer = ExplainBatcher(app.state.pack)
    # The signing key: HIMAYA_SIGNING_KEY (kept apart from the database, e.g. in a secrets store),
    # or one made on first start and kept in the database, shared by every worker.
    key = config.signing_key or signing_key(store)
    app.state.tokens = tokens or TokenSettings(key=key)
    app.state.principals = PrincipalCache()
    ready_passwords()
    app.state.files = files or config.bank_files
    # DCI answers are POSTed only to these hosts, so a search cannot make the service call anywhere.
    app.state.dci_deliver = delivery.post
    # Our DCI keys (a ring kept in the database, rotated by `himaya keys rotate`; the signing key
    # HIMAYA_DCI_SIGNING_KEY's if set): answers and callbacks are signed with the newest signing key,
    # encrypted to partners with an encryption key; the public halves are at /.well-known/jwks.json.
    app.state.dci_keys = dci_trust.KeySource(store, config)
    app.state.dci_sign = dci_trust.Sealer(app.state.dci_keys, store)
    app.state.dci_bearer = delivery.Bearer()  # the partners' tokens our callbacks carry, kept while good
    errors.install(app)

    pages = docs.install(app, "Himaya")
    for module in ROUTES:
        app.include_router(module.router)
    prefixes = front(app) if front is not None else {}
    app.add_middleware(
        RequestGuard,
        max_body=config.max_body,
        uploads={
            "/payroll/reconcile": config.max_upload,  # a bank's answer file
            cases.EVIDENCE_PATH: config.evidence_max_bytes + cases.FORM_OVERHEAD,  # a case's evidence (multipart)
        },
        page_policies=pages,
        cacheable=public.PATHS,  # open aggregates: a cache may keep them (everything else: no-store)
        page_prefixes=prefixes,
    )
    return app
