"""`himaya notify letters|reprint|inbox|read`: what people deliver. The branch's waiting letters printed
as one PDF batch; the staff inbox of the logged-in user. Done by the user `himaya login` authenticated:
`--as` only names who is expected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.adapters.letters import render_batch
from himaya.cases import printing, staff
from himaya.cli.app import actor_option, out, reported
from himaya.cli.notify import MAX_ID, notify_app
from himaya.core.text import neutral

LoggedIn = Annotated[
    str | None,
    typer.Option(
        "--as", callback=actor_option, help="The user logged in with `himaya login` (refused if someone else)."
    ),
]
Out = Annotated[Path, typer.Option("--out", help="The PDF file to write.", dir_okay=False)]


def _wrote(done: printing.Printed, out_file: Path, what: str) -> None:
    out_file.write_bytes(done.pdf)
    when = f"{done.printed_at:%Y-%m-%d %H:%M}" if done.printed_at else ""
    said = f"{what} {done.batch} of {done.wilayat}, {done.letters} letters ({done.printed_by}, {when})"
    out.print(neutral(f"wrote {out_file}: {said}"))


@notify_app.command("letters")
def notify_letters(
    branch: Annotated[str, typer.Option("--branch", help="The branch (wilayat) whose waiting letters are printed.")],
    out_file: Out,
    acting: LoggedIn = None,
) -> None:
    """Print the branch's waiting letters as one PDF (a letter a page) and mark them printed in a batch."""
    with reported():
        principal = bootstrap.logged_in(acting)
        pack = bootstrap.registry_pack()
        done = printing.print_letters(
            bootstrap.unit_of_work(),
            pack.cases,
            branch,
            principal=principal,
            sender=pack.institution,
            render=render_batch,
        )
        if done.batch is None:
            out.print(neutral(f"no letter is waiting at {branch}: nothing printed"))
            return
        _wrote(done, out_file, "batch")


@notify_app.command("reprint")
def notify_reprint(
    batch: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The batch's number (as `notify letters` said).")],
    out_file: Out,
    acting: LoggedIn = None,
) -> None:
    """Print a batch of letters again, as it was (a lost printout); audited, nothing marked again."""
    with reported():
        principal = bootstrap.logged_in(acting)
        pack = bootstrap.registry_pack()
        done = printing.reprint(
            bootstrap.unit_of_work(),
            pack.cases,
            batch,
            principal=principal,
            sender=pack.institution,
            render=render_batch,
        )
        _wrote(done, out_file, "a reprint of batch")


@notify_app.command("inbox")
def notify_inbox(
    unread: Annotated[bool, typer.Option("--unread", help="Only the messages you have not marked read.")] = False,
    acting: LoggedIn = None,
) -> None:
    """Your staff messages (a role you hold at one of your branches: escalations), newest first."""
    with reported():
        rows = staff.inbox(bootstrap.unit_of_work(), principal=bootstrap.logged_in(acting), unread=unread)
        if not rows:
            out.print("no message" if not unread else "no unread message")
        for row in rows:
            seen = "read" if row["read_at"] else "new "
            out.print(
                neutral(f"#{row['id']} {seen} {row['created_at']:%Y-%m-%d} {row['recipient']} {row['subject']}"),
                markup=False,
            )
            out.print(neutral(f"    {row['body']}".replace("\n", "\n    ")), markup=False)


@notify_app.command("read")
def notify_read(
    messages: Annotated[list[int], typer.Argument(min=1, max=MAX_ID, help="The messages' numbers (`notify inbox`).")],
    acting: LoggedIn = None,
) -> None:
    """Mark messages of your inbox read (for you only)."""
    with reported():
        count = staff.mark_read(bootstrap.unit_of_work(), messages, principal=bootstrap.logged_in(acting))
        out.print(f"{count} message(s) marked read")
