"""`himaya cases exceptions` and `himaya cases exception-end`: a supervisor's overrides that hold in
the enrollment sync and the payroll (docs/cases.md#the-override-and-the-next-sync)."""

from __future__ import annotations

from typing import Annotated

import typer

from himaya.cases import exceptions
from himaya.cli.app import INT_MAX, chosen_pack, out, period_option, reported, shown
from himaya.cli.cases import As, _acting, cases_app
from himaya.core.clock import today
from himaya.core.periods import Period


@cases_app.command("exceptions")
def cases_exceptions(
    period: Annotated[
        Period | None,
        typer.Option("--period", parser=period_option, help="The month (default: this month).", metavar="YYYY-MM"),
    ] = None,
    acting: As = None,
) -> None:
    """The exceptions in force in a month (overrides that hold), of the people of your branches."""
    with reported():
        uow, principal = _acting(acting)
        pack = chosen_pack(None)
        month = period or Period.containing(today(pack.timezone))
        rows = exceptions.in_force(uow, principal, month)
        for r in rows:
            out.print(
                f"exception {r['id']}  {r['civil_number']}  {r['programme']:<12} {r['from_month']:%Y-%m} to"
                f" {r['until_month']:%Y-%m}  {pack.currency.format(r['amount'])} a month  case {r['case_number']}"
                f"  by {shown(r['granted_by'])}; version {r['version']}"
            )
        out.print(f"{len(rows)} exception(s) in force in {month}")


@cases_app.command("exception-end")
def cases_exception_end(
    exception: Annotated[int, typer.Argument(min=1, max=INT_MAX, help="The exception's number (`cases exceptions`).")],
    last: Annotated[str, typer.Option("--last", help="The last month it pays (YYYY-MM).", metavar="YYYY-MM")],
    version: Annotated[
        int,
        typer.Option("--version", min=1, max=INT_MAX, help="The exception's version you read (`cases exceptions`)."),
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it ends before its review month.")] = None,
    acting: As = None,
) -> None:
    """End an exception before its review month (a supervisor's decision, audited)."""
    with reported():
        uow, principal = _acting(acting)
        pack = chosen_pack(None)
        ended = exceptions.end(
            uow, exception, last=last, reason=reason,
            expected_version=version, principal=principal, today=today(pack.timezone),
        )  # fmt: skip
        out.print(f"exception {exception}: in force until {ended['until']}; version {ended['version']}")
