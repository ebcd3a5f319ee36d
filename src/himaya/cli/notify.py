"""`himaya notify`: deliver the outbox's messages (SMS, e-mail), its state, a person's decision on a
message whose delivery failed or is uncertain."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.bootstrap import notify
from himaya.cases import delivery, staff
from himaya.cli.app import actor_option, app, out, reported
from himaya.core.text import neutral

MAX_ID = 2**31 - 1  # what every store's INTEGER holds
notify_app = typer.Typer(
    help="Notifications: deliver the outbox by SMS and e-mail, print the branch's letters, read the staff inbox.",
    no_args_is_help=True,
)
app.add_typer(notify_app, name="notify")

Actor = Annotated[
    str | None,
    typer.Option(
        "--actor", callback=actor_option, help="Who acts, for the audit trail (default: HIMAYA_ACTOR or the OS user)."
    ),
]


def _said(done: delivery.Sent) -> str:
    counts = ", ".join(f"{count} {outcome}" for outcome, count in done.counts.items())
    lost = f", {done.lost_claims} taken over by another sender" if done.lost_claims else ""
    inboxes = f"; {done.staff} staff messages to their inboxes" if done.staff else ""
    return counts + lost + inboxes


@notify_app.command("send")
def notify_send(
    every: Annotated[
        int,
        typer.Option(
            "--every", min=0, max=86_400, help="Keep going: deliver again every SECONDS (0: once, then exit)."
        ),
    ] = 0,
    actor: Actor = None,
) -> None:
    """Deliver the messages that are due (retries whose time has come included), then exit."""
    with reported():
        config = bootstrap.settings().notify
        if not notify.channels(config):
            out.print("no channel is configured (HIMAYA_SMS_URL, HIMAYA_SMTP_HOST): nothing is sent")
        engine = bootstrap.registry_engine()
        who = bootstrap.actor(actor)
        while True:
            out.print(f"delivered: {_said(notify.send(engine, config, actor=who))}")
            if not every:
                return
            time.sleep(every)


@notify_app.command("status")
def notify_status(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Failed or uncertain messages listed.")] = 20,
) -> None:
    """Messages by channel and state, then the failed and uncertain ones with their last error."""
    with reported():
        status = delivery.status(bootstrap.unit_of_work(), limit=limit)
        letters, unaddressed = staff.waiting(bootstrap.unit_of_work())
        if not status.counts:
            out.print("the outbox is empty")
        for (channel, state), count in sorted(status.counts.items()):
            out.print(f"{channel:<6} {state:<10} {count:>9,}")
        for branch, count in sorted(letters.items()):
            out.print(neutral(f"letters waiting at {branch}: {count:,} (`himaya notify letters --branch {branch}`)"))
        for recipient, count in sorted(unaddressed.items()):
            out.print(neutral(f"staff waiting for {recipient}: {count:,} (no active user holds this role there)"))
        for row in status.troubled:  # the error is the far end's text: shown, never run as markup or escapes
            out.print(
                neutral(
                    f"#{row['id']} {row['channel']} {row['state']} to {row['address'] or row['recipient']}"
                    f" (case {row['case_id'] or '-'}, {row['attempts']} attempts): {row['error']}"
                ),
                markup=False,
            )


@notify_app.command("resend")
def notify_resend(
    message: Annotated[
        int, typer.Argument(min=1, max=MAX_ID, help="The message's number in the outbox (`himaya notify status`).")
    ],
    actor: Actor = None,
) -> None:
    """Send a failed or uncertain message again (check first that an uncertain one did not arrive); an
    SMS goes to the person's mobile on record when it is sent, not to the number it went to before."""
    with reported():
        before = delivery.reopen(bootstrap.unit_of_work(), message, "resend", actor=bootstrap.actor(actor))
        to = f" to {before['registered']} (the mobile on record now)" if before["readdressed"] else ""
        out.print(neutral(f"#{message} ({before['state']}) will be sent again{to} by the next `himaya notify send`"))


@notify_app.command("confirm")
def notify_confirm(
    message: Annotated[
        int, typer.Argument(min=1, max=MAX_ID, help="The message's number in the outbox (`himaya notify status`).")
    ],
    actor: Actor = None,
) -> None:
    """Record that an uncertain message did arrive: it is marked sent, never sent again (a failed one
    was refused or given up: it is resent, not confirmed)."""
    with reported():
        before = delivery.reopen(bootstrap.unit_of_work(), message, "confirm", actor=bootstrap.actor(actor))
        out.print(f"#{message} ({before['state']}) is recorded as delivered")
