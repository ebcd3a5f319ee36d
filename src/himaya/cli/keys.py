"""`himaya keys list|rotate|retire`: the service's own DCI keys (signing and encryption), rotated with
an overlap during which the old ones stay published at /.well-known/jwks.json."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.bootstrap import dci_keys
from himaya.cli.app import actor_option, administrator, app, out, reported
from himaya.core.errors import UsageError
from himaya.core.text import neutral

KeysActor = Annotated[
    str | None,
    typer.Option("--actor", callback=actor_option, help="Who acts: the administrator logged in with `himaya login`."),
]
keys_app = typer.Typer(
    help="The service's DCI keys: the newest signing key signs; partners encrypt to its encryption keys.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _print(rows: list[dict[str, object]]) -> None:
    for row in rows:
        state = "active" if row["active"] else "retired"
        until = f" until {row['retires']}" if row["retires"] else ""
        line = f"{row['kid']} {row['use']} {row['alg']} made {row['created']} {state}{until}"
        out.print(neutral(line), markup=False)


@keys_app.command("list")
def keys_list() -> None:
    """Every DCI key of the service: id (kid), use, algorithm, when made, until when it is published."""
    with reported():
        _print(dci_keys.keys(bootstrap.unit_of_work().engine, bootstrap.settings()))


@keys_app.command("rotate")
def keys_rotate(
    use: Annotated[
        list[str] | None,
        typer.Option("--use", help="sig (signing) or enc (encryption) (repeat; default: both)."),
    ] = None,
    overlap_days: Annotated[
        float,
        typer.Option("--overlap-days", min=0, max=365, help="Days the keys it replaces stay published and accepted."),
    ] = 7.0,
    actor: KeysActor = None,
) -> None:
    """Make a new key of each use: messages are signed with the new one at once; the old ones stay in
    the JWKS (and decrypt) for the overlap, then retire."""
    with reported():
        uses = use or ["sig", "enc"]
        wrong = [u for u in uses if u not in ("sig", "enc")]
        if wrong:
            raise UsageError(f"--use {wrong[0]!r}: sig or enc")
        engine, settings = bootstrap.unit_of_work().engine, bootstrap.settings()
        dci_keys.rotate(engine, settings, uses, timedelta(days=overlap_days), actor=administrator(actor))
        _print(dci_keys.keys(engine, settings))


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[str, typer.Argument(help="The key's id (kid), from `himaya keys list`.")],
    actor: KeysActor = None,
) -> None:
    """Retire a key now, before its overlap ends (e.g. a key that leaked): no longer published or used."""
    with reported():
        engine, settings = bootstrap.unit_of_work().engine, bootstrap.settings()
        dci_keys.retire(engine, settings, kid, actor=administrator(actor))
        _print(dci_keys.keys(engine, settings))
