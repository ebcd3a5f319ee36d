"""The web front office, installed on the service's application beside the API (`himaya.service`):
its pages under `/office/`, its own stylesheet, its content-security policy and its error pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from himaya.web.pages import LoginNeededError, PageError, error_page, gone, locale, redirect
from himaya.web.routes import (
    auth,
    cases,
    evidence,
    facts,
    home,
    letters,
    new_family,
    payroll,
    people,
    public,
    referrals,
    registration,
)

# Pages load only this service's own files: no inline script or style, no other site, no frames.
POLICY = b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
OPEN_DATA = b"default-src 'none'; frame-ancestors 'none'"  # the API's own (api/guard.py)
OPEN_DATA_PATHS = ("/public/statistics", "/public/statistics.csv")
STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> Mapping[str, bytes]:
    """Add the front office to `app`; answers the content-security policy of its paths."""
    app.mount("/office/static", StaticFiles(directory=STATIC), name="office-static")
    # `facts` answers /office/people/{n}/{kind}: after the modules with pages of their own there.
    routes = (auth, home, cases, evidence, referrals, new_family, people, letters, registration, payroll, public)
    for module in (*routes, facts):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return redirect("/office/")

    @app.get("/office/{rest:path}", include_in_schema=False)
    def unknown(request: Request, rest: str) -> Response:
        return error_page(request, 404, locale(request).gettext("No such page."))

    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return error_page(request, error.status, error.message)

    async def login_needed(request: Request, _: Exception) -> Response:
        return gone(request)

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(LoginNeededError, login_needed)
    # `/public` is the dashboard (a page); the open data beneath it keeps the API's policy.
    return {"/office": POLICY, "/": POLICY, "/public": POLICY, **{p: OPEN_DATA for p in OPEN_DATA_PATHS}}
