"""Shared fixtures: the Oman pack, and people tables written the way a user writes them.

Tests that read the project's shared folder (`../shared`: the DCI specs, WPP extracts) carry the
`shared` mark: on a clone alone they are skipped with the reason, under CI=true they fail, as
PostgreSQL's tests do. Nothing here reads `../shared` at import, so collection never needs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.packs.oman.schema import PEOPLE

REPO = Path(__file__).resolve().parents[1]
# Beside the repo by default; HIMAYA_SHARED names it elsewhere (a git worktree, a CI checkout).
SHARED = Path(os.environ.get("HIMAYA_SHARED") or REPO.parent / "shared")
# Never the login of whoever runs the tests (`himaya login` keeps it in their configuration folder):
# the tests that log in name a file of their own.
os.environ["HIMAYA_CREDENTIALS"] = str(Path(tempfile.mkdtemp(prefix="himaya-tests-")) / "credentials.json")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shared: reads ../shared (skipped when it is absent, required under CI=true)")


def need_shared() -> None:
    """Skip the running test when ../shared is absent; under CI=true, fail it: CI must run them."""
    if SHARED.is_dir():
        return
    reason = f"{SHARED} is absent (the project's shared folder beside the repo: specs and reference data)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the tests that read ../shared, but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared"):
        need_shared()


def shared_files(folder: str, pattern: str, name: Callable[[Path], str] = lambda p: p.name) -> list[Any]:
    """Files under ../shared/<folder> to parametrize a test with, read at collection without failing:
    when ../shared is absent, one `shared`-marked placeholder, so the test is skipped (or fails in CI)
    rather than vanishing as an empty parameter set."""
    if SHARED.is_dir():
        return [pytest.param(p, id=name(p)) for p in sorted((SHARED / folder).glob(pattern))]
    return [pytest.param(SHARED / folder, id="shared-absent", marks=pytest.mark.shared)]


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
