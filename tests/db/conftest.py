"""Every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server named by HIMAYA_TEST_POSTGRES_URL (default: the local `test` database);
each test gets a schema of its own, dropped afterwards. Where no server answers, the PostgreSQL
runs are skipped, except in CI (CI=true), where a missing server is an error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate

POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_available() -> str | None:
    try:
        with sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1)).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return None
    except Exception as error:
        return str(error).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    problem = _postgres_available()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"CI must test on PostgreSQL, but {POSTGRES} does not answer: {problem}")
    return problem


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_problem: str | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'himaya.db'}"
        return
    if postgres_problem:
        pytest.skip(f"no PostgreSQL server: {postgres_problem}")
    with postgres_schema("himaya_test") as url:
        yield url


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL to a fresh schema of the test database, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def synthetic(oman: PolicyPack) -> pl.DataFrame:
    """A small validated registry table (with registry columns) from the synthetic population."""
    people = generate(SynthRequest(persons=1_000, seed=21)).people
    return validate_table(for_file(people, "parquet"), oman.registry, source="synthetic")
