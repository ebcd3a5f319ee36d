"""`himaya enrollment sync` and `himaya payroll ...`: the monthly cycle at the terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from himaya import bootstrap
from himaya.adapters.iso20022.bank import answer_exported
from himaya.adapters.tables import write_table
from himaya.cli.app import INT_MAX, PeriodArg, actor_option, app, date_option, err, out, reported
from himaya.core.access import Permission
from himaya.core.clock import now, today
from himaya.core.errors import UsageError
from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.payroll.lines import ChildPayee
from himaya.payroll.rules import RECOVERY_SHARE_DEFAULT, RECOVERY_SHARE_MAX, RECOVERY_SHARE_MIN, check_recovery_share
from himaya.policy.pack import PolicyPack
from himaya.policy.table import money_text

store = bootstrap.payroll_store  # the payroll's actions, on the configured store

enrollment_app = typer.Typer(help="Enrollment in the programmes.", no_args_is_help=True)
payroll_app = typer.Typer(help="The monthly payroll: run, submit, approve, export, reconcile.", no_args_is_help=True)
app.add_typer(enrollment_app, name="enrollment")
app.add_typer(payroll_app, name="payroll")

AGAIN = (
    "Write the files of an exported run again, byte for byte as first written (its recorded batching, "
    "dates and payer), into a new or empty folder."
)
Actor = Annotated[
    str | None, typer.Option("--actor", callback=actor_option, help="Who acts (default: HIMAYA_ACTOR or the OS user).")
]
# The payroll's own steps are done by the user `himaya login` authenticated (docs/payroll.md#who-acts).
LoggedIn = Annotated[
    str | None,
    typer.Option(
        "--actor", callback=actor_option, help="The user logged in with `himaya login` (refused if someone else)."
    ),
]


def _money(amount: int, currency: Currency) -> str:
    """An amount as the payroll's commands print it: '1,234.500 OMR', '275,000 IQD' (the registry's pack's)."""
    return f"{currency.format(amount, grouped=True)} {currency.code}"


def _summary(summary: store.RunSummary, currency: Currency) -> str:
    return (
        f"run {summary.period}: {summary.state}; {summary.lines:,} lines, "
        f"{_money(summary.amount, currency)} payable, {_money(summary.held, currency)} held; "
        f"{summary.arrears:,} arrears, {summary.exceptions:,} exceptions, {summary.reissued:,} re-issued, "
        f"{_money(summary.recovered, currency)} recovered"
    )


@enrollment_app.command("sync")
def enrollment_sync(period: PeriodArg, actor: Actor = None) -> None:
    """Enroll everyone the rules find entitled in the month; end the enrollments of the others."""
    with reported():
        pack = bootstrap.registry_pack()
        result = store.sync_enrollments(
            bootstrap.registry_engine(), pack, period, actor=bootstrap.actor(actor), today=today(pack.timezone)
        )
        told = f"; {result.decisions:,} stop decision(s) recorded and told (appealable)" if result.decisions else ""
        out.print(f"enrollment {period}: {result.enrolled:,} enrolled, {result.ended:,} ended{told}")


@payroll_app.command("run")
def payroll_run(
    period: PeriodArg,
    child_payee: Annotated[
        ChildPayee,
        typer.Option(
            "--child-payee", help="child: the child's account, else the guardian's; guardian: always the guardian's."
        ),
    ] = ChildPayee.CHILD_FIRST,
    recovery_share: Annotated[
        float,
        typer.Option(
            "--recovery-share",
            help=f"Most of a debtor's monthly pay kept for debts ({RECOVERY_SHARE_MIN:g} to {RECOVERY_SHARE_MAX:g}).",
        ),
    ] = RECOVERY_SHARE_DEFAULT,
    actor: LoggedIn = None,
) -> None:
    """Calculate the month's payment lines (again, until the run is submitted)."""
    with reported():
        check_recovery_share(recovery_share)
        step: Callable[[str], None] | None = None
        with contextlib.ExitStack() as stack:
            if err.is_terminal:  # a spinner only where someone watches: in a pipe it left a blank line
                bar = stack.enter_context(
                    Progress(
                        SpinnerColumn(),
                        TextColumn("{task.description}"),
                        TimeElapsedColumn(),
                        console=err,
                        transient=True,
                    )
                )
                task = bar.add_task("starting")
                step = lambda name: bar.update(task, description=name)  # noqa: E731
            pack = bootstrap.registry_pack()
            summary = store.calculate(
                bootstrap.registry_engine(),
                pack,
                period,
                actor=bootstrap.acting_user(Permission.PAYROLL_RUN, actor),
                child_payee=child_payee,
                recovery_share=recovery_share,
                step=step,
            )
        out.print(_summary(summary, pack.currency))


STEP_PERMISSIONS = {
    "submit": Permission.PAYROLL_SUBMIT,
    "approve": Permission.PAYROLL_APPROVE,
    "close": Permission.PAYROLL_RECONCILE,
}


def _transition(action: str, period: Period, actor: str | None) -> None:
    with reported():
        who = bootstrap.acting_user(STEP_PERMISSIONS[action], actor)
        currency = bootstrap.registry_pack().currency
        out.print(_summary(store.transition(bootstrap.registry_engine(), period, action, actor=who), currency))


@payroll_app.command("submit")
def payroll_submit(period: PeriodArg, actor: LoggedIn = None) -> None:
    """Submit the calculated run for approval (the maker)."""
    _transition("submit", period, actor)


@payroll_app.command("approve")
def payroll_approve(period: PeriodArg, actor: LoggedIn = None) -> None:
    """Approve a submitted run (the checker: not the user who submitted it). An approved run cannot change."""
    _transition("approve", period, actor)


@payroll_app.command("close")
def payroll_close(period: PeriodArg, actor: LoggedIn = None) -> None:
    """Close a reconciled run."""
    _transition("close", period, actor)


@payroll_app.command("export")
def payroll_export(
    period: PeriodArg,
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Folder for the pain.001 files.")] = Path(
        "bank-files"
    ),
    execution_date: Annotated[
        date | None,
        typer.Option(
            "--execution-date",
            parser=date_option,
            help="Requested execution date (default: today).",
            metavar="YYYY-MM-DD",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=0, max=INT_MAX, help="Most transfers in one file.")
    ] = 50_000,
    again: Annotated[bool, typer.Option("--again", help=AGAIN)] = False,
    actor: LoggedIn = None,
) -> None:
    """Write the approved run as ISO 20022 pain.001.001.09 files (one or more per payee bank), schema-validated."""
    if again:  # a lost folder: the recorded files, never new ones
        return _export_again(period, output_dir, actor)
    with reported():
        if batch_size < 1:
            raise UsageError("--batch-size must be at least 1")
        pack = bootstrap.registry_pack()
        files = store.export(
            bootstrap.registry_engine(),
            period,
            output_dir,
            actor=bootstrap.acting_user(Permission.PAYROLL_EXPORT, actor),
            payer=bootstrap.payer(pack),
            execution=execution_date or today(pack.timezone),
            writer=bootstrap.payment_file_writer,
            batch_size=batch_size,
        )
        out.print(f"run {period}: exported {len(files)} file(s) to {output_dir}")
        for file in files:
            out.print(f"  {file.name}")


def _export_again(period: Period, output_dir: Path, actor: str | None) -> None:
    with reported():
        files = store.export_again(
            bootstrap.registry_engine(),
            period,
            output_dir,
            actor=bootstrap.acting_user(Permission.PAYROLL_EXPORT, actor),
            writer=bootstrap.payment_file_writer,
        )
        out.print(f"run {period}: wrote again {len(files)} file(s) to {output_dir}, as first exported")
        for file in files:
            out.print(f"  {file.name}")


@payroll_app.command("reconcile")
def payroll_reconcile(
    file: Annotated[
        Path,
        typer.Argument(
            help="A bank's pain.002.001.10 status report, camt.054.001.08 notification or camt.053.001.08"
            " statement, or a folder of them."
        ),
    ],
    actor: LoggedIn = None,
) -> None:
    """Apply the bank's answer: lines become paid, rejected (with the bank's reason) or returned. A
    folder: each of its .xml files in name order, each in its own transaction."""
    with reported():
        if not file.exists():
            raise UsageError(f"{file}: no such file")
        files = sorted(file.glob("*.xml")) if file.is_dir() else [file]
        if not files:
            raise UsageError(f"{file}: no .xml file in this folder")
        who, pack = bootstrap.acting_user(Permission.PAYROLL_RECONCILE, actor), bootstrap.registry_pack()
        for path in files:
            _reconcile_one(path, who, pack)


def _reconcile_one(file: Path, actor: str, pack: PolicyPack) -> None:
    reply = bootstrap.read_bank_reply(file, pack)  # amounts in the registry's pack's currency
    iban = bootstrap.payer(pack).iban
    result = store.reconcile(
        bootstrap.registry_engine(), reply, file, actor=actor, payer_iban=iban, currency=pack.currency
    )
    settled = f"; reconciled: {', '.join(result.runs)}" if result.runs else ""
    counts = f"{result.paid:,} paid, {result.rejected:,} rejected, {result.returned:,} returned"
    counts += f", {result.pending:,} pending"
    if result.unchanged:
        counts += f", {result.unchanged:,} already so (no change)"
    out.print(f"{file.name} ({result.kind}): {counts}{settled}")


@payroll_app.command("bank-answer")
def payroll_bank_answer(
    period: PeriodArg,
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Folder for the bank's answer files.")],
    exported: Annotated[
        Path, typer.Option("--from", help="The folder the run was exported to (payroll export --output-dir).")
    ] = Path("bank-files"),
    reject_share: Annotated[
        float, typer.Option("--reject-share", help="Share of the transfers the bank rejects (0 to 1).")
    ] = 0.05,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=INT_MAX, help="Which transfers are rejected: the same seed, the same.")
    ] = 0,
) -> None:
    """For training and tests: a simulated bank's pain.002 and camt.054 for an exported run (a
    chosen share rejected), schema-valid, to be applied with `himaya payroll reconcile`."""
    with reported():
        if not 0 <= reject_share <= 1:
            raise UsageError(f"--reject-share must be between 0 and 1, not {reject_share:g}")
        sent = sorted(exported.glob(f"HIMAYA-{period.year}{period.month:02d}-*.xml"))
        if not sent:
            raise UsageError(f"{exported}: no exported file of the run of {period} (himaya payroll export first)")
        pack = bootstrap.registry_pack()
        written = answer_exported(
            sent,
            output_dir,
            reject_share=reject_share,
            seed=seed,
            created=now(),
            booked=today(pack.timezone),
        )
        out.print(f"run {period}: the bank's answer to {len(sent)} file(s) in {output_dir}")
        for path in written:
            out.print(f"  {path.name}")


@payroll_app.command("status")
def payroll_status() -> None:
    """Where each run stands."""
    with reported():
        runs, currency = store.status(bootstrap.registry_engine()), bootstrap.registry_pack().currency
        if runs.is_empty():
            out.print("no payroll run yet (himaya payroll run --period YYYY-MM)")
        for run in runs.iter_rows(named=True):  # a line per run: readable in any terminal, and greppable
            counts = ", ".join(f"{run[s]:,} {s}" for s in store.STATUS_COUNTS if run[s])
            amounts = ", ".join(
                f"{_money(run[column], currency)} {word}"
                for column, word in (("payable", "payable"), ("held", "held"), ("paid_amount", "paid"))
            )
            out.print(
                f"{run['period']:%Y-%m}  {run['state']:<10}  submitted by {run['submitted_by'] or '-'}, "
                f"approved by {run['approved_by'] or '-'}; {run['lines']:,} lines, {amounts}: {counts or 'no lines'}"
            )


@payroll_app.command("report")
def payroll_report(
    period: PeriodArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report as CSV (and the diff beside it, NAME-diff.csv)."),
    ] = None,
) -> None:
    """Beneficiaries and amounts by programme and governorate, and the changes against the month before."""
    with reported():
        engine, currency = bootstrap.registry_engine(), bootstrap.registry_pack().currency
        by_place, changes = (
            store.with_totals(store.report(engine, period)),
            store.diff(engine, period, currency=currency),
        )
        by_place = by_place.with_columns(money_text(pl.col(c), currency).alias(c) for c in ("amount", "recovered"))
        if output is not None:  # amounts in the currency, as on screen, and a totals row
            write_table(by_place, output)
            write_table(
                changes.with_columns(money_text(pl.col(c), currency).alias(c) for c in ("before", "now")),
                output.with_name(f"{output.stem}-diff.csv"),
            )
        table = Table(title=f"Payroll {period} by programme and governorate ({currency.code})")
        for column in by_place.columns:
            table.add_column(column)
        for row in by_place.iter_rows(named=True):
            table.add_row(*("" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()))
        out.print(table)
        counts = changes.group_by("change").len().sort("change")
        out.print(
            "changes against the month before: "
            + ", ".join(f"{n:,} {c}" for c, n in counts.iter_rows())
            + f"; {changes['unusual'].sum():,} unusual (more than half up or down)"
        )


@payroll_app.command("held")
def payroll_held(
    period: PeriodArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the list as CSV (amounts in the pack's currency).")
    ] = None,
) -> None:
    """The people whose payment is held for want of a valid bank account, with the amounts (the pack's currency)."""
    with reported():
        lines, currency = store.held(bootstrap.registry_engine(), period), bootstrap.registry_pack().currency
        shown = lines.with_columns(money_text(pl.col("amount"), currency).alias("amount"))
        if output is not None:
            write_table(shown, output)
        total = _money(int(lines["amount"].sum()), currency)
        out.print(f"run {period}: {lines.height:,} line(s) held for want of a bank account, {total}")
        if output is None:
            for row in shown.head(20).iter_rows(named=True):
                line = f"{row['person_id']}  {row['programme']:<12} {row['month']:%Y-%m}  {row['amount']:>12}"
                out.print(f"  {line} {currency.code}")
            if lines.height > 20:
                out.print(f"  … and {lines.height - 20:,} more (--output FILE for all)")
