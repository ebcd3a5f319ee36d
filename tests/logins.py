"""Users of the store logged in at the command line (`himaya login`), for the tests that run the
payroll's and the cases' steps: the environment a command runs with to act as one of them."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from typer.testing import CliRunner

from himaya.bootstrap import hash_password
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


@cache
def password_hash() -> str:
    """PASSWORD hashed (once: argon2 is slow on purpose), for users a test writes to the store itself."""
    return hash_password(PASSWORD)


def login_env(url: str, username: str) -> dict[str, str] | None:
    """The environment of `username`, a user of the store at `url` whose password is PASSWORD, logged in
    (the first time it is asked for); None if they cannot log in (no such user, or not active)."""
    path = credentials_of(url, username)
    env = {"HIMAYA_DATABASE_URL": url, "HIMAYA_CREDENTIALS": str(path)}
    if not path.exists():
        done = CliRunner().invoke(app, ["login", username], env={**env, "HIMAYA_PASSWORD": PASSWORD})
        if done.exit_code != 0:
            return None
    return env


def acting(url: str, args: Sequence[str], default: str) -> dict[str, str]:
    """The environment of a command that acts as the user its `--as` names, logged in; `default`'s
    when there is no `--as`, or when the user it names cannot log in (the command is then refused:
    the `--as` is not the user logged in)."""
    named = args[list(args).index("--as") + 1] if "--as" in args else default
    env = login_env(url, named) or login_env(url, default)
    assert env is not None, f"{default} cannot log in"
    return env
