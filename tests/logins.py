"""Users of the store logged in at the command line (`himaya login`), for the tests that run the
payroll's steps: the environment a command runs with to act as one of them."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from himaya.cli.main import app

PASSWORD = "a test password long enough"
FOLDER = Path(tempfile.mkdtemp(prefix="himaya-test-logins-"))
# Each test user holds every payroll role: the tests show the maker-checker rule, which compares users.
PAYROLL_ROLES = ("finance_officer", "payroll_approver")


def credentials_of(url: str, username: str) -> Path:
    return FOLDER / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{username}.json"


def logged_in(url: str, username: str, roles: tuple[str, ...] = PAYROLL_ROLES) -> dict[str, str]:
    """`HIMAYA_CREDENTIALS` of `username` in the store at `url`, created and logged in the first time."""
    path = credentials_of(url, username)
    env = {"HIMAYA_DATABASE_URL": url, "HIMAYA_PASSWORD": PASSWORD, "HIMAYA_CREDENTIALS": str(path)}
    if not path.exists():
        runner = CliRunner()
        grants = [a for role in roles for a in ("--role", role)]
        created = runner.invoke(app, ["users", "create", username, *grants, "--branch", "all"], env=env)
        assert created.exit_code == 0 or "exists already" in created.stderr, created.stderr
        done = runner.invoke(app, ["login", username], env=env)
        assert done.exit_code == 0, done.stderr
    return {"HIMAYA_DATABASE_URL": url, "HIMAYA_CREDENTIALS": str(path)}
