"""`himaya public`: the open statistics, as the public page and `GET /public/statistics` give them."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.cli.app import app, out, reported

public_app = typer.Typer(help="The open statistics: aggregates under disclosure control.", no_args_is_help=True)
app.add_typer(public_app, name="public")


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


@public_app.command("statistics")
def statistics(
    format_: Annotated[Format, typer.Option("--format", help="csv (open data) or json.")] = Format.CSV,
    first: Annotated[
        str | None, typer.Option("--from", help="First month, YYYY-MM (default: eleven months before --to).")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM (default: this month).")] = None,
    programmes: Annotated[
        list[str] | None, typer.Option("--programme", help="Only this programme (repeat for more; all: the totals).")
    ] = None,
    governorates: Annotated[
        list[str] | None,
        typer.Option("--governorate", help="Only this governorate (repeat for more; all: the totals)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="File to write; standard output without it.", dir_okay=False)
    ] = None,
) -> None:
    """Beneficiaries and spending by programme, governorate and month: counts under 10 persons
    suppressed, with the cells that would give them back; amounts rounded to 1,000 of the registry's
    currency (OMR, IQD)."""
    with reported():
        found = bootstrap.public_statistics(
            first=first, last=last, programmes=programmes or (), governorates=governorates or ()
        )
        text = found.csv() if format_ is Format.CSV else json.dumps(found.json(), ensure_ascii=False, indent=1) + "\n"
        if output is None:
            typer.echo(text, nl=False)  # as is: no markup, emoji codes or wrapping
            return
        output.write_text(text, encoding="utf-8")
        hidden = found.table["suppressed"].sum()
        out.print(
            f"{found.table.height} rows ({hidden} suppressed), {found.first} to {found.last}: {output}", markup=False
        )
