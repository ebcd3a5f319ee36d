"""The served application: the HTTP API with the web front office beside it, in one process (what
`himaya serve` runs). The two entry points never import each other; this module puts them together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from himaya.api import app as api
from himaya.web import app as web


def create_app(engine: Engine | None = None, *, files: Path | None = None, **options: Any) -> FastAPI:
    """The API (`api.app.create_app`, same options) with the front office at `/` and `/office/`."""
    return api.create_app(engine, files=files, front=web.install, **options)
