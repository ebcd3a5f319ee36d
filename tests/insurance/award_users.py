"""The users of the awards' tests, logged in at the command line (`himaya login`): an insurance officer
and a supervisor for all branches, an officer of the Nizwa branch only, a registrar (no insurance
permission), and a user holding both the officer's and the supervisor's roles (maker-checker)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner, Result

from himaya.cli.main import app
from tests.logins import FOLDER, PASSWORD

USERS = {
    "nasser": (("insurance_officer",), "all"),  # prepares and ends awards, reads them
    "maryam": (("supervisor",), "all"),  # approves them
    "hamad": (("insurance_officer",), "wilayat:Nizwa"),  # an officer of one branch
    "khalid": (("registrar",), "all"),  # reads people, not awards
    "rashid": (("insurance_officer", "supervisor"), "all"),  # may prepare and approve, never both of one award
}
runner = CliRunner()


def env(url: str, username: str) -> dict[str, str]:
    """The environment of `username` in the store at `url`, created and logged in the first time."""
    path = FOLDER / f"awards-{hashlib.sha256(url.encode()).hexdigest()[:16]}-{username}.json"
    environment = {"HIMAYA_DATABASE_URL": url, "HIMAYA_PASSWORD": PASSWORD, "HIMAYA_CREDENTIALS": str(path)}
    if not path.exists():
        roles, branch = USERS[username]
        grants = [a for role in roles for a in ("--role", role)]
        created = runner.invoke(app, ["users", "create", username, *grants, "--branch", branch], env=environment)
        assert created.exit_code == 0 or "exists already" in created.stderr, created.stderr
        done = runner.invoke(app, ["login", username], env=environment)
        assert done.exit_code == 0, done.stderr
    return environment


def as_user(url: str, username: str, *args: str | Path) -> Result:
    """`himaya ARGS` run by `username`, logged in."""
    return runner.invoke(app, [str(a) for a in args], env=env(url, username))
