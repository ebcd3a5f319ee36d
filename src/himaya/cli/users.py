"""`himaya users ...`: who may use the service (`himaya serve` is in `cli/service.py`)."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.access import actions
from himaya.cli.app import app, out, reported
from himaya.core.access import Role, Scope
from himaya.core.errors import UsageError
from himaya.db import access

users_app = typer.Typer(help="Users of the service: people at branches and partner systems.", no_args_is_help=True)
app.add_typer(users_app, name="users")

Roles = Annotated[
    list[str] | None,
    typer.Option("--role", help=f"A role (repeat for more): {', '.join(r.value for r in Role)}."),
]
Branches = Annotated[
    list[str] | None,
    typer.Option("--branch", help="A branch scope (repeat for more): wilayat:NAME, governorate:NAME or all."),
]
Actor = Annotated[str | None, typer.Option("--actor", help="Who acts, for the audit trail.")]
Generate = Annotated[
    bool, typer.Option("--generate-password", help="Make a strong password and print it once, instead of asking.")
]


def _scopes(texts: list[str] | None) -> list[Scope]:
    try:
        return [Scope.parse(t) for t in texts or []]
    except ValueError as error:
        raise UsageError(str(error)) from None


def _new_password(generate: bool) -> str:
    if generate:
        password = secrets.token_urlsafe(18)
        out.print(f"password (shown once): {password}")
        return password
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    problem = bootstrap.weak_password(password)
    if problem:
        raise UsageError(problem)
    return str(password)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The user name (for a partner system: its client id).")],
    role: Roles = None,
    branch: Branches = None,
    client: Annotated[bool, typer.Option("--client", help="A partner system (client credentials).")] = False,
    name: Annotated[str | None, typer.Option("--name", help="The person's or system's name.")] = None,
    generate_password: Generate = False,
    actor: Actor = None,
) -> None:
    """Create a user (asks for the password, or makes one) and give them roles and branches."""
    with reported():
        engine = bootstrap.registry_engine()
        scopes = _scopes(branch)
        password = _new_password(generate_password)
        who = actor or bootstrap.actor()
        access.create_user(
            engine,
            username,
            bootstrap.hash_password(password),
            kind="client" if client else "person",
            display_name=name,
            actor=who,
        )
        principal = access.grant(engine, username, roles=role or [], scopes=scopes, actor=who)
        out.print(f"user {username}: roles {', '.join(sorted(principal.roles)) or 'none'}; {_where(principal.scopes)}")


@users_app.command("grant")
def users_grant(
    username: str,
    role: Roles = None,
    branch: Branches = None,
    replace: Annotated[bool, typer.Option("--replace", help="Instead of what the user had, not in addition.")] = False,
    actor: Actor = None,
) -> None:
    """Give a user roles and branch scopes; their tokens issued before stop working."""
    with reported():
        if not role and not branch and not replace:
            raise UsageError("give --role, --branch or --replace")
        principal = access.grant(
            bootstrap.registry_engine(),
            username,
            roles=role or [],
            scopes=_scopes(branch),
            actor=actor or bootstrap.actor(),
            replace=replace,
        )
        out.print(f"user {username}: roles {', '.join(sorted(principal.roles)) or 'none'}; {_where(principal.scopes)}")


@users_app.command("password")
def users_password(username: str, generate_password: Generate = False, actor: Actor = None) -> None:
    """Set a new password; every session of the user ends."""
    with reported():
        password = _new_password(generate_password)
        access.set_password(
            bootstrap.registry_engine(), username, bootstrap.hash_password(password), actor=actor or bootstrap.actor()
        )
        out.print(f"user {username}: password changed, sessions ended")


@users_app.command("deactivate")
def users_deactivate(username: str, actor: Actor = None) -> None:
    """Stop a user from logging in; their tokens stop working at once."""
    with reported():
        access.set_active(bootstrap.registry_engine(), username, False, actor=actor or bootstrap.actor())
        out.print(f"user {username}: deactivated")


@users_app.command("list")
def users_list() -> None:
    """Every user with their roles and branches."""
    with reported():
        for user in access.list_users(bootstrap.registry_engine()):
            state = "" if user["active"] else " (deactivated)"
            out.print(
                f"{user['username']:<24} {user['kind']:<7} roles: {', '.join(user['roles']) or '-'}; "
                f"branches: {', '.join(user['scopes']) or '-'}{state}"
            )


def _where(scopes: tuple[Scope, ...]) -> str:
    return "branches: " + (", ".join(str(s) for s in scopes) or "none (sees no family)")


@users_app.command("unlock")
def users_unlock(username: str, actor: Actor = None) -> None:
    """Forget a user's failed logins, so that they may log in again at once from anywhere."""
    with reported():
        cleared = actions.unlock(bootstrap.unit_of_work(), username, actor=actor or bootstrap.actor())
        out.print(f"user {username}: unlocked ({cleared} failed logins forgotten)")
