"""`himaya events crvs-subscribe|crvs-subscriptions|crvs-unsubscribe`: Himaya's subscriptions to a
civil registry's DCI CRVS events (its notify messages then come to `POST /events/dci/notify`);
`himaya events crvs-search|crvs-search-result`: a search of its people, its vital events taken
into the inbox on demand."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.adapters.crvs import client as crvs
from himaya.adapters.crvs import criteria as crvs_criteria
from himaya.adapters.crvs import disability
from himaya.adapters.crvs import search as crvs_search
from himaya.bootstrap import dci
from himaya.cli.app import operator, out, reported
from himaya.cli.events import Actor, _today, events_app
from himaya.core.access import Permission
from himaya.core.errors import UsageError

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="HIMAYA_CRVS_TOKEN",
        help="The bearer token the civil registry gave Himaya (default: HIMAYA_CRVS_TOKEN).",
    ),
]


def _sign() -> dci.Sealer:
    """Our messages to a registry: encrypted to its client's encryption key if registered, signed."""
    return dci.sealer(bootstrap.unit_of_work().engine, bootstrap.settings())


@events_app.command("crvs-subscribe")
def crvs_subscribe(
    url: Annotated[str, typer.Argument(help="The civil registry's DCI CRVS address (before /registry/subscribe).")],
    event: Annotated[
        list[str],
        typer.Option(
            "--event", help="LiveBirth, Death, Marriage, Divorce, Adoption or FetalDeath (repeat).", show_default=False
        ),
    ],
    registry_id: Annotated[str, typer.Option("--registry-id", help="The registry's sender_id in its messages.")],
    client: Annotated[
        str, typer.Option("--client", help="The registry's client user (role civil_registry) that posts its notify.")
    ],
    callback: Annotated[
        str, typer.Option("--callback", help="Himaya's address for the registry's answer (…/events/dci/on-subscribe).")
    ],
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="Only events whose record says ATTRIBUTE=VALUE, e.g. death_place=Nizwa (repeat: all).",
            show_default=False,
        ),
    ] = None,
    frequency: Annotated[
        str | None,
        typer.Option("--frequency", help="The registry notifies on this cron schedule, e.g. '0 0 0 5,15 * ? *'."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="With --frequency: from this time (ISO 8601, with zone).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--until", help="With --frequency: until this time (ISO 8601, with zone).")
    ] = None,
    token: Token = None,
    actor: Actor = None,
) -> None:
    """Subscribe to a civil registry's vital events; its answer (on-subscribe) gives the codes."""
    with reported():
        asked = crvs_criteria.criteria(where or [], frequency, start, end)
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
            actor=operator(actor, Permission.USERS_MANAGE),
            asked=asked,
        )
        for s in made:
            out.print(f"{s.event_code}: {s.status} (reference {s.reference_id}, code {s.code or 'not yet given'})")


@events_app.command("crvs-subscriptions")
def crvs_subscriptions() -> None:
    """Himaya's subscriptions to civil registries' events: the registry, event, code and state."""
    with reported():
        operator(None, Permission.USERS_MANAGE)
        found = crvs.listed(bootstrap.unit_of_work())
        if not found:
            out.print("no subscriptions (himaya events crvs-subscribe)")
        for s in found:
            said = f" ({s.reason})" if s.reason else ""
            words = crvs_criteria.read(s.criteria).words()
            said += f" | {words}" if words else ""
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
            actor=operator(actor, Permission.USERS_MANAGE),
        )
        out.print(f"{code}: {done.event_type} events of {done.registry_id}: unsubscribed")


def _print(found: crvs_search.Found) -> None:
    """The records found, one a line (in full: the operator's console, as `himaya people` prints)."""
    out.print(f"transaction {found.transaction_id}: {found.status}, {len(found.records)} record(s)")
    for r in found.records:
        dates = " ".join(f"{k.removesuffix('_date')} {r[k]}" for k in ("birth_date", "death_date", "marriage_date",
                                                                          "divorce_date") if r.get(k))  # fmt: skip
        name = " ".join(str(r[k]) for k in ("given_name", "surname") if r.get(k)) or "-"
        said = f"{r.get('civil_number') or '(no civil number)'}  {name}  {r.get('sex') or '-'}  {dates}"
        if "disability_status" in r:  # a disability registry's record
            level, kinds = r.get("disability_level") or "-", ", ".join(r.get("impairments") or []) or "-"
            said += f"  disability {r['disability_status'] or '-'} (level {level}; {kinds})"
        out.print(said.rstrip())
    if found.received is not None:
        done = found.received
        out.print(f"taken into the inbox: {done.received} new, {done.duplicate} already there, {done.failed} failed")
        for event in found.events:
            why = found.review.get(event.source_event_id)
            out.print(f"  {event.source_event_id}" + (f"  (for a registrar: {why})" if why else ""))


# Where an asynchronous search's answer comes (a civil or a disability registry's, the same receiver).
SearchCallback = Annotated[
    str | None,
    typer.Option("--callback", help="Search asynchronously: Himaya's address for the answer (…/events/dci/on-search)."),
]


@events_app.command("crvs-search")
def crvs_search_command(
    url: Annotated[str, typer.Argument(help="The civil registry's DCI CRVS address (before /registry/sync/search).")],
    registry_id: Annotated[str, typer.Option("--registry-id", help="The registry's sender_id in its messages.")],
    client: Annotated[
        str, typer.Option("--client", help="The registry's client user whose registered keys sign its answers.")
    ],
    civil: Annotated[str | None, typer.Option("--civil", help="The civil number (UIN) searched for.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The name searched for (with --birth-date).")] = None,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="The birth date searched for, YYYY-MM-DD (with --name).")
    ] = None,
    take: Annotated[
        list[str] | None,
        typer.Option(
            "--take",
            help="Take the found events of this type (LiveBirth, Death, Marriage, Divorce; repeat) into the inbox.",
            show_default=False,
        ),
    ] = None,
    callback: SearchCallback = None,
    token: Token = None,
    actor: Actor = None,
) -> None:
    """Search a civil registry's people by civil number, or by name and birth date; print what it found."""
    with reported():
        try:
            born = date.fromisoformat(birth_date) if birth_date else None
        except ValueError:
            raise UsageError(f"--birth-date {birth_date!r}: not a date like 1980-05-01") from None
        # What it finds is printed with names and civil numbers; what it takes goes into the inbox.
        who = operator(actor, Permission.PERSON_IDENTIFY, *([Permission.PERSON_UPDATE] if take else []))
        sealer = _sign()
        found = crvs_search.search(
            bootstrap.unit_of_work(),
            crvs_search.Query(civil_number=civil, name=name, birth_date=born),
            url=url,
            registry_id=registry_id,
            client=client,
            take=take or [],
            callback=callback,
            sign=sealer,
            sender_id=dci.SENDER_ID,
            token=token,
            today=_today(),
            actor=who,
            decrypting=sealer.keys.decrypting,
        )
        _print(found)
        if found.status == "pending":
            out.print(f"the answer comes to {callback}: himaya events crvs-search-result {found.transaction_id}")


@events_app.command("crvs-search-result")
def crvs_search_result(
    transaction: Annotated[str, typer.Argument(help="The search's transaction id (printed by crvs-search).")],
) -> None:
    """A search's state and the records the civil registry answered with."""
    with reported():
        operator(None, Permission.PERSON_IDENTIFY)  # names and civil numbers: a user who may see them
        _print(crvs_search.result(bootstrap.unit_of_work(), transaction))


@events_app.command("dr-search")
def dr_search_command(
    url: Annotated[str, typer.Argument(help="The disability registry's DCI address (before /registry/sync/search).")],
    registry_id: Annotated[str, typer.Option("--registry-id", help="The registry's sender_id in its messages.")],
    client: Annotated[
        str, typer.Option("--client", help="The registry's client user whose registered keys sign its answers.")
    ],
    civil: Annotated[str, typer.Option("--civil", help="The civil number (UIN) searched for.")],
    take: Annotated[
        bool,
        typer.Option(
            "--take-expired", help="Take an Expired disability status into the inbox (the card no longer held)."
        ),
    ] = False,
    callback: SearchCallback = None,
    token: Token = None,
    actor: Actor = None,
) -> None:
    """Search a disability registry (DCI DR) by civil number; print the disability status it holds."""
    with reported():
        who = operator(actor, Permission.PERSON_IDENTIFY, *([Permission.PERSON_UPDATE] if take else []))
        sealer = _sign()
        found = disability.search(
            bootstrap.unit_of_work(),
            civil,
            url=url,
            registry_id=registry_id,
            client=client,
            take=take,
            callback=callback,
            sign=sealer,
            sender_id=dci.SENDER_ID,
            token=token,
            today=_today(),
            actor=who,
            decrypting=sealer.keys.decrypting,
        )
        _print(found)
        if found.status == "pending":
            out.print(f"the answer comes to {callback}: himaya events crvs-search-result {found.transaction_id}")
