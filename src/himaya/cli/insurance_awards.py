"""`himaya insurance award|award-approve|award-end|award-review|awards`: a computed benefit awarded by one
officer, approved by another, paid by the monthly payroll, ended, a survivor pension reviewed; and the
awards listed. Each is done by the user logged in (`himaya login`), with the permission it needs
(`insurance.award`, `insurance.award.approve`, `insurance.read`) and for the people of their branches."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from himaya import bootstrap
from himaya.adapters.tables import write_table
from himaya.bootstrap import insurance as store
from himaya.cli.app import actor_option, date_option, out, reported, shown
from himaya.cli.insurance import Output, insurance_app
from himaya.cli.insurance_benefits import Reform
from himaya.core.clock import today
from himaya.core.errors import UsageError
from himaya.core.money import format_omr
from himaya.insurance.award_model import Group
from himaya.policy.engine import omr_text
from himaya.policy.packs import load_pack

ReformSeen = Annotated[
    Path | None,
    typer.Option(
        "--reform",
        help="The reform file the award was computed under: an award not under the law in force is approved "
        "only by naming it.",
    ),
]
Civils = Annotated[list[str] | None, typer.Option(help="A survivor's civil number (repeat for each).")]
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor", callback=actor_option, help="The user logged in (himaya login) who acts: given, it must be them."
    ),
]
Version = Annotated[
    int, typer.Option("--version", min=1, help="The award's version you read (himaya insurance awards).")
]


def _omr(baisa: int) -> str:
    return f"{format_omr(baisa, grouped=True)} OMR"


@insurance_app.command("award")
def insurance_award(
    civil_number: Annotated[
        str, typer.Argument(help="The insured person's civil number (a survivor pension: the deceased's).")
    ],
    benefit: Annotated[
        store.Benefit,
        typer.Option("--benefit", help="old_age, disability, survivor, job_security or maternity."),
    ],
    on: Annotated[
        date | None,
        typer.Option(
            "--on",
            parser=date_option,
            metavar="YYYY-MM-DD",
            help="The day computed for: the pension's (default today), the disability, the loss of the job, the birth.",
        ),
    ] = None,
    start: Annotated[
        date | None,
        typer.Option(
            "--from", parser=date_option, metavar="YYYY-MM-DD", help="The first day paid (default: the benefit's own)."
        ),
    ] = None,
    widow: Civils = None,
    child: Civils = None,
    parent: Civils = None,
    reform: Reform = None,
    actor: Actor = None,
) -> None:
    """Award a computed benefit: stored as prepared, paid once another officer approves it."""
    with reported():
        pack = load_pack()
        day = today(pack.timezone)
        if benefit is store.Benefit.SURVIVOR and on is not None:
            raise UsageError("a survivor pension is computed on the registry's date of death: drop --on")
        if benefit is store.Benefit.OLD_AGE and on is None:
            on = day
        survivors = tuple(
            store.Survivor(c, group)
            for group, named in ((Group.WIDOWS, widow), (Group.CHILDREN, child), (Group.PARENTS, parent))
            for c in named or ()
        )
        done = store.award(
            bootstrap.registry_engine(), pack, civil_number, benefit, on,
            principal=bootstrap.logged_in(actor), today=day, start=start, survivors=survivors, reform=reform,
        )  # fmt: skip
        if reform is not None:
            out.print(f"computed with the reform {reform.name} laid over the law's parameters: the award records it")
        until = f" to {done.end}" if done.end else ""
        what = "the whole leave" if benefit is store.Benefit.MATERNITY else "a month"
        out.print(
            f"award {done.award} prepared: {benefit.value} of {done.civil_number}, {_omr(done.amount)} {what}, "
            f"from {done.start}{until}; version {done.version}: another officer approves it "
            f"(himaya insurance award-approve {done.award} --version {done.version})"
        )


@insurance_app.command("award-approve")
def insurance_award_approve(
    award: Annotated[int, typer.Argument(help="The award's number.")],
    version: Version,
    reform: ReformSeen = None,
    actor: Actor = None,
) -> None:
    """Approve an award another officer prepared: the payroll pays it from then on."""
    with reported():
        who = bootstrap.logged_in(actor)
        done = store.approve_award(bootstrap.registry_engine(), award, version=version, principal=who, reform=reform)
        out.print(f"award {done.award} approved by {done.actor}; version {done.version}")


@insurance_app.command("award-end")
def insurance_award_end(
    award: Annotated[int, typer.Argument(help="The award's number.")],
    on: Annotated[
        date, typer.Option("--on", parser=date_option, metavar="YYYY-MM-DD", help="The award's last day paid.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the award ends.")],
    version: Version,
    actor: Actor = None,
) -> None:
    """End an award on a day: months after it are no longer paid nor counted as an income."""
    with reported():
        engine = bootstrap.registry_engine()
        who = bootstrap.logged_in(actor)
        done = store.end_award(engine, award, on, version=version, reason=reason, principal=who)
        out.print(f"award {done.award} ended on {done.end}; version {done.version}")


@insurance_app.command("awards")
def insurance_awards(
    civil_number: Annotated[
        str | None, typer.Argument(help="Only this person's awards (as the insured person or a survivor).")
    ] = None,
    state: Annotated[
        store.AwardState | None, typer.Option("--state", help="Only prepared, approved or ended awards.")
    ] = None,
    output: Output = None,
    actor: Actor = None,
) -> None:
    """List the awards: benefit, amount, dates, state, who prepared and approved them, survivors' shares."""
    with reported():
        who = bootstrap.logged_in(actor)
        found, shares = store.award_list(bootstrap.registry_engine(), civil_number, state, principal=who)
        if output is not None:
            write_table(found.with_columns(omr_text(pl.col("amount"))), output)
            out.print(f"{found.height:,} award(s) written to {output}")
            return
        if found.is_empty():
            out.print("no award yet of the people of your branches" + (" in that state" if state else ""))
        for r in found.iter_rows(named=True):
            approved = f", approved by {shown(r['approved_by'])}" if r["approved_by"] else ""
            ended = f"; ended: {shown(r['end_reason'])}" if r["end_reason"] else ""
            out.print(
                f"{r['id']:>6}  {r['civil_number']}  {r['benefit']:<12}  {format_omr(r['amount'], grouped=True):>10}  "
                f"{r['start_date']} to {r['end_date'] or 'open'!s:<10}  {r['state']:<8}  v{r['version']}  "
                f"prepared by {shown(r['prepared_by'])}{approved}{ended}"
            )
            for s in shares.filter(pl.col("award_id") == r["id"]).iter_rows(named=True):
                amount = format_omr(s["amount"], grouped=True)
                until = f" to {s['valid_to']}" if s["valid_to"] else ""
                out.print(
                    f"        {s['group']:<9} {s['civil_number']}  {s['share']:>5}  {amount:>10}  "
                    f"from {s['valid_from']}{until}"
                )


@insurance_app.command("award-review")
def insurance_award_review(
    award: Annotated[int, typer.Argument(help="The award's number.")],
    version: Version,
    left: Annotated[
        str | None,
        typer.Option("--left", help="A survivor who left the pension (a marriage, say), with --on and --reason."),
    ] = None,
    on: Annotated[
        date | None,
        typer.Option("--on", parser=date_option, metavar="YYYY-MM-DD", help="The day the survivor left (with --left)."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the survivor left (with --left).")] = "",
    actor: Actor = None,
) -> None:
    """Review a survivor pension: who left it (dead, past the age limit, named) leaves; the shares are split again."""
    with reported():
        if (left is None) != (on is None):
            raise UsageError("--left and --on go together: the survivor who left and the day they left")
        pack = load_pack()
        named = () if left is None or on is None else (store.Left(left, on, reason),)
        done = store.review_award(
            bootstrap.registry_engine(), pack, award, version=version, principal=bootstrap.logged_in(actor),
            today=today(pack.timezone), named=named,
        )  # fmt: skip
        if not done.left:
            out.print(f"award {award}: no survivor has left it; nothing changed (version {version})")
            return
        for civil_number, why in sorted(done.left.items()):
            out.print(f"award {award}: {civil_number} left ({why})")
        if done.award.state == store.AwardState.ENDED:
            ended, moved = done.award.end, done.award.version
            out.print(f"award {award} reviewed: no survivor is left: it ended on {ended}; version {moved}")
            return
        out.print(
            f"award {award} reviewed: shares split again from the month after (himaya insurance awards "
            f"{done.award.civil_number}); version {done.award.version}"
        )
