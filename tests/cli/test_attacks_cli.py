"""Attacks on the command line (issues 13 and 15, outside attack), kept as tests: numbers no store
holds, and stored text that would drive the terminal."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from himaya.cli.main import app

HUGE = "99999999999999999999"
INT_MAX = 2**31 - 1  # what every store's INTEGER holds


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        return [found for name, sub in command.commands.items() for found in _commands(sub, (*path, name))]
    return [(path, command)]


def test_every_integer_option_is_bounded() -> None:
    unbounded = [
        f"himaya {' '.join(path)} {param.opts[0]}"
        for path, command in _commands(typer.main.get_command(app))
        for param in command.params
        if isinstance(param.type, click.types.IntParamType)
        and (not isinstance(param.type, click.IntRange) or param.type.max is None or param.type.max > INT_MAX)
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    "args",
    [
        ("cases", "decide", "C-2026-000001", "--to", "approved", "--version", HUGE),
        ("cases", "assign", "C-2026-000001", "--to", "wafa", "--version", HUGE),
        ("cases", "close", "C-2026-000001", "--version", "-1"),
        ("cases", "list", "--page", HUGE),
        ("events", "process", "--batch", HUGE),
    ],
)
def test_a_huge_number_is_a_usage_error_not_a_traceback(args: tuple[str, ...]) -> None:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 2, (done.output, done.exception)
    assert "Traceback" not in done.output and f"Invalid value for '{args[-2]}'" in done.output, done.output
