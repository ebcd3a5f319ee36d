"""`himaya letter`: printable letters as PDF, in Arabic or English: a family's statement of
entitlements, and a case's decision, referral or receipt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from himaya import bootstrap
from himaya.adapters.letters import render_pdf
from himaya.cases import actions as case_actions
from himaya.cli.app import PeriodArg, app, out, reported
from himaya.cli.cases import As, _acting
from himaya.core.errors import UsageError
from himaya.core.periods import Period
from himaya.core.text import LANGUAGES, Language

letter_app = typer.Typer(help="Printable letters (PDF) in Arabic or English.", no_args_is_help=True)
app.add_typer(letter_app, name="letter")

Lang = Annotated[str, typer.Option("--lang", envvar="HIMAYA_LANG", help="Language of the letter: ar or en.")]
Out = Annotated[Path, typer.Option("--out", help="The PDF file to write.", dir_okay=False)]


def _language(lang: str) -> Language:
    if lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return "ar" if lang == "ar" else "en"


@letter_app.command("entitlements")
def letter_entitlements(
    family: Annotated[str, typer.Option("--family", help="The family number.")],
    out_file: Out,
    period: PeriodArg,
    lang: Lang = "ar",
    acting: As = None,
) -> None:
    """A family's statement of entitlements for a month: each benefit, each income counted, the arithmetic, the law."""
    with reported():
        month: Period = period
        uow, principal = _acting(acting)
        pack = bootstrap.registry_pack()
        letter = bootstrap.family_letter(uow, pack, family, month, principal=principal, language=_language(lang))
        out_file.write_bytes(render_pdf(letter))
        out.print(f"wrote {out_file}: the statement of family {family} for {month} ({lang})")


@letter_app.command("case")
def letter_case(
    number: Annotated[str, typer.Argument(help="The case number, e.g. C-2026-000001.")],
    out_file: Out,
    lang: Annotated[str | None, typer.Option("--lang", help="Language: ar or en (default: the case's).")] = None,
    what: Annotated[
        str | None, typer.Option("--what", help="decision, referral or receipt (default: what the case is at).")
    ] = None,
    acting: As = None,
) -> None:
    """A case's letter to its person: the decision with its reasons and appeal right, the referral, or the receipt."""
    with reported():
        kinds: tuple[Literal["decision", "referral", "receipt"], ...] = ("decision", "referral", "receipt")
        if what is not None and what not in kinds:
            raise UsageError(f"--what must be one of {', '.join(kinds)}, not {what!r}")
        uow, principal = _acting(acting)
        pack = bootstrap.registry_pack()
        letter = case_actions.letter(
            uow,
            pack.cases,
            number,
            principal=principal,
            sender=pack.institution,
            language=_language(lang) if lang else None,
            what=what,
            services=pack.services,
        )
        out_file.write_bytes(render_pdf(letter))
        out.print(f"wrote {out_file}: the letter of case {number} ({letter.language})")
