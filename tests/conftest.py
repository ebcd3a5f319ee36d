"""Shared fixtures: the Oman pack, and people tables written the way a user writes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.packs.oman.schema import PEOPLE

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def cell(value: object) -> str | None:
    """A YAML value as it would stand in a CSV cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def people_frame(rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """A raw people table (all text, as read from CSV) from dicts; missing columns stay empty."""
    rows = list(rows)
    columns = list(PEOPLE.names) + sorted({k for r in rows for k in r} - set(PEOPLE.names))
    return pl.DataFrame(
        {name: [cell(r.get(name)) for r in rows] for name in columns},
        schema={name: pl.String for name in columns},
    )


@pytest.fixture(scope="session")
def oman() -> PolicyPack:
    return load_pack("oman")


# The fast lane (`make test-fast`): tests that need no database, no server process and no browser.
# A test is in the slow lane when it uses a store (every database fixture rests on `postgres_problem`),
# runs a command or a service (the folders below), or is marked slow.
SLOW_FOLDERS = ("api", "cli", "db", "docs", "payroll")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).relative_to(REPO).parts[1:2]
        uses_store = "postgres_problem" in getattr(item, "fixturenames", ())
        if uses_store or (folder and folder[0] in SLOW_FOLDERS) or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.store)
