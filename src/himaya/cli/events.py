"""`himaya events`: life events into the inbox (files, the calendar), the worker, the inbox's state."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.adapters.event_files import read_events_csv
from himaya.adapters.opencrvs import read_json
from himaya.cli.app import PeriodArg, actor_option, app, operator, out, reported
from himaya.core.access import Permission
from himaya.core.clock import today
from himaya.core.errors import UsageError
from himaya.events import actions
from himaya.events.model import LifeEvent, Received
from himaya.insurance.pension_terms import child_age_limit

events_app = typer.Typer(help="Life events: births, deaths, marriages and the calendar's.", no_args_is_help=True)
app.add_typer(events_app, name="events")

Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        callback=actor_option,
        help=(
            "The user logged in with `himaya login`, once the store has users"
            " (a new store: HIMAYA_ACTOR or the OS user)."
        ),
    ),
]


def _today() -> date:
    return today(bootstrap.registry_pack().timezone)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".csv"))
        if not found:
            raise UsageError(f"{path}: no .json (OpenCRVS FHIR) or .csv (life events) files in this folder")
        return found
    if not path.is_file():
        raise UsageError(f"{path}: no such file or folder")
    return [path]


def _read(path: Path, source: str | None) -> list[LifeEvent]:
    if path.suffix.lower() == ".csv":
        return read_events_csv(path, source=source or "file")
    events = read_json(path.read_bytes())
    if source:
        events = [LifeEvent(source, e.source_event_id, e.kind, e.event_date, e.facts, e.problem) for e in events]
    return events


def _said(done: Received) -> str:
    return f"{done.received} received, {done.duplicate} duplicate (already in the inbox), {done.failed} failed"


@events_app.command("import")
def events_import(
    path: Annotated[Path, typer.Argument(help="An OpenCRVS FHIR document (.json), a CSV of events, or a folder.")],
    source: Annotated[
        str | None, typer.Option("--source", help="The source's name (default: opencrvs for .json, file for .csv).")
    ] = None,
    actor: Actor = None,
) -> None:
    """Put life events into the inbox, once each: importing the same events again changes nothing."""
    with reported():
        events = [e for f in _files(path) for e in _read(f, source)]
        who = operator(actor, Permission.PERSON_UPDATE)
        done = actions.receive(bootstrap.unit_of_work(), events, today=_today(), actor=who)
        out.print(f"{path}: {len(events)} events: {_said(done)}")


@events_app.command("scan")
def events_scan(period: PeriodArg, actor: Actor = None) -> None:
    """The calendar's events of the month (turning 60 or 18, a survivor child's age limit) into the inbox."""
    with reported():
        who = operator(actor, Permission.PERSON_UPDATE)
        limit = child_age_limit(bootstrap.registry_pack().parameters, period.end)
        done = actions.scan(bootstrap.unit_of_work(), period, today=_today(), actor=who, survivor_age=limit)
        out.print(f"{period}: calendar events: {_said(done)}")
        if done.not_yet:  # an event is made on or after its day, never ahead: the month's scan is run again
            out.print(f"{done.not_yet} more fall after today ({_today()}): scan {period} again after them")


@events_app.command("process")
def events_process(
    batch: Annotated[int, typer.Option("--batch", min=1, max=100_000, help="Events per transaction.")] = actions.BATCH,
    actor: Actor = None,
) -> None:
    """Apply the inbox's waiting events to the registry (and the events held by the last run, once more)."""
    with reported():
        who = operator(actor, Permission.PERSON_UPDATE)
        pack = bootstrap.registry_pack()
        done = actions.process(bootstrap.unit_of_work(), bootstrap.registry_contract(pack), actor=who, batch=batch)
        out.print(
            f"applied {done.applied}, held {done.held}, needs review {done.needs_review}, failed {done.failed},"
            f" duplicate {done.duplicate} ({done.batches} batches)"
        )


@events_app.command("status")
def events_status() -> None:
    """The inbox's events by state, and how long the oldest waiting one has waited."""
    with reported():
        status = actions.status(bootstrap.unit_of_work())
        for state, count in status.counts.items():
            out.print(f"{state:<13} {count:>9,}")
        if status.lag_seconds is None:
            out.print("lag           nothing waiting")
        else:
            out.print(
                f"lag           {status.lag_seconds:,.0f} s since the oldest waiting event was received"
                f" (its event date {status.oldest_event_date})"
            )
        if status.replan_due:
            out.print(
                f"replan due    {status.replan_due:,} applied events' families: a run stopped before planning"
                " their enrollments again; the next `himaya events process` plans them first"
            )
