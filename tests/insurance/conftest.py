"""The database fixtures of tests/db, for the insurance's store and commands."""

from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401
