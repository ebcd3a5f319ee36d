"""`himaya`: the command line. Every command exits 0 on success; a refusal exits with the status of
its category (`cli/app.py`: 2 bad input or usage, 3 not found, 4 conflict, 5 forbidden)."""

from __future__ import annotations

import os
import sys
from importlib import import_module

import typer
from typer.models import CommandInfo

from himaya.bootstrap import busy as store_busy
from himaya.cli import app as cli_app
from himaya.cli.app import EXIT_BAD_INPUT, EXIT_STATUS, err
from himaya.core.errors import Category
from himaya.core.text import LANGUAGES

# The modules that register commands on `app` (importing one registers its commands), in the order
# the whole app's help lists them; and which of them each command or group needs. A command imports
# only its own modules: importing them all costs every command about a second (docs/insurance.md,
# "Speed"). tests/cli/test_main_dispatch.py checks both against the commands registered.
MODULES = (
    "public", "analysis", "audit", "cases", "cases_exceptions", "demo", "events", "events_crvs", "insurance",
    "insurance_awards", "insurance_benefits", "keys", "login", "notices", "notify", "partners", "payroll",
    "policy", "referrals", "registry", "scale", "service", "synth", "users", "letters",
)  # fmt: skip
COMMANDS = {
    "public": ("public",),
    "audit": ("audit",),
    "cases": ("cases", "cases_exceptions"),
    "events": ("events", "events_crvs"),
    "insurance": ("insurance", "insurance_awards", "insurance_benefits"),
    "keys": ("keys",),
    "notify": ("notices", "notify"),
    "partners": ("partners",),
    "enrollment": ("payroll",),
    "payroll": ("payroll",),
    "services": ("referrals",),
    "referrals": ("referrals",),
    "db": ("registry",),
    "registry": ("registry",),
    "users": ("users",),
    "letter": ("letters",),
    "simulate": ("analysis",),
    "project": ("analysis",),
    "demo": ("demo",),
    "login": ("login",),
    "logout": ("login",),
    "whoami": ("login",),
    "entitlements": ("policy",),
    "explain": ("policy",),
    "parameters": ("policy",),
    "partition": ("scale",),
    "serve": ("service",),
    "synth": ("synth",),
}


def __getattr__(name: str) -> typer.Typer:
    """`app`: the whole command line, every module's commands registered (PEP 562: only when read)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _register(MODULES)
    return cli_app.app


def _register(modules: tuple[str, ...]) -> None:
    for module in modules:
        import_module(f"himaya.cli.{module}")


EXIT_CONFLICT = EXIT_STATUS[Category.CONFLICT]  # the store was busy: another's write, as a conflict is


def main() -> None:
    """Run `himaya`; `himaya --lang ar ...` (first) or HIMAYA_LANG=ar gives the help in Arabic, and
    Arabic as the default language of the commands that write in either (explain, parameters)."""
    args = sys.argv[1:]
    language = os.environ.get("HIMAYA_LANG") or "en"
    if args[:1] == ["--lang"] and len(args) > 1:
        language, args = args[1], args[2:]
    if language not in LANGUAGES:
        err.print(f"error: --lang (or HIMAYA_LANG) must be one of {', '.join(LANGUAGES)}, not {language!r}")
        sys.exit(EXIT_BAD_INPUT)
    command = typer.main.get_command(_only(args[0]) if args else __getattr__("app"))
    os.environ["HIMAYA_LANG"] = language  # the language of what the commands write, too (--lang's default)
    if language == "ar":
        from himaya.cli.help_ar import arabic_headings, in_arabic  # noqa: PLC0415  (the Arabic help only)

        in_arabic(command)
        arabic_headings()
    try:
        command.main(args=args, prog_name="himaya")
    except Exception as error:
        if not store_busy.busy(error):
            raise
        err.print(f"error: {store_busy.SAID}", markup=False)
        sys.exit(EXIT_CONFLICT)


def _only(name: str) -> typer.Typer:
    """`app` with only the command or group named `name`, when there is one: Click's tree of every
    command costs about half a second to build (each function's signature read), and a command
    needs only its own. Anything else (an option, a misspelt name) gets the whole app and its
    help."""
    _register(COMMANDS.get(name, MODULES))
    app = cli_app.app
    groups = [g for g in app.registered_groups if g.name == name]
    commands = [c for c in app.registered_commands if _name(c) == name]
    if not groups and not commands:
        return app
    one = typer.Typer()
    one.info = app.info
    one.registered_callback = app.registered_callback
    one.registered_groups, one.registered_commands = groups, commands
    return one


def _name(command: CommandInfo) -> str | None:
    if command.name:
        return command.name
    return typer.main.get_command_name(command.callback.__name__) if command.callback else None


if __name__ == "__main__":
    main()
