"""What every command shares: the Typer app, the consoles, option parsers and error reporting."""

from __future__ import annotations

import getpass
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape

from himaya import bootstrap
from himaya.core.access import Permission
from himaya.core.errors import Category, HimayaError, InputTableError, UsageError, clipped
from himaya.core.periods import Period
from himaya.core.text import neutral
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack

app = typer.Typer(
    name="himaya",
    help="Himaya (حماية): a unified, life-cycle social protection system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)  # lines are never cut: they are read and grepped
err = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are never cut mid-line

EXIT_BAD_INPUT = 2
# The one place where an error's category becomes an exit status (README: "Exit statuses").
EXIT_STATUS = {
    Category.INVALID_INPUT: EXIT_BAD_INPUT,
    Category.NOT_FOUND: 3,
    Category.CONFLICT: 4,
    Category.FORBIDDEN: 5,
}


@contextmanager
def reported(max_errors: int = 1000) -> Iterator[None]:
    """Turn a HimayaError into a message on standard error and the exit status of its category."""
    try:
        yield
    except InputTableError as error:
        err.print(f"error: {error}", markup=False)
        shown = error.problems if max_errors <= 0 else error.problems[:max_errors]
        for problem in shown:
            err.print(f"  {problem}", markup=False)
        if len(shown) < len(error.problems):
            err.print(f"  ... and {len(error.problems) - len(shown)} more (--max-errors 0 lists them all)")
        if len(error.problems) > 1:
            err.print("summary:")
            for column, rule, count in error.summary():
                err.print(f"  {count:>9,}  {column}: {rule}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except HimayaError as error:
        err.print(f"error: {clipped(str(error))}", markup=False)
        raise typer.Exit(EXIT_STATUS[error.category]) from None


def asked(what: str, *, twice: bool = False) -> str:
    """A secret typed at the terminal (hidden), or read from standard input in a pipe; none given
    (no input left) is a clear refusal, not a traceback or a bare "Aborted"."""
    try:
        with warnings.catch_warnings():  # a pipe cannot hide what it echoes: said in the docs, not here
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            return str(typer.prompt(what, hide_input=True, confirmation_prompt=twice))
    except (click.exceptions.Abort, typer.Abort, EOFError):
        raise UsageError(f"no {what} given: type it at a terminal, or set HIMAYA_PASSWORD in a script") from None


@app.callback()
def _configure() -> None:
    """Himaya (حماية): a unified, life-cycle social protection system."""
    with reported():  # each command reads the settings once, before it starts
        bootstrap.configure()


def shown(value: object) -> str:
    """Stored text as a command prints it: each control or bidi character as its code (`<U+202E>`: no
    escape sequence reaches the terminal, no line reads backwards) and Rich markup as plain text."""
    return escape(neutral(str(value)))


def actor_option(value: str | None) -> str | None:
    """`--actor` (or `--as`) as given: a blank name is refused (exit 2), not replaced by HIMAYA_ACTOR or the
    operating-system user behind the operator's back."""
    if value is not None and not value.strip():
        raise typer.BadParameter("blank: give who acts, or leave the option out (HIMAYA_ACTOR or the OS user)")
    return value


def administrator(given: str | None) -> str:
    """Who administers the service (its users, its partners and their keys, its own DCI keys): an
    administrator logged in (`users.manage`), once the store has one. A new store has none: its
    first administrator is made at the terminal, as the store is set up."""
    return operator(given, Permission.USERS_MANAGE)


def operator(given: str | None, *permissions: Permission) -> str:
    """Who acts at the terminal on a store that has users: the user logged in, holding every one of
    `permissions` (a name typed is no proof). A store without an administrator yet (a new one, the
    demo's) has no one to log in: the OS user, or `given`, as the store is set up."""
    from himaya.bootstrap import access  # noqa: PLC0415  (only these commands need it)

    if not access.has_administrator(bootstrap.registry_engine()):
        return bootstrap.actor(given)
    who = ""
    for permission in permissions:
        who = bootstrap.acting_user(permission, given)
    return who


def period_option(text: str | Period) -> Period:
    if isinstance(text, Period):  # a default given already parsed
        return text
    try:
        return Period.parse(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def date_option(text: str | date) -> date:
    if isinstance(text, date):  # a default given already parsed
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-01-31 (YYYY-MM-DD)") from None


# The bound of every integer option (`typer.Option(..., min=1, max=INT_MAX)`, a test checks them all):
# the largest whole number every store's INTEGER column holds, so that a huge number is a usage
# error naming the option (exit 2), never a traceback.
INT_MAX = 2**31 - 1


PeriodArg = Annotated[
    Period, typer.Option("--period", parser=period_option, help="The month, YYYY-MM.", metavar="YYYY-MM")
]
PackArg = Annotated[str, typer.Option("--pack", help="Policy pack.")]
# The rules' commands: the pack named, else the setting HIMAYA_PACK (docs/cli.md), else oman.
PackChoice = Annotated[
    str | None, typer.Option("--pack", help="Policy pack: oman or iraq (default: HIMAYA_PACK, else oman).")
]


def chosen_pack(name: str | None) -> PolicyPack:
    """The pack `--pack` names, or the installation's (HIMAYA_PACK)."""
    return load_pack(name if name is not None else bootstrap.settings().pack)  # --pack "" is refused, not Oman


# The commands on datasets (docs/scale.md): a Dask scheduler, else a local cluster of N workers.
SchedulerArg = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the Dask scheduler at this address, e.g. tcp://10.0.0.5:8786 (else HIMAYA_DASK_SCHEDULER).",
        metavar="ADDRESS",
    ),
]
WorkersArg = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=1024,
        help="Run on a local Dask cluster of N worker processes (without it: when the input is larger than memory).",
    ),
]
MaxErrors = Annotated[
    int,
    typer.Option("--max-errors", min=0, max=10_000_000, help="Problems to list for a refused table (0: all)."),
]
