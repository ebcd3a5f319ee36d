"""The commands shown in README.md and docs/ run as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from himaya.cli.main import app
from tests.conftest import REPO

PEOPLE = "src/himaya/policy/packs/oman/examples/people.csv"


def documented_commands() -> list[tuple[str, str]]:
    """(page, command) for every `himaya ...` line in a console or sh block of the docs (a `text`
    block shows a command with values the reader supplies, and is not run)."""
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        for block in re.findall(r"```(?:console|sh)\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            for line in block.splitlines():
                command = line.removeprefix("$ ").split(" #")[0].strip()
                heavy = "--scale 1.0" in command  # all of Oman: measured by bench/, not in the tests
                if command.startswith("himaya ") and "broken.csv" not in command and not heavy:
                    found.append((page.name, command))
    return found


COMMANDS = documented_commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 15


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all the examples, run in the order the pages show them: a later example may
    read what an earlier one wrote, as it would for a reader following along."""
    return tmp_path_factory.mktemp("docs")


@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[f"{p}: {c}" for p, c in COMMANDS])
def test_documented_command_runs(page: str, command: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    # A database per page (each page is a walk-through of its own), never the user's own.
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{workspace / page.replace('.md', '.db')}")
    args = [
        str(REPO / a) if a.startswith(("src/", "examples/")) else a
        for a in shlex.split(command.replace("$PEOPLE", PEOPLE))[1:]
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{page}: {command}\n{result.stderr}"
