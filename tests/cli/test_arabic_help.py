"""Help in Arabic (issue 19): `himaya --lang ar --help`, or HIMAYA_LANG=ar for any command."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from himaya.cli.help_ar import HELP_AR, in_arabic
from himaya.cli.main import app


def help_of(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("HIMAYA_LANG", None)
    if lang is not None:
        env["HIMAYA_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "himaya.cli.main", *args], capture_output=True, text=True, env=env, check=False
    )


def test_every_command_and_option_has_arabic_help() -> None:
    command = typer.main.get_command(app)
    assert in_arabic(command) == []
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in text) for text in HELP_AR.values())


def test_help_in_arabic_by_option_or_environment() -> None:
    top = help_of("--lang", "ar", "--help")
    assert top.returncode == 0, top.stderr
    assert "الأوامر" in top.stdout and "اشرح لماذا يحصل فرد أو أسرة" in top.stdout
    assert "Explain why one person" not in top.stdout
    explain = help_of("explain", "--help", lang="ar")
    assert explain.returncode == 0, explain.stderr
    assert "الخيارات" in explain.stdout and "اشرح كل فرد في هذه الأسرة" in explain.stdout
    english = help_of("explain", "--help")
    assert "Explain every member of this family" in english.stdout and "الخيارات" not in english.stdout


def test_an_unknown_help_language_is_refused() -> None:
    refused = help_of("--lang", "fr", "--help")
    assert refused.returncode == 2 and "must be one of en, ar, not 'fr'" in refused.stderr


def test_the_language_given_first_is_the_commands_language_too() -> None:
    shown = help_of("--lang", "ar", "parameters", "--at", "2026-11-30")
    assert shown.returncode == 0, shown.stderr
    assert "المرجع: المرسوم السلطاني" in shown.stdout
    assert "Royal Decree" in help_of("parameters", "--at", "2026-11-30").stdout
