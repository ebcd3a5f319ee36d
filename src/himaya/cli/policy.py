"""`himaya entitlements`, `himaya explain`, `himaya parameters`: the rules engine at the terminal."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from himaya import bootstrap
from himaya.adapters.datasets import names_a_folder
from himaya.adapters.tables import FORMATS, TableFormat, write_table
from himaya.bootstrap import insurance as insurance_store
from himaya.bootstrap import scale
from himaya.cli.app import (
    MaxErrors,
    PackChoice,
    PeriodArg,
    SchedulerArg,
    WorkersArg,
    app,
    chosen_pack,
    date_option,
    err,
    out,
    reported,
)
from himaya.core.clock import today
from himaya.core.errors import UsageError
from himaya.core.money import format_omr
from himaya.core.text import LANGUAGES, Language, Text, right_to_left
from himaya.policy.engine import entitlements as compute_entitlements
from himaya.policy.explain import explain as explain_family
from himaya.policy.explain import render
from himaya.policy.parameters import Parameter, Status
from himaya.policy.statement import members_of, render_statement, statement

People = Annotated[
    Path | None,
    typer.Argument(
        help="People table: CSV or Parquet (see docs/people-table.md); or use --registry.", show_default=False
    ),
]
DatasetPeople = Annotated[
    Path | None,
    typer.Argument(
        help="People table: CSV or Parquet (see docs/people-table.md), or a folder of Parquet files, a dataset "
        "(docs/scale.md); or use --registry.",
        show_default=False,
    ),
]
FromRegistry = Annotated[
    bool, typer.Option("--registry", help="Use the registry as it stood at the end of the period.")
]
ReformArg = Annotated[Path | None, typer.Option("--reform", help="Reform YAML laid over the parameters.")]
LanguageArg = Annotated[str, typer.Option("--lang", envvar="HIMAYA_LANG", help="Language: en or ar.")]


def _language(text: str) -> Language:
    if text not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {text!r}")
    return text


@app.command()
def entitlements(
    period: PeriodArg,
    people: DatasetPeople = None,
    registry: FromRegistry = False,
    reform: ReformArg = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File or (from a folder) folder to write; CSV to standard output without it."
        ),
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, parquet or json (default: from the extension).")
    ] = None,
    pack: PackChoice = None,
    max_errors: MaxErrors = 1000,
    scheduler: SchedulerArg = None,
    workers: WorkersArg = None,
) -> None:
    """Compute the month's entitlements: one row per person and programme with a positive amount."""
    with reported(max_errors):
        if format is not None and format not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
        kind: TableFormat | None = format
        policy_pack = chosen_pack(pack)
        tree = bootstrap.load_tree(policy_pack, reform)
        where = scale.Where.chosen(scheduler, workers)
        clustered = where.scheduler is not None or where.workers is not None
        if people is not None and not registry and not people.is_file() and (names_a_folder(people) or clustered):
            written = scale.dataset_entitlements(
                people, output, kind=kind, pack=policy_pack, tree=tree, period=period, where=where
            )
            if output is not None:
                err.print(f"wrote {output}: {written.rows:,} rows from {written.files:,} files, on {written.on}")
            return
        if clustered:
            raise UsageError(
                "--scheduler and --workers run a dataset (a folder of Parquet files, docs/scale.md), "
                "not one table: make one with `himaya partition`"
            )
        table = bootstrap.people_for(policy_pack, people, registry=registry, period=period)
        write_table(compute_entitlements(table, policy_pack, tree, period), output, kind=kind)


@app.command()
def explain(
    period: PeriodArg,
    people: People = None,
    registry: FromRegistry = False,
    person: Annotated[str | None, typer.Option("--person", help="Explain this person (person_id).")] = None,
    family: Annotated[
        str | None, typer.Option("--family", help="Explain every member of this family (family_id).")
    ] = None,
    lang: LanguageArg = "en",
    reform: ReformArg = None,
    pack: PackChoice = None,
    max_errors: MaxErrors = 1000,
    citizen: Annotated[
        bool,
        typer.Option(
            "--citizen", help="As a citizen reads it: what is paid, each income counted, the arithmetic, the law."
        ),
    ] = False,
) -> None:
    """Explain why one person or family gets what they get: conditions, figures, parameters, amounts."""
    with reported(max_errors):
        language = _language(lang)
        if (person is None) == (family is None):
            raise UsageError("give exactly one of --person ID and --family ID")
        policy_pack = chosen_pack(pack)
        tree = bootstrap.load_tree(policy_pack, reform)
        table = bootstrap.people_for(policy_pack, people, registry=registry, period=period)
        result = explain_family(table, policy_pack, tree, period, person_id=person, family_id=family)
        if citizen:
            written = statement(result, members_of(table, policy_pack.person_column))
            out.print(render_statement(written, language), markup=False)
        else:
            out.print(render(result, language), markup=False)
        if registry:
            _awarded(table, person, family, period.end, language)


AWARDED = {
    "pension": Text("pension", "المعاش"),
    "survivor_pension": Text("survivor pension", "معاش المستحقين"),
}


def _awarded(table: pl.DataFrame, person: str | None, family: str | None, day: date, language: Language) -> None:
    """Where each pension counted came from when Himaya pays it: the insurance award, by number."""
    wanted = family or table.filter(pl.col("person_id") == person)["family_id"].first()
    members = table.filter(pl.col("family_id") == wanted)["person_id"].to_list()
    if not members:
        return
    for r in insurance_store.awarded_incomes(bootstrap.registry_engine(), members, day).iter_rows(named=True):
        amount = format_omr(r["amount"], grouped=True)
        line = (
            f"{r['civil_number']}: {AWARDED[r['kind']].ar} المحتسب ({amount} ر.ع.) تصرفه حماية بقرار المنفعة "
            f"التأمينية رقم {r['award_id']}"
            if language == "ar"
            else f"{r['civil_number']}: the {AWARDED[r['kind']].en} counted ({amount} OMR) is paid by Himaya, "
            f"insurance award {r['award_id']} (himaya insurance awards {r['civil_number']})"
        )
        out.print(right_to_left(line) if language == "ar" else line, markup=False)
    _caused(members, language)


def _caused(members: list[str], language: Language) -> None:
    """Which life event started or ended each member's enrollment: its kind, source, id and date."""
    for r in insurance_store.enrollment_causes(bootstrap.registry_engine(), members):
        month = r["month"].strftime("%Y-%m") if r["month"] else "-"
        if language == "ar":
            what = "بدأ" if r["started"] else "انتهى"
            line = (
                f"{r['civil_number']}: تسجيل {r['programme']} {what} ({month}) بعد واقعة {r['kind']}"
                f" (الواقعة {r['event']}) من {r['source']} {r['source_event_id']} بتاريخ {r['event_date']}"
            )
            out.print(right_to_left(line), markup=False)
            continue
        what = "started" if r["started"] else "ended"
        out.print(f"{r['civil_number']}: the {r['programme']} enrollment {what} ({month}) by life event {r['kind']}"
                  f" (event {r['event']}) from {r['source']} {r['source_event_id']}, dated {r['event_date']}",
                  markup=False)  # fmt: skip


@app.command()
def parameters(
    at: Annotated[
        date | None,
        typer.Option(
            "--at", parser=date_option, help="Show values in force on this date (default: today).", metavar="YYYY-MM-DD"
        ),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only CONFIRMED, LIKELY, ASSUMED or (with --reform) REFORM values.")
    ] = None,
    lang: LanguageArg = "en",
    reform: ReformArg = None,
    pack: PackChoice = None,
) -> None:
    """List the parameter tree: value in force, unit, status, legal reference and description."""
    with reported():
        language = _language(lang)
        wanted = _status(status)
        policy_pack = chosen_pack(pack)
        day = at or today(policy_pack.timezone)
        tree = bootstrap.load_tree(policy_pack, reform)
        names = policy_pack.parameter_code_names
        heading = f"{policy_pack.title.in_(language)} — {day.isoformat()}"
        out.print(right_to_left(heading) if language == "ar" else heading, style="bold", markup=False)
        for parameter in tree:
            if wanted is not None and parameter.status_at(max(day, parameter.values[0].start)) is not wanted:
                continue
            out.print("\n" + _parameter_text(parameter, day, language, names), markup=False, soft_wrap=True)


def _parameter_text(parameter: Parameter, day: date, language: Language, names: dict[str, Text]) -> str:
    """One parameter as `himaya parameters` lists it; in Arabic wholly Arabic but for its path,
    with numbers, dates and the path bidi-isolated (docs/cli.md)."""
    arabic = language == "ar"
    if day < parameter.values[0].start:
        value, since = ("(لم يسرِ بعد)" if arabic else "(not yet in force)"), parameter.values[0].start
        status = parameter.status_at(since)
    else:
        dated = parameter.value_at(day)
        value, since = parameter.shown(dated.value, language, names), dated.start
        status = parameter.status_at(day)
    reference = parameter.reference_in(max(day, parameter.values[0].start), language)
    note = parameter.note_in(language)
    if not arabic:
        lines = [f"{parameter.path} = {value}  (from {since.isoformat()}, {status.value})"]
        lines += [f"    {parameter.description.en}", f"    {reference}"]
        return "\n".join(lines + ([f"    note: {note}"] if note else []))
    lines = [f"{parameter.path} = {value}  (من {since.isoformat()}، {status.name_text.ar})"]
    lines += [f"    {parameter.description.ar}", f"    المرجع: {reference}"]
    return right_to_left("\n".join(lines + ([f"    ملاحظة: {note}"] if note else [])))


def _status(text: str | None) -> Status | None:
    if text is None:
        return None
    try:
        return Status(text.upper())
    except ValueError:
        raise UsageError(f"--status must be one of {', '.join(s.value for s in Status)}, not {text!r}") from None
