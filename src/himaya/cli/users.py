"""`himaya users ...`: who may use the service (`himaya serve` is in `cli/service.py`)."""

from __future__ import annotations

import difflib
import re
import secrets
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.access import actions
from himaya.bootstrap import access
from himaya.cli.app import PackChoice, actor_option, administrator, app, asked, out, reported, shown
from himaya.core.access import Role, Scope
from himaya.core.errors import UsageError
from himaya.insurance.files import CR_NUMBER

users_app = typer.Typer(help="Users of the service: people at branches and partner systems.", no_args_is_help=True)
app.add_typer(users_app, name="users")

Roles = Annotated[
    list[str] | None,
    typer.Option("--role", help=f"A role (repeat for more): {', '.join(r.value for r in Role)}."),
]
Branches = Annotated[
    list[str] | None,
    typer.Option(
        "--branch",
        help="A branch scope (repeat for more): wilayat:NAME, governorate:NAME or all; for a service provider's"
        " system, provider:KEY (`himaya services list`); for an employer's system, employer:CR_NUMBER.",
    ),
]
Actor = Annotated[
    str | None,
    typer.Option("--actor", callback=actor_option, help="Who acts: the administrator logged in with `himaya login`."),
]
Generate = Annotated[
    bool, typer.Option("--generate-password", help="Make a strong password and print it once, instead of asking.")
]


def _scopes(texts: list[str] | None, pack: str | None = None) -> list[Scope]:
    """The branch scopes, each naming a place the pack knows (a near miss gets a suggestion): the
    pack given, else the registry's (`bootstrap.registry_pack`); a `wilayat:` scope names one of its
    places, whatever the pack calls them (Iraq: a district)."""
    try:
        scopes = [Scope.parse(t) for t in texts or []]
    except ValueError as error:
        raise UsageError(str(error)) from None
    policy = bootstrap.registry_pack(pack)
    registry = policy.registry
    for scope in scopes:
        if scope.kind == "provider" and scope.value not in policy.services.providers:
            raise UsageError(_unknown_place(scope, tuple(policy.services.providers)))
        if scope.kind == "employer" and not re.fullmatch(CR_NUMBER.pattern or "", scope.value or ""):
            raise UsageError(f"{scope}: a commercial registration number is 6 to 10 digits, not starting with 0")
        kind = policy.place_column if scope.kind == "wilayat" else scope.kind  # the registry's place
        if scope.value is None or kind not in registry.names:
            continue
        places = registry.column(kind).codes
        if scope.value not in places:
            raise UsageError(_unknown_place(scope, places))
    return scopes


def _unknown_place(scope: Scope, places: tuple[str, ...]) -> str:
    value = scope.value or ""
    same = [p for p in places if p.casefold() == value.casefold()]
    near = same or difflib.get_close_matches(value, places, n=1, cutoff=0.6)
    hint = f"; did you mean {scope.kind}:{near[0]}?" if near else f"; {scope.kind}s: {', '.join(places)}"
    return f"no {scope.kind} {value!r} in the {scope.kind}s the pack knows{hint}"


def _roles(names: list[str] | None) -> list[str]:
    unknown = sorted(set(names or []) - {r.value for r in Role})
    if unknown:
        raise UsageError(f"no such role: {', '.join(unknown)}; roles: {', '.join(r.value for r in Role)}")
    return names or []


def _new_password(generate: bool) -> str:
    """A password typed twice (or HIMAYA_PASSWORD's, in scripts), or made (the caller prints it once
    the user exists)."""
    if generate:
        return secrets.token_urlsafe(18)
    password = bootstrap.settings().password or asked("password", twice=True)
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
    pack: PackChoice = None,
) -> None:
    """Create a user (asks for the password, or makes one) and give them roles and branches.

    All or nothing: roles and branches are checked first, and the user, roles and branches are
    written in one transaction; a made password is printed only once the user exists."""
    with reported():
        roles, scopes = _roles(role), _scopes(branch, pack)
        engine = bootstrap.registry_engine()
        who = administrator(actor)  # before the password is asked: a refusal asks nothing
        if access.user(engine, username) is not None:
            raise access.UserExistsError(f"user {username!r} exists already")
        password = _new_password(generate_password)
        access.create_user(
            engine,
            username,
            bootstrap.hash_password(password),
            kind="client" if client else "person",
            display_name=name,
            actor=who,
            roles=roles,
            scopes=scopes,
        )
        if generate_password:
            out.print(f"password (shown once): {password}")
        out.print(f"user {username}: roles {', '.join(sorted(set(roles))) or 'none'}; {_where(tuple(scopes))}")


@users_app.command("grant")
def users_grant(
    username: str,
    role: Roles = None,
    branch: Branches = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Instead of what the user had, not in addition: the roles given replace the roles,"
            " the branches given the branches; alone, it takes both away.",
        ),
    ] = False,
    actor: Actor = None,
    pack: PackChoice = None,
) -> None:
    """Give a user roles and branch scopes; their tokens issued before stop working."""
    with reported():
        if not role and not branch and not replace:
            raise UsageError("give --role, --branch or --replace")
        principal = access.grant(
            bootstrap.registry_engine(),
            username,
            roles=_roles(role),
            scopes=_scopes(branch, pack),
            actor=administrator(actor),
            replace=replace,
        )
        out.print(f"user {username}: roles {', '.join(sorted(principal.roles)) or 'none'}; {_where(principal.scopes)}")


@users_app.command("password")
def users_password(username: str, generate_password: Generate = False, actor: Actor = None) -> None:
    """Set a new password; every session of the user ends."""
    with reported():
        who = administrator(actor)
        password = _new_password(generate_password)
        access.set_password(bootstrap.registry_engine(), username, bootstrap.hash_password(password), actor=who)
        if generate_password:
            out.print(f"password (shown once): {password}")
        out.print(f"user {username}: password changed, sessions ended")


@users_app.command("deactivate")
def users_deactivate(username: str, actor: Actor = None) -> None:
    """Stop a user from logging in; their tokens stop working at once."""
    with reported():
        access.set_active(bootstrap.registry_engine(), username, False, actor=administrator(actor))
        out.print(f"user {username}: deactivated")


@users_app.command("list")
def users_list() -> None:
    """Every user with their roles and branches."""
    with reported():
        for user in access.list_users(bootstrap.registry_engine()):
            state = "" if user["active"] else " (deactivated)"
            out.print(
                f"{shown(user['username']):<24} {user['kind']:<7} roles: {', '.join(user['roles']) or '-'}; "
                f"branches: {', '.join(user['scopes']) or '-'}{state}"
            )


def _where(scopes: tuple[Scope, ...]) -> str:
    return "branches: " + (", ".join(str(s) for s in scopes) or "none (sees no family)")


@users_app.command("unlock")
def users_unlock(username: str, actor: Actor = None) -> None:
    """Forget a user's failed logins, so that they may log in again at once from anywhere."""
    with reported():
        cleared = actions.unlock(bootstrap.unit_of_work(), username, actor=administrator(actor))
        out.print(f"user {username}: unlocked ({cleared} failed logins forgotten)")
