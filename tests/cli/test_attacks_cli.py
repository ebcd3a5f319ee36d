"""Attacks on the command line (issues 13 and 15, outside attack), kept as tests: numbers no store
holds, and stored text that would drive the terminal."""

from __future__ import annotations

import click
import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from himaya.cli.main import app
from himaya.db.case_tables import case_event, case_file
from himaya.db.engine import connect
from tests.cli.test_cases_commands import himaya, person  # noqa: F401  (the fixture)

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


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"  # set the title, clear the screen, a C1 CSI
BIDI = "refund \u202edenied\u202c \u2066x\u2069 \u200f"


def _opened(civil: str) -> str:
    done = himaya(*["cases", "open", "grievance", "--person", civil, "--category", "data_error",
                                    "--field", "details=paid less"])  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return done.stdout.split()[1]


def test_control_and_bidi_characters_are_refused_in_case_text(person: dict[str, str]) -> None:  # noqa: F811
    civil = person["person_id"]
    number = _opened(civil)
    for args, field in (
        (("note", number, f"called {ESCAPES}"), "text"),
        (("note", number, BIDI), "text"),
        (("open", "grievance", "--person", civil, "--category", "data_error", "--subject", f"x{ESCAPES}",
          "--field", "details=x"), "subject"),
        (("open", "grievance", "--person", civil, "--category", "data_error", "--field", f"details={BIDI}"),
         "form field details"),
        (("decide", number, "--to", "in_review", "--version", "1", "--reason", "\x1b[8mhidden"), "reason"),
    ):  # fmt: skip
        done = himaya(*["cases", *args])
        assert done.exit_code == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith(f"error: {field}: a control or bidi character (U+"), done.stderr
    fine = himaya(*["cases", "note", number, "line one\n\tline two, عربي"])
    assert fine.exit_code == 0, fine.stderr


def test_stored_text_is_printed_neutralised(person: dict[str, str], database_url: str) -> None:  # noqa: F811
    """Text stored before the check (or by another way in) cannot drive the terminal or read backwards."""
    number = _opened(person["person_id"])
    assert himaya(*["cases", "note", number, "placeholder"]).exit_code == 0
    engine = connect(database_url)
    with engine.begin() as connection:
        connection.execute(
            update(case_event).where(case_event.c.kind == "note").values(text=f"[red]x[/red]{ESCAPES}{BIDI}")
        )
        connection.execute(update(case_file).values(subject=f"s{ESCAPES}", form='{"details": "d\\u202e"}'))
    engine.dispose()
    shown = himaya(*["cases", "show", number])
    assert shown.exit_code == 0, shown.stderr
    printed = shown.stdout
    assert not any(c in printed for c in "\x1b\x07\x9b\u202e\u202c\u2066\u2069\u200f"), repr(printed)
    assert "[red]x[/red]<U+001B>]0;pwned<U+0007>" in printed and "<U+202E>denied<U+202C>" in printed
    assert "subject: s<U+001B>" in printed and "details: d<U+202E>" in printed


def test_a_list_filter_that_names_nothing_exits_2(person: dict[str, str]) -> None:  # noqa: F811
    done = himaya(*["cases", "list", "--state", "bogus"])
    assert done.exit_code == 2 and "state: 'bogus' is not a state of any case type; states:" in done.stderr
    assert "received" in done.stderr, done.stderr
