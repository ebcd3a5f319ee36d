"""The database fixtures of tests/db, for the commands that use the registry."""

from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401
