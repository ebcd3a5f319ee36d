from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401
