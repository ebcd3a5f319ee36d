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


def documented_commands() -> list[tuple[str, str, tuple[str, ...]]]:
    """(page, command, the output the page shows under it) for every `himaya ...` line in a console
    or sh block of the docs (a `text` block shows a command with values the reader supplies, and is
    not run). In a console block, the lines after a `$ himaya` line, up to the next `$` line, are
    what the page says the command prints; a line with an ellipsis stands for lines left out."""
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        for block in re.findall(r"```(?:console|sh)\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            current: list[str] | None = None
            for line in block.splitlines():
                if line.startswith("$ ") or (not line.startswith(" ") and line.startswith("himaya ")):
                    current = None
                    command = line.removeprefix("$ ").split(" #")[0].strip()
                    heavy = "--scale 1.0" in command  # all of Oman: measured by bench/, not in the tests
                    if command.startswith("himaya ") and "broken.csv" not in command and not heavy:
                        current = []
                        found.append((page.name, command, current))
                elif current is not None and line.strip() and "..." not in line and "…" not in line:
                    current.append(line.strip())
    return [(page, command, tuple(shown)) for page, command, shown in found]


COMMANDS = documented_commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 15


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all the examples, run in the order the pages show them: a later example may
    read what an earlier one wrote, as it would for a reader following along."""
    return tmp_path_factory.mktemp("docs")


def _written(args: list[str]) -> list[Path]:
    """The files or folders a command is told to write (`--output`, `--output-dir`)."""
    return [Path(args[i + 1]) for i, a in enumerate(args[:-1]) if a in ("--output", "--output-dir")]


def _files_at(target: Path) -> list[Path]:
    """The file, the files in the folder, or (for a name without a suffix) the files it begins."""
    if target.is_file():
        return [target]
    if target.is_dir():
        return [f for f in target.rglob("*") if f.is_file()]
    return [f for f in target.parent.glob(f"{target.name}*") if f.is_file()]


@pytest.mark.parametrize(("page", "command", "shown"), COMMANDS, ids=[f"{p}: {c}" for p, c, _ in COMMANDS])
def test_documented_command_runs(
    page: str, command: str, shown: tuple[str, ...], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    # A database per page (each page is a walk-through of its own), never the user's own.
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{workspace / page.replace('.md', '.db')}")
    monkeypatch.setenv("HIMAYA_EVIDENCE_DIR", str(workspace / "evidence"))  # never the user's data folder
    # The Fund's account, as the pages say to set it (`export HIMAYA_PAYER_IBAN=...`): never the demo's.
    monkeypatch.setenv("HIMAYA_PAYER_IBAN", "OM930180000009876543210")
    monkeypatch.setenv("HIMAYA_PAYER_BIC", "BMUSOMRXXXX")
    # The password the pages export for their walk-through, and a login per page (never the user's own).
    monkeypatch.setenv("HIMAYA_PASSWORD", "a long password, for this walk-through")
    monkeypatch.setenv("HIMAYA_CREDENTIALS", str(workspace / page.replace(".md", "-credentials.json")))
    args = [
        str(REPO / a) if a.startswith(("src/", "examples/")) else a
        for a in shlex.split(command.replace("$PEOPLE", PEOPLE))[1:]
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{page}: {command}\n{result.stderr}"
    printed = " ".join(result.stdout.split())
    for line in shown:  # what the page shows is what the command prints
        assert " ".join(line.split()) in printed, f"{page}: {command}\nshown: {line}\nprinted:\n{result.stdout}"
    written = _written(args)
    for path in written:  # and what it is told to write, it writes
        target = path if path.is_absolute() else workspace / path
        found = (
            [target] if target.is_file() else [f for f in target.rglob("*") if f.is_file()] if target.is_dir() else []
        )
        if not found and target.suffix == "" and not target.exists():  # a prefix: the files start with it
            found = [f for f in target.parent.glob(f"{target.name}*") if f.is_file()]
        assert found and all(f.stat().st_size > 0 for f in found), f"{page}: {command}: wrote nothing at {path}"
    if not written:
        assert result.stdout.strip(), f"{page}: {command} printed nothing"
