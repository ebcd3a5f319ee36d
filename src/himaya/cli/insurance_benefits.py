"""`himaya insurance pension|pensions|job-security|maternity`: an insured person's benefits explained
(everyone's pensions as a table); a job security claimant's referral to the Ministry of Labour."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from himaya import bootstrap
from himaya.adapters.tables import write_table
from himaya.bootstrap import insurance as store
from himaya.cases import claims
from himaya.cli.app import date_option, out, reported
from himaya.cli.cases import As, _acting
from himaya.cli.insurance import Output, insurance_app
from himaya.core.clock import today
from himaya.core.errors import UsageError
from himaya.core.money import format_omr
from himaya.core.text import LANGUAGES, Language, Text, right_to_left
from himaya.policy.engine import omr_text
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack

Day = Annotated[
    date | None,
    typer.Option("--as-of", parser=date_option, help="The day of the pension (default: today).", metavar="YYYY-MM-DD"),
]
Reform = Annotated[
    Path | None, typer.Option("--reform", help="Reform YAML laid over the parameters (what if the minimum were...).")
]
GROUP_NAMES = {"widows": Text("widow", "أرملة"), "children": Text("child", "ابن"), "parents": Text("parent", "والد")}
SHOWN = 50
STEPS = ("average", "accrued", "capped", "reduced", "pension")


def _language(text: str) -> Language:
    if text not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {text!r}")
    return "ar" if text == "ar" else "en"


def _print(lines: list[str], language: Language) -> None:
    for line in lines:
        out.print(right_to_left(line) if language == "ar" else line, markup=False, highlight=False)


@insurance_app.command("pension")
def insurance_pension(
    civil_number: Annotated[str, typer.Argument(help="The insured person's civil number.")],
    as_of: Day = None,
    disabled_on: Annotated[
        date | None,
        typer.Option(
            "--disabled-on",
            parser=date_option,
            help="The disability pension for a disability on this day.",
            metavar="YYYY-MM-DD",
        ),
    ] = None,
    death: Annotated[
        bool,
        typer.Option("--death", help="The death pension, on the registry's date of death, and its survivors' shares."),
    ] = False,
    widows: Annotated[int, typer.Option("--widows", min=0, help="Widows of the deceased (with --death).")] = 0,
    children: Annotated[int, typer.Option("--children", min=0, help="Children entitled (with --death).")] = 0,
    parents: Annotated[int, typer.Option("--parents", min=0, max=2, help="Parents entitled (with --death).")] = 0,
    lang: Annotated[str, typer.Option("--lang", envvar="HIMAYA_LANG", help="Language: en or ar.")] = "en",
    reform: Reform = None,
) -> None:
    """An insured person's old-age pension on a day (or disability or death pension), step by step, with the law."""
    with reported():
        pack, language = load_pack(), _language(lang)
        tree, engine = bootstrap.load_tree(pack, reform), bootstrap.registry_engine()
        if death and (as_of or disabled_on):
            raise UsageError("--death is computed on the registry's date of death: drop --as-of and --disabled-on")
        if death:
            counts = {"widows": widows, "children": children, "parents": parents}
            explained, split = store.death_pension(engine, pack, civil_number, counts, tree=tree)
            _print(explained.lines(language, pack.currency), language)
            title = "حصص المستحقين" if language == "ar" else "Survivors' shares"
            rows = [f"  {title}:"] + [
                f"    {GROUP_NAMES[r['group']].in_(language)} {r['member']}: {r['share']} = "
                f"{pack.currency.shown(r['amount'], language)}"
                for r in split.iter_rows(named=True)
            ]
            _print(rows, language)
            return
        if disabled_on and as_of:
            raise UsageError("--disabled-on is the day of the disability pension: drop --as-of")
        kind = store.Kind.DISABILITY if disabled_on else store.Kind.OLD_AGE
        day = disabled_on or as_of or today(pack.timezone)
        _print(
            store.pension(engine, pack, civil_number, day, kind=kind, tree=tree).lines(language, pack.currency),
            language,
        )


@insurance_app.command("pensions")
def insurance_pensions(as_of: Day = None, output: Output = None, reform: Reform = None) -> None:
    """Every insured person's old-age pension on a day, with each step, as a table (amounts in OMR)."""
    with reported():
        pack = load_pack()
        day = as_of or today(pack.timezone)
        tree = bootstrap.load_tree(pack, reform)
        table = store.all_pensions(bootstrap.registry_engine(), pack, day, tree=tree)
        if output is not None:
            write_table(table.with_columns(omr_text(pl.col(c)) for c in STEPS), output)
        entitled = table.filter(pl.col("status") == "entitled")
        total = int(entitled["pension"].sum())
        out.print(
            f"pensions on {day}: {table.height:,} insured person(s), {entitled.height:,} entitled, "
            f"{format_omr(total, grouped=True)} OMR a month" + (f"; written to {output}" if output else "")
        )
        if output is None:
            if table.height > SHOWN:
                out.print(f"  the first {SHOWN} of {table.height:,} (--output FILE for all):")
            for row in table.head(SHOWN).iter_rows(named=True):
                out.print(
                    f"  {row['civil_number']}  {row['months']:>4} months  "
                    f"average {format_omr(row['average'], grouped=True):>10}"
                    f"  pension {format_omr(row['pension'], grouped=True):>10}  {row['status']}"
                )


@insurance_app.command("job-security")
def insurance_job_security(
    civil_number: Annotated[str, typer.Argument(help="The insured person's civil number.")],
    lost_on: Annotated[
        date, typer.Option("--lost-on", parser=date_option, help="The day the job was lost.", metavar="YYYY-MM-DD")
    ],
    claim: Annotated[
        int, typer.Option("--claim", min=1, help="Which claim this is: 1 for a first, 2 for a second, ...")
    ] = 1,
    lang: Annotated[str, typer.Option("--lang", envvar="HIMAYA_LANG", help="Language: en or ar.")] = "en",
    reform: Reform = None,
    refer: Annotated[
        bool,
        typer.Option(
            "--refer",
            help="If entitled, propose the claimant's referral to the Ministry of Labour (a case to confirm).",
        ),
    ] = False,
    acting: As = None,
) -> None:
    """The job security benefit of a person who lost a job: the qualifying months, the average wage, the amount."""
    with reported():
        pack, language = load_pack(), _language(lang)
        if refer and reform is not None:
            raise UsageError("--refer with --reform: a referral follows the law in force, not a reform")
        tree = bootstrap.load_tree(pack, reform)
        explained = store.job_security(bootstrap.registry_engine(), pack, civil_number, lost_on, claim=claim, tree=tree)
        _print(explained.lines(language, pack.currency), language)
        if refer:
            _refer(pack, civil_number, explained.pension, lost_on, acting, language)


def _refer(
    pack: PolicyPack, civil_number: str, amount: int, lost_on: date, acting: str | None, language: Language
) -> None:
    if amount <= 0:
        out.print("not entitled: no referral proposed")
        return
    uow, principal = _acting(acting)
    done = claims.propose_on_claim(
        uow, pack, "job_security", civil_number, amount, lost_on, principal=principal, language=language
    )
    if done.proposed:
        out.print(f"referral proposed: {done.first} (job placement, to confirm with the person's consent)")
    elif done.held:
        out.print("no referral proposed: one is held already (this month, open, or recently)")
    else:
        out.print(
            "no referral proposed: the person is outside your branches, without a known wilayat, or not of working age"
        )


@insurance_app.command("maternity")
def insurance_maternity(
    civil_number: Annotated[str, typer.Argument(help="The insured mother's civil number.")],
    birth_on: Annotated[
        date, typer.Option("--birth-on", parser=date_option, help="The day of the birth.", metavar="YYYY-MM-DD")
    ],
    lang: Annotated[str, typer.Option("--lang", envvar="HIMAYA_LANG", help="Language: en or ar.")] = "en",
    reform: Reform = None,
) -> None:
    """An insured woman's maternity allowance for a birth: the qualifying months, the average wage, the amount."""
    with reported():
        pack, language = load_pack(), _language(lang)
        tree = bootstrap.load_tree(pack, reform)
        explained = store.maternity(bootstrap.registry_engine(), pack, civil_number, birth_on, tree=tree)
        _print(explained.lines(language, pack.currency), language)
