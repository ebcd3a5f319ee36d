"""`himaya insurance ...`: employers, monthly declarations, contributions, payments, arrears and careers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from himaya import bootstrap
from himaya.adapters.tables import write_table
from himaya.bootstrap import insurance as store
from himaya.cli.app import MaxErrors, actor_option, app, date_option, out, period_option, reported, shown
from himaya.core.clock import today
from himaya.core.money import MoneyFormatError, format_omr, parse_omr
from himaya.core.periods import Period
from himaya.insurance.model import Branch
from himaya.insurance.rules import MAX_PAYMENT
from himaya.policy.engine import omr_text
from himaya.policy.packs import load_pack

insurance_app = typer.Typer(
    help="Social insurance: employers, monthly declarations, contributions, payments, arrears, careers.",
    no_args_is_help=True,
)
app.add_typer(insurance_app, name="insurance")

Actor = Annotated[
    str | None, typer.Option("--actor", callback=actor_option, help="Who acts (default: HIMAYA_ACTOR or the OS user).")
]
Employer = Annotated[
    str | None, typer.Option("--employer", help="The employer's commercial registration number (cr_number).")
]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the table as CSV (amounts in OMR).")]
SHOWN = 50  # lines a listing prints; --output writes them all
MONEY = (
    "wage",
    "wages",
    "employee",
    "employer",
    "total",
    "due",
    "paid",
    "outstanding",
    "surcharge",
    "amount",
    "credit",
)


def _payment(text: str) -> int:
    """--amount: an amount of rials, more than 0 and at most MAX_PAYMENT (the API has no payment)."""
    try:
        amount = parse_omr(text)
    except MoneyFormatError as error:
        raise typer.BadParameter(str(error)) from None
    if amount > MAX_PAYMENT:
        raise typer.BadParameter(
            f"{text.strip()!r} is more than {format_omr(MAX_PAYMENT, grouped=True)} OMR, the most one payment may be"
        )
    return amount


def _in_omr(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(omr_text(pl.col(c)) for c in MONEY if c in frame.columns)


def _omr_text(baisa: int) -> str:
    return f"{format_omr(baisa, grouped=True)} OMR"


@insurance_app.command("employers")
def insurance_employers(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Employer register to add or update: cr_number, name, sector, wilayat (CSV, Excel, Parquet)."
        ),
    ] = None,
    actor: Actor = None,
    max_errors: MaxErrors = 1000,
) -> None:
    """List the registered employers; with a file, register its new employers and update the others."""
    with reported(max_errors):
        engine = bootstrap.registry_engine()
        if file is not None:
            done = store.register_employers(engine, load_pack(), file, actor=bootstrap.actor(actor))
            out.print(f"{file}: {done.rows:,} employers; {done.created:,} new, {done.updated:,} changed, "
                      f"{done.unchanged:,} unchanged")  # fmt: skip
            return
        listed = store.employers(engine)
        if listed.is_empty():
            out.print("no employer registered yet (himaya insurance employers FILE)")
        for row in listed.head(SHOWN * 20).iter_rows(named=True):
            out.print(f"{row['cr_number']}  {row['sector']:<15}  {shown(row['wilayat']):<12}  {shown(row['name'])}")
        if listed.height > SHOWN * 20:
            out.print(f"… and {listed.height - SHOWN * 20:,} more")


@insurance_app.command("declare")
def insurance_declare(
    file: Annotated[
        Path,
        typer.Argument(help="The declaration: civil_number, wage, days, basic_wage (CSV, Excel, Parquet or JSON)."),
    ],
    month: Annotated[
        Period, typer.Option("--month", parser=period_option, help="The month declared, YYYY-MM.", metavar="YYYY-MM")
    ],
    employer: Annotated[
        str | None,
        typer.Option(
            "--employer", help="The employer declaring (cr_number); without it, the file has a cr_number column."
        ),
    ] = None,
    correct: Annotated[
        bool,
        typer.Option("--correct", help="Replace a month already declared (a new revision; the old lines are kept)."),
    ] = False,
    actor: Actor = None,
    max_errors: MaxErrors = 1000,
) -> None:
    """Declare a month's wages of an employer's insured persons; the contributions due are computed by branch."""
    with reported(max_errors):
        pack = load_pack()
        done = store.declare(
            bootstrap.registry_engine(),
            pack,
            file,
            month,
            actor=bootstrap.actor(actor),
            today=today(pack.timezone),
            employer=employer,
            correct=correct,
        )
        verb = "corrected" if done.corrected else "declared"
        out.print(
            f"{month} {verb}: {done.employers:,} employer(s), {done.insured:,} insured, wages "
            f"{_omr_text(done.wages)}, contributions due {_omr_text(done.due)}"
        )


@insurance_app.command("contributions")
def insurance_contributions(
    month: Annotated[
        Period | None,
        typer.Option("--month", parser=period_option, help="Only this month, YYYY-MM.", metavar="YYYY-MM"),
    ] = None,
    employer: Employer = None,
    output: Output = None,
) -> None:
    """The contributions due by employer, month and branch of insurance: the insured's and the employer's shares."""
    with reported():
        dues = store.contributions(bootstrap.registry_engine(), month, employer)
        if output is not None:
            write_table(_in_omr(dues.with_columns((pl.col("employee") + pl.col("employer")).alias("total"))), output)
        if dues.is_empty():
            out.print("no contributions declared" + (f" for {month}" if month else ""))
            return
        employee, employer_share = (int(dues.select(pl.col(c).sum()).item()) for c in ("employee", "employer"))
        groups = dues.group_by("cr_number", "name", "month", maintain_order=True)
        count = dues.select("cr_number", "month").n_unique()
        out.print(
            f"{count:,} declaration(s): employees {_omr_text(employee)}, employers {_omr_text(employer_share)}, "
            f"total {_omr_text(employee + employer_share)}" + (f"; written to {output}" if output else "")
        )
        if output is not None:
            return
        names = {b.value: b.name_text.en for b in Branch}
        for shown_groups, ((cr, name, when), rows) in enumerate(groups):
            if shown_groups == SHOWN:
                out.print(f"… and {count - SHOWN:,} more (--output FILE for all)")
                break
            total = int(rows.select(pl.col("employee").sum() + pl.col("employer").sum()).item())
            out.print(f"{cr} {shown(name)}, {when:%Y-%m}: {_omr_text(total)}")
            for row in rows.iter_rows(named=True):
                out.print(
                    f"  {names.get(row['branch'], row['branch']):<40} {row['insured']:>7,} insured  "
                    f"employee {format_omr(row['employee'], grouped=True):>12}  "
                    f"employer {format_omr(row['employer'], grouped=True):>12}"
                )


@insurance_app.command("pay")
def insurance_pay(
    employer: Annotated[
        str, typer.Option("--employer", help="The employer's commercial registration number (cr_number).")
    ],
    amount: Annotated[
        int,
        typer.Option(
            "--amount", parser=_payment, help="The amount received, OMR (e.g. 120.500; at most 100,000,000.000)."
        ),
    ],
    reference: Annotated[
        str, typer.Option("--reference", help="The transfer's reference: a payment is recorded once.")
    ],
    received_on: Annotated[
        date | None,
        typer.Option(
            "--on", parser=date_option, help="The day it was received (default: today).", metavar="YYYY-MM-DD"
        ),
    ] = None,
    actor: Actor = None,
) -> None:
    """Record a payment received from an employer: it settles the oldest months first."""
    with reported():
        pack = load_pack()
        day = today(pack.timezone)
        done = store.pay(
            bootstrap.registry_engine(),
            pack,
            employer=employer,
            amount=amount,
            received_on=received_on or day,
            reference=reference,
            actor=bootstrap.actor(actor),
            today=day,
        )
        out.print(f"payment {done.reference} of {_omr_text(done.amount)} from {done.employer} recorded")


@insurance_app.command("arrears")
def insurance_arrears(
    on: Annotated[
        date | None,
        typer.Option(
            "--on", parser=date_option, help="The day of the statement (default: today).", metavar="YYYY-MM-DD"
        ),
    ] = None,
    employer: Employer = None,
    output: Output = None,
) -> None:
    """What each employer owes on a day, month by month, with the late-payment surcharge; and any credit."""
    with reported():
        pack = load_pack()
        day = on or today(pack.timezone)
        table, credit = store.arrears(bootstrap.registry_engine(), pack, day, employer)
        if output is not None:
            write_table(_in_omr(table), output)
        owing = table.filter(pl.col("outstanding") > 0)
        owed, surcharge = _omr_text(int(owing["outstanding"].sum())), _omr_text(int(table["surcharge"].sum()))
        out.print(
            f"arrears on {day}: {owing['cr_number'].n_unique():,} employer(s) owe {owed} and a surcharge of {surcharge}"
        )
        late = table.filter((pl.col("outstanding") > 0) | (pl.col("surcharge") > 0))
        for row in late.head(0 if output else SHOWN).iter_rows(named=True):
            out.print(
                f"  {row['cr_number']}  {row['month']:%Y-%m}  due {row['due_date']}  "
                f"outstanding {format_omr(row['outstanding'], grouped=True):>12}  "
                f"{row['months_late']} month(s) late  surcharge {format_omr(row['surcharge'], grouped=True)}"
            )
        if output is not None:
            out.print(f"  {table.height:,} employer-month(s) written to {output}")
        elif late.height > SHOWN:
            out.print(f"  … and {late.height - SHOWN:,} more (--output FILE for all)")
        for cr, amount in credit.head(SHOWN).iter_rows():
            out.print(f"  {cr}  credit {format_omr(amount, grouped=True)}")


@insurance_app.command("career")
def insurance_career(
    civil_number: Annotated[str, typer.Argument(help="The insured person's civil number.")],
    output: Output = None,
) -> None:
    """An insured person's career: each month declared, by which employer, the wage and the days worked."""
    with reported():
        months = store.career(bootstrap.registry_engine(), civil_number)
        if output is not None:
            write_table(_in_omr(months), output)
        count = months["month"].n_unique()
        out.print(f"{shown(civil_number)}: {count:,} month(s) declared, wages {_omr_text(int(months['wage'].sum()))}")
        for row in months.iter_rows(named=True):
            out.print(
                f"  {row['month']:%Y-%m}  {row['cr_number']}  {format_omr(row['wage'], grouped=True):>12}  "
                f"{row['days']:>2} days  {shown(row['name'])}"
            )
