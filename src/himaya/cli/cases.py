"""`himaya cases`: open a case, read a branch's inbox, work a case through its states, and find the
overdue ones. Each command is one action of `himaya.cases.actions`, done by the user `himaya login`
authenticated (`--as` only names who is expected, and must be them): their roles say what they may
do, and their branches what they may see, exactly as over the API (docs/cases.md#at-the-terminal)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from himaya import bootstrap
from himaya.cases import actions, evidence
from himaya.cases.model import Inbox, NewCase
from himaya.cli.app import INT_MAX, actor_option, app, chosen_pack, date_option, out, reported, shown
from himaya.core.access import Principal
from himaya.core.errors import TooLargeError, UsageError
from himaya.core.text import Language
from himaya.policy.case_types import CaseCatalogue

cases_app = typer.Typer(
    help="Cases: applications, change requests, grievances, appeals, duplicate reviews, payment issues, referrals.",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")

As = Annotated[
    str | None,
    typer.Option(
        "--as", callback=actor_option, help="The user logged in with `himaya login` (refused if someone else)."
    ),
]
Version = Annotated[
    int, typer.Option("--version", min=1, max=INT_MAX, help="The case's version you read (`himaya cases show`).")
]
Reason = Annotated[str | None, typer.Option("--reason", help="The reasons (required for a decision).")]
Number = Annotated[str, typer.Argument(help="The case number, e.g. C-2026-000001.")]


def _catalogue() -> CaseCatalogue:
    return bootstrap.registry_pack().cases  # the registry's pack's case types


def _acting(name: str | None) -> tuple[Any, Principal]:
    """The store's unit of work and the logged-in user, with their roles and branches: a name typed
    on the command line is no proof of who acts (`name`, an `--as`, must be the user logged in)."""
    principal = bootstrap.logged_in(name)
    return bootstrap.unit_of_work(), principal


def _fields(pairs: list[str] | None) -> dict[str, str]:
    form = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--field {pair!r}: write NAME=VALUE, e.g. --field details='paid less in December'")
        form[name.strip()] = value
    return form


@cases_app.command("types")
def cases_types() -> None:
    """The case types of the registry's policy pack: who opens them, their states and deadlines in working days."""
    with reported():
        try:
            pack = bootstrap.registry_pack()  # the registry's own, as every other cases command
        except UsageError:  # no store set up yet: the installation's pack (HIMAYA_PACK)
            pack = chosen_pack(None)
        if pack.cases_dir is None:
            out.print(f"policy pack {pack.name} has no case types")
            return
        for kind in pack.cases.types.values():
            states = ", ".join(f"{s.key} ({s.days}d)" if s.days else s.key for s in kind.states)
            money = "; maker-checker" if kind.changes_money else ""
            out.print(f"[bold]{kind.key}[/bold]  {kind.name.en} / {kind.name.ar}{money}")
            out.print(f"  channels: {', '.join(sorted(kind.channels))}; states: {states}")


@cases_app.command("open")
def cases_open(
    case_type: Annotated[str, typer.Argument(help="The case type (`himaya cases types`).", metavar="TYPE")],
    person: Annotated[str | None, typer.Option("--person", help="The person's civil number.")] = None,
    channel: Annotated[str, typer.Option("--channel", help="branch, phone, web or anonymous.")] = "branch",
    wilayat: Annotated[str | None, typer.Option("--wilayat", help="The branch (default: the person's).")] = None,
    category: Annotated[str | None, typer.Option("--category", help="The category (a grievance's).")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="A short title.")] = None,
    sensitive: Annotated[bool, typer.Option("--sensitive", help="Only for the roles holding case.sensitive.")] = False,
    language: Annotated[str, typer.Option("--language", help="Of the messages to the person: ar or en.")] = "ar",
    field: Annotated[list[str] | None, typer.Option("--field", help="A form field, NAME=VALUE (repeat).")] = None,
    acting: As = None,
) -> None:
    """Open a case; the person is told it was received (in the outbox)."""
    with reported():
        if language not in ("ar", "en"):
            raise UsageError(f"--language: {language!r} is not ar or en")
        form = _fields(field)
        words: Language = "en" if language == "en" else "ar"
        request = NewCase(case_type, channel, person, wilayat, category, subject, sensitive, words, form)
        uow, principal = _acting(acting)
        opened = actions.open_case(uow, _catalogue(), request, principal=principal)
        flag = ", sensitive" if opened.sensitive else ""
        out.print(
            f"opened {opened.number} ({case_type}{flag}): {opened.state}, due {opened.due_on or '-'}; "
            f"version {opened.version}; {opened.notifications} message(s) queued"
        )


@cases_app.command("show")
def cases_show(number: Number, acting: As = None) -> None:
    """A case with its form, where it stands, where it may go, its history and its messages."""
    with reported():
        uow, principal = _acting(acting)
        view = actions.show(uow, _catalogue(), number, principal=principal)
        c = {k: v if v is None or isinstance(v, int | date | datetime) else shown(v) for k, v in view.case.items()}
        out.print(f"[bold]{c['number']}[/bold]  {c['type']} in {c['wilayat']} ({c['governorate']})")
        out.print(
            f"state {c['state']} since {c['state_since']:%Y-%m-%d}, due {c['due_on'] or '-'} ({view.sla.value}); "
            f"version {c['version']}; person {c['civil_number'] or '(anonymous)'}; "
            f"assigned to {c['assigned_to'] or '-'}"
        )
        if view.case["subject"]:
            out.print(f"subject: {c['subject']}")
        if view.case.get("record_version") is not None:
            out.print(f"record of person {c['civil_number']} at version {c['record_version']} when opened")
        if view.case.get("reversed_by"):
            out.print(f"decision reversed by appeal {c['reversed_by']}")
        for name, value in view.case["form"].items():
            out.print(f"  {shown(name)}: {shown(value)}")
        _rules(view.case.get("rules"))
        out.print(f"may move to: {', '.join(view.moves) or 'nothing (closed)'}")
        for event in view.events:
            moved = f" {event['from_state'] or ''} -> {event['to_state']}" if event["to_state"] else ""
            said = f": {shown(event['text'])}" if event["text"] else ""
            out.print(f"  {event['at']:%Y-%m-%d %H:%M} {shown(event['actor'])} {event['kind']}{moved}{said}")
        for item in view.evidence:
            out.print(
                f"  evidence {item['sha256']} {shown(item['filename'])} ({item['media_type']}, {item['size']:,} bytes)"
                f" by {shown(item['uploaded_by'])}"
            )
        for message in view.messages:
            out.print(f"  message ({message['channel']}, {message['state']}): {shown(message['subject'])}")


def _lines(rows: list[dict[str, Any]]) -> None:
    """One line a case (never cut: read and grepped)."""
    for r in rows:
        out.print(
            f"{r['number']}  {r['type']:<16} {r['state']:<18} due {r['due_on'] or '-'!s:<10}  {r['sla']:<9} "
            f"{shown(r['wilayat'])}  {shown(r['assigned_to'] or '-')}"
        )


@cases_app.command("list")
def cases_list(
    wilayat: Annotated[str | None, typer.Option("--wilayat", help="Only this branch.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
    case_type: Annotated[str | None, typer.Option("--type", help="Only cases of this type.")] = None,
    due_before: Annotated[
        date | None, typer.Option("--due-before", parser=date_option, help="Due on or before.", metavar="YYYY-MM-DD")
    ] = None,
    assigned_to: Annotated[str | None, typer.Option("--assigned-to", help="Only the cases of this user.")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed cases.")] = False,
    page: Annotated[int, typer.Option("--page", min=1, max=100_000, help="Page of 50 cases.")] = 1,
    acting: As = None,
) -> None:
    """The branch inbox: the cases of your branches, by due date, 50 a page."""
    with reported():
        uow, principal = _acting(acting)
        wanted = Inbox(wilayat, None, state, case_type, due_before, assigned_to, not closed, page)
        rows = actions.inbox(uow, _catalogue(), wanted, principal=principal)
        _lines(rows)
        out.print(f"{len(rows)} case(s), page {page}")


@cases_app.command("assign")
def cases_assign(
    number: Number,
    to: Annotated[str, typer.Option("--to", help="The user who will work the case.")],
    version: Version,
    acting: As = None,
) -> None:
    """Give a case to a user."""
    with reported():
        uow, principal = _acting(acting)
        now = actions.assign(uow, number, to, expected_version=version, principal=principal)
        out.print(f"{number}: assigned to {to}; version {now}")


@cases_app.command("attach")
def cases_attach(
    number: Number,
    file: Annotated[
        Path, typer.Argument(help="The evidence: a PDF, JPEG or PNG file (the type is read from its content).")
    ],
    acting: As = None,
) -> None:
    """Attach evidence to a case (case.work): stored by its SHA-256; the attachment is audited."""
    with reported():
        limit = bootstrap.settings().evidence_max_bytes
        if not file.is_file():
            raise UsageError(f"file {str(file)!r} is not a file")
        if file.stat().st_size > limit:
            raise TooLargeError(
                f"file {file.name!r}: {file.stat().st_size:,} bytes; evidence may have at most {limit:,} bytes"
            )
        uow, principal = _acting(acting)
        attached = evidence.attach(
            uow, bootstrap.evidence_files(), number, file.name, file.read_bytes(), max_bytes=limit, principal=principal
        )
        kept = "attached" if attached.new else "held already"
        out.print(
            f"{number}: {shown(attached.filename)} ({attached.media_type}, {attached.size:,} bytes) {kept};"
            f" sha256 {attached.sha256}"
        )


@cases_app.command("note")
def cases_note(number: Number, text: Annotated[str, typer.Argument(help="The note.")], acting: As = None) -> None:
    """Add a note to a case's history."""
    with reported():
        uow, principal = _acting(acting)
        actions.note(uow, number, text, principal=principal)
        out.print(f"{number}: note added")


@cases_app.command("decide")
def cases_decide(
    number: Number,
    to: Annotated[str, typer.Option("--to", help="The state to move the case to.")],
    version: Version,
    reason: Reason = None,
    override: Annotated[
        str | None,
        typer.Option("--override", help="A supervisor's reason to approve an application the rules do not support."),
    ] = None,
    override_until: Annotated[
        str | None,
        typer.Option(
            "--override-until",
            help="With --override: the last month the exception holds, its review date (YYYY-MM).",
            metavar="YYYY-MM",
        ),
    ] = None,
    override_amount: Annotated[
        str | None,
        typer.Option(
            "--override-amount", help="With --override: the monthly amount the exception pays (e.g. 130.000)."
        ),
    ] = None,
    acting: As = None,
) -> None:
    """Move a case on: a step of its work, or a decision (case.decide; maker-checker where money changes).
    An application's approval writes its facts to the registry; a refusal names the rules that failed."""
    with reported():
        uow, principal = _acting(acting)
        pack = bootstrap.registry_pack()
        moved = actions.move(
            uow, pack.cases, number, to, expected_version=version, reason=reason, principal=principal,
            desk=bootstrap.application_desk(pack), override=override, override_until=override_until,
            override_amount=override_amount,
        )  # fmt: skip
        decided = f" (decision: {moved.decision})" if moved.decision == to else ""
        out.print(
            f"{number}: {moved.state}{decided}, due {moved.due_on or '-'}; version {moved.version}; "
            f"{moved.notifications} message(s) queued"
        )
        _rules(moved.rules)
        _wrote(moved.wrote)


def _wrote(wrote: dict[str, Any] | None) -> None:
    """What a decision wrote to the registry: a change (from -> to), an appeal's reversal."""
    if not wrote:
        return
    if "restores" in wrote:  # a stopped benefit's decision: the enrollment in force again
        out.print(f"reversed: the {wrote['decision']} decision of {wrote['reverses']};"
                  f" {wrote['restores']} restored from {str(wrote['from'])[:7]}")  # fmt: skip
    elif "reverses" in wrote:
        out.print(f"reversed: the {wrote['decision']} decision of {wrote['reverses']} (of {wrote['refused_on']})")
    held = wrote.get("exception")
    if isinstance(held, dict):  # an override that holds: the sync keeps it, the payroll pays it
        out.print(f"exception {held['exception']}: {held['programme']} kept in force for {held['person']} from"
                  f" {held['from']} until {held['until']}, {held['amount']} a month")  # fmt: skip
    inner = wrote.get("change")
    change: dict[str, Any] = inner if isinstance(inner, dict) else wrote
    if "to" in change:
        for column, value in change["to"].items():
            out.print(f"  {column}: {shown(change['from'].get(column) or '-')} -> {shown(value if value else '-')}")


def _rules(rules: dict[str, Any] | None) -> None:
    if rules is None:
        return
    verdict = "entitled" if rules["entitled"] else "not entitled"
    out.print(
        f"rules: {rules['programme']} {verdict}"
        + (f" (overridden: {shown(rules['override'])})" if rules.get("override") else "")
    )
    for failed in rules["failed"]:
        out.print(f"  failed: {shown(failed['en'])} / {shown(failed['ar'])}")


@cases_app.command("close")
def cases_close(number: Number, version: Version, reason: Reason = None, acting: As = None) -> None:
    """Close a case."""
    with reported():
        uow, principal = _acting(acting)
        moved = actions.close(uow, _catalogue(), number, expected_version=version, reason=reason, principal=principal)
        out.print(f"{number}: closed; version {moved.version}")


@cases_app.command("overdue")
def cases_overdue(
    escalate: Annotated[
        bool, typer.Option("--escalate", help="Tell each breach to the type's escalation role, once.")
    ] = False,
    acting: As = None,
) -> None:
    """The open cases of your branches past their deadline or at risk, most overdue first."""
    with reported():
        uow, principal = _acting(acting)
        rows = actions.overdue(uow, _catalogue(), principal=principal, escalate=escalate)
        _lines(rows)
        breached = sum(1 for r in rows if r["sla"] == "breached")
        out.print(f"{breached} breached, {len(rows) - breached} at risk")
