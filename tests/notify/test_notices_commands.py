"""`himaya notify letters|reprint|inbox|read` and `notify status`'s letters and staff messages: done by
the user `himaya login` authenticated (`--as` names who is expected), scoped to their branches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from himaya import bootstrap
from himaya.core.access import Scope
from himaya.db import access
from tests.cases.conftest import Branches
from tests.logins import PASSWORD
from tests.notify.test_letters import grievance
from tests.notify.test_staff import late_case


def himaya(*args: str, env: dict[str, str]) -> tuple[int, str]:
    from himaya.cli.main import app  # noqa: PLC0415  (the whole CLI: only these tests need it)

    done = CliRunner().invoke(app, list(args), env=env)
    return done.exit_code, done.output


def login(b: Branches, url: str, tmp: Path, name: str, role: str, scope: Scope) -> dict[str, str]:
    """The environment of `name` (holding `role` at `scope`) logged in at the command line."""
    access.create_user(b.engine, name, bootstrap.hash_password(PASSWORD), actor="setup", roles=[role], scopes=[scope])
    env = {"HIMAYA_DATABASE_URL": url, "HIMAYA_CREDENTIALS": str(tmp / f"{name}.json"), "HIMAYA_PASSWORD": PASSWORD}
    assert himaya("login", name, env=env)[0] == 0
    return env


@pytest.fixture(autouse=True)
def _no_mobiles(branches: Branches) -> None:
    with branches.engine.begin() as connection:
        connection.execute(text("UPDATE person SET mobile = NULL"))


def test_a_branch_officer_prints_the_branchs_letters(branches: Branches, database_url: str, tmp_path: Path) -> None:
    here, there = branches.here["wilayat"], branches.there["wilayat"]
    grievance(branches, branches.here)
    grievance(branches, branches.there)
    nobody = {"HIMAYA_DATABASE_URL": database_url, "HIMAYA_CREDENTIALS": str(tmp_path / "nobody.json")}
    code, output = himaya("notify", "status", env=nobody)
    assert f"letters waiting at {here}: 1" in output and f"letters waiting at {there}: 1" in output, output
    pdf = tmp_path / "batch.pdf"
    code, output = himaya("notify", "letters", "--branch", here, "--out", str(pdf), env=nobody)
    assert code == 5 and "run `himaya login USER` first" in output and not pdf.exists()
    mona = login(branches, database_url, tmp_path, "mona", "case_worker", Scope("wilayat", here))
    code, output = himaya("notify", "letters", "--branch", here, "--out", str(pdf), "--as", "salim", env=mona)
    assert code == 2 and "you are logged in as 'mona', not 'salim'" in output and not pdf.exists()
    code, output = himaya("notify", "letters", "--branch", here, "--out", str(pdf), "--as", "mona", env=mona)
    assert code == 0 and f"wrote {pdf}: batch 1 of {here}, 1 letters (mona, " in output, output
    assert pdf.read_bytes().startswith(b"%PDF")
    code, output = himaya("notify", "letters", "--branch", here, "--out", str(tmp_path / "again.pdf"), env=mona)
    assert (code, output) == (0, f"no letter is waiting at {here}: nothing printed\n")
    assert not (tmp_path / "again.pdf").exists()
    code, output = himaya("notify", "status", env=nobody)
    assert "letter printed            1" in output and f"waiting at {here}" not in output, output
    # An officer of another branch: refused there, and its batch is answered as a missing one.
    omar = login(branches, database_url, tmp_path, "omar", "case_worker", Scope("wilayat", there))
    code, output = himaya("notify", "letters", "--branch", here, "--out", str(pdf), env=omar)
    assert code == 5 and f"{here} is not one of your branches" in output
    code, output = himaya("notify", "reprint", "1", "--out", str(tmp_path / "stolen.pdf"), env=omar)
    assert code == 3 and "no batch 1 of letters among your branches" in output
    assert not (tmp_path / "stolen.pdf").exists()
    code, output = himaya("notify", "reprint", "1", "--out", str(tmp_path / "lost.pdf"), env=mona)
    assert code == 0 and "a reprint of batch 1 of" in output and (tmp_path / "lost.pdf").exists()


def test_a_supervisor_reads_the_escalations_of_the_branch(
    branches: Branches, database_url: str, tmp_path: Path
) -> None:
    number = late_case(branches, branches.here)
    here = Scope("wilayat", branches.here["wilayat"])
    huda = login(branches, database_url, tmp_path, "huda", "supervisor", here)
    mona = login(branches, database_url, tmp_path, "mona", "case_worker", here)
    code, output = himaya("notify", "inbox", env=huda)
    assert code == 0 and number in output and f"role:supervisor@{here.value}" in output, output
    message = output.split()[0].lstrip("#")
    assert himaya("notify", "inbox", env=mona) == (0, "no message\n")
    assert himaya("notify", "read", message, env=mona) == (3, f"error: no message {message} in your inbox\n")
    assert himaya("notify", "read", message, env=huda) == (0, "1 message(s) marked read\n")
    assert himaya("notify", "inbox", "--unread", env=huda) == (0, "no unread message\n")
    code, output = himaya("notify", "send", env={**huda, "HIMAYA_ACTOR": "sender"})
    assert code == 0 and "1 staff messages to their inboxes" in output, output
