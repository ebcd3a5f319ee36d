"""Alembic environment: runs on the engine that `himaya db upgrade` hands over."""

from __future__ import annotations

from alembic import context

from himaya.db import tables  # noqa: F401  (declares every table on the metadata)
from himaya.db.metadata import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    context.run_migrations()
