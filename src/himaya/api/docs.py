"""`/docs`: Swagger UI from files this service serves itself (the `swagger-ui-bundle` package),
never from a CDN: on a closed government network a CDN is out of reach and the page stays blank,
and a script from elsewhere would run with the documentation page's rights."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS = "/docs"
REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/assets"


def _policy(page: str) -> bytes:
    """The page's content-security policy: its own files, and its inline scripts by their hashes."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ).encode()


def install(app: FastAPI, title: str) -> dict[str, bytes]:
    """Serve the documentation page and its files; returns each page's content-security policy."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url=REDIRECT,
    ).body
    redirect = get_swagger_ui_oauth2_redirect_html().body
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(DOCS, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(REDIRECT, include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return HTMLResponse(redirect)

    return {DOCS: _policy(bytes(page).decode()), REDIRECT: _policy(bytes(redirect).decode())}
