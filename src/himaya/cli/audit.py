"""`himaya audit`: verify the tamper-evident trail and anchor it with signed checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.bootstrap import audit
from himaya.cli.app import app, err, out, reported
from himaya.core.errors import UsageError
from himaya.core.text import neutral

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

Checkpoints = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help="File of signed checkpoints (default: HIMAYA_AUDIT_CHECKPOINTS).",
        dir_okay=False,
        metavar="FILE",
    ),
]


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="The head hash printed by an earlier verify: also catches removal of the newest entries.",
        ),
    ] = None,
    checkpoints: Checkpoints = None,
) -> None:
    """Recompute the hash chain: any entry edited or deleted afterwards is reported (exit status 1).
    With checkpoints, entries removed from the end up to the last checkpoint are reported too."""
    with reported():
        engine = bootstrap.registry_engine()
        path = checkpoints or bootstrap.settings().audit_checkpoints
        trail = audit.check_trail(engine, path, expect_head=expect_head)
        result = trail.verification
        problems = [str(p) for p in result.problems] + trail.anchoring
        for problem in problems:
            err.print(f"tampered: {neutral(problem)}", markup=False)
        if problems:
            raise typer.Exit(1)
        anchored = f"; {trail.checkpoints:,} checkpoints held" if trail.checkpoints else ""
        out.print(f"audit trail intact: {result.entries:,} entries; head {result.head}{anchored}")
        if path is None and expect_head is None:
            err.print(
                "note: no checkpoints (--checkpoints or HIMAYA_AUDIT_CHECKPOINTS): entries removed from the"
                " end with the head row moved back would not show",
                markup=False,
            )


@audit_app.command("checkpoint")
def audit_checkpoint(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to", help="File to append to (default: HIMAYA_AUDIT_CHECKPOINTS).", dir_okay=False, metavar="FILE"
        ),
    ] = None,
    new: Annotated[bool, typer.Option("--new", help="Start the file (it must not exist yet).")] = False,
) -> None:
    """Verify the chain and append a signed checkpoint of its head to a file kept out of the
    database's reach; run it often (a timer), and keep the file where database users cannot write."""
    with reported():
        path = to or bootstrap.settings().audit_checkpoints
        if path is None:
            raise UsageError("where to? give --to FILE or set HIMAYA_AUDIT_CHECKPOINTS")
        engine = bootstrap.registry_engine()
        point = audit.checkpoint(engine, path, start=new)
        out.print(f"checkpoint: entry {point.entry}, head {point.hash}, signed by key {point.key}, in {path}")
