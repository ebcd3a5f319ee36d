"""`himaya users ...` and `himaya serve`: who may use the service, and the service itself."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import secrets
import signal
import socket
import sys
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.cli.app import PackArg, app, out, reported
from himaya.core.access import Role, Scope
from himaya.core.errors import UsageError
from himaya.db import access
from himaya.policy.packs import DEFAULT_PACK, load_pack

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


def _scopes(texts: list[str] | None, pack: str = DEFAULT_PACK) -> list[Scope]:
    """The branch scopes, each naming a place the pack knows (a near miss gets a suggestion)."""
    try:
        scopes = [Scope.parse(t) for t in texts or []]
    except ValueError as error:
        raise UsageError(str(error)) from None
    registry = load_pack(pack).registry
    for scope in scopes:
        if scope.value is None or scope.kind not in registry.names:
            continue
        places = registry.column(scope.kind).codes
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
    """A password typed twice, or made (the caller prints it once the user exists)."""
    if generate:
        return secrets.token_urlsafe(18)
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
    pack: PackArg = DEFAULT_PACK,
) -> None:
    """Create a user (asks for the password, or makes one) and give them roles and branches.

    All or nothing: roles and branches are checked first, and the user, roles and branches are
    written in one transaction; a made password is printed only once the user exists."""
    with reported():
        roles, scopes = _roles(role), _scopes(branch, pack)
        engine = bootstrap.registry_engine()
        password = _new_password(generate_password)
        who = actor or bootstrap.actor()
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
    replace: Annotated[bool, typer.Option("--replace", help="Instead of what the user had, not in addition.")] = False,
    actor: Actor = None,
    pack: PackArg = DEFAULT_PACK,
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
        if generate_password:
            out.print(f"password (shown once): {password}")
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


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (one per core is a good start).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI documentation at /docs) on the configured database."""
    with reported():
        if workers < 1:
            raise UsageError("--workers must be at least 1")
        bootstrap.registry_engine()  # refuse an unmigrated store before listening
        out.print(f"Himaya API on http://{host}:{port} (documentation: http://{host}:{port}/docs); Ctrl-C stops it")
        if workers == 1:
            serve_one(host, port)
            return
        # Each worker listens on its own socket bound with SO_REUSEPORT, and the kernel spreads new
        # connections over them: with one shared socket, the worker that wakes first takes every
        # connection of a burst, and keep-alive clients then stay with it while the others idle.
        os.environ.setdefault("POLARS_MAX_THREADS", "1")  # a process per core: no thread pools fighting
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=serve_one, args=(host, port), daemon=True) for _ in range(workers)]
        for process in processes:
            process.start()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stopped service stops its workers too
        try:
            for process in processes:
                process.join()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            for process in processes:
                process.terminate()


def serve_one(host: str, port: int) -> None:
    """One worker process: the application on a socket of its own (SO_REUSEPORT)."""
    import uvicorn  # noqa: PLC0415  (only `serve` needs it: every other command starts faster without)

    # A thread waiting for the interpreter lock waits up to the switch interval (5 ms by default)
    # after each database answer; the audit chain's lock is held across several answers, so every
    # such wait would hold up every other request's audit entry too.
    sys.setswitchinterval(0.0005)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    config = uvicorn.Config("himaya.api.app:create_app", factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[listener])
