"""The database fixtures of tests/db, for the insurance's store and commands; the pension policy
cases of `cases/` (tests/insurance/pension_cases.py)."""

from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401
from tests.insurance.pension_cases import pytest_collect_file  # noqa: F401
