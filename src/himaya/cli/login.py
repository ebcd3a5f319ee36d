"""`himaya login`, `himaya logout`, `himaya whoami`: the command line acting as a user of the store."""

from __future__ import annotations

from typing import Annotated

import typer

from himaya import bootstrap
from himaya.cli.app import app, asked, out, reported
from himaya.core.errors import UsageError


@app.command("login")
def login(
    username: Annotated[str, typer.Argument(help="Your user name in the store (`himaya users list`).")],
) -> None:
    """Log in as a user of the store: the commands that follow act as them for eight hours or until logout."""
    with reported():
        password = bootstrap.settings().password
        if password is None:
            password = asked("password")
        if not password:
            raise UsageError("no password given")
        cli = bootstrap.cli_login()
        credential = cli.login(username, password)
        out.print(f"logged in as {credential.username} until {credential.expires:%Y-%m-%d %H:%M} UTC ({cli.path})")


@app.command("logout")
def logout() -> None:
    """End every session of the logged-in user (the API's too) and forget the login."""
    with reported():
        who = bootstrap.cli_login().logout()
        out.print(f"{who} logged out" if who else "nobody was logged in")


@app.command("whoami")
def whoami() -> None:
    """Who the commands act as: the logged-in user with their roles and branches, or the name they record."""
    with reported():
        found = bootstrap.cli_login().current()
        if found is None:
            out.print(f"not logged in; commands record {bootstrap.actor()} (the payroll's steps need a login)")
            return
        credential, principal = found
        branches = ", ".join(str(s) for s in principal.scopes) or "none"
        out.print(
            f"{credential.username}: roles {', '.join(sorted(principal.roles)) or 'none'}; branches {branches};"
            f" logged in until {credential.expires:%Y-%m-%d %H:%M} UTC"
        )
