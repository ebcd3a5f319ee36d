"""`himaya events crvs-subscribe|crvs-subscriptions|crvs-unsubscribe`: Himaya's subscriptions to a
civil registry's DCI CRVS events (its notify messages then come to `POST /events/dci/notify`)."""

from __future__ import annotations

from typing import Annotated

import typer

from himaya import bootstrap
from himaya.adapters.crvs import client as crvs
from himaya.bootstrap import dci
from himaya.cli.app import out, reported
from himaya.cli.events import Actor, events_app

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="HIMAYA_CRVS_TOKEN",
        help="The bearer token the civil registry gave Himaya (default: HIMAYA_CRVS_TOKEN).",
    ),
]


def _sign() -> crvs.Sign:
    return dci.sealer(bootstrap.unit_of_work().engine, bootstrap.settings())


@events_app.command("crvs-subscribe")
def crvs_subscribe(
    url: Annotated[str, typer.Argument(help="The civil registry's DCI CRVS address (before /registry/subscribe).")],
    event: Annotated[
        list[str], typer.Option("--event", help="LiveBirth, Death, Marriage or Divorce (repeat).", show_default=False)
    ],
    registry_id: Annotated[str, typer.Option("--registry-id", help="The registry's sender_id in its messages.")],
    client: Annotated[
        str, typer.Option("--client", help="The registry's client user (role civil_registry) that posts its notify.")
    ],
    callback: Annotated[
        str, typer.Option("--callback", help="Himaya's address for the registry's answer (…/events/dci/on-subscribe).")
    ],
    token: Token = None,
    actor: Actor = None,
) -> None:
    """Subscribe to a civil registry's vital events; its answer (on-subscribe) gives the codes."""
    with reported():
        made = crvs.subscribe(
            bootstrap.unit_of_work(),
            url=url,
            registry_id=registry_id,
            client=client,
            events=event,
            callback=callback,
            sign=_sign(),
            sender_id=dci.SENDER_ID,
            token=token,
            actor=bootstrap.actor(actor),
        )
        for s in made:
            out.print(f"{s.event_code}: {s.status} (reference {s.reference_id}, code {s.code or 'not yet given'})")


@events_app.command("crvs-subscriptions")
def crvs_subscriptions() -> None:
    """Himaya's subscriptions to civil registries' events: the registry, event, code and state."""
    with reported():
        found = crvs.listed(bootstrap.unit_of_work())
        if not found:
            out.print("no subscriptions (himaya events crvs-subscribe)")
        for s in found:
            said = f" ({s.reason})" if s.reason else ""
            out.print(
                f"{s.code or '-':<24} {s.event_type:<10} {s.status:<9} {s.registry_id} {s.registry_url}"
                f" client {s.client}{said}"
            )


@events_app.command("crvs-unsubscribe")
def crvs_unsubscribe(
    code: Annotated[str, typer.Argument(help="The subscription code the registry gave.")],
    token: Token = None,
    actor: Actor = None,
) -> None:
    """End a subscription at the civil registry: its notify messages are refused afterwards."""
    with reported():
        done = crvs.unsubscribe(
            bootstrap.unit_of_work(),
            code,
            sign=_sign(),
            sender_id=dci.SENDER_ID,
            token=token,
            actor=bootstrap.actor(actor),
        )
        out.print(f"{code}: {done.event_type} events of {done.registry_id}: unsubscribed")
