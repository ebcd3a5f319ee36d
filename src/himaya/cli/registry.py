"""`himaya db` and `himaya registry`: the operational store at the terminal."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from himaya import bootstrap
from himaya.adapters.tables import format_of, read_table, write_table
from himaya.bootstrap import store
from himaya.cli.app import MaxErrors, PackChoice, actor_option, app, date_option, err, out, reported, shown
from himaya.cli.cases import As, _acting
from himaya.core.clock import today
from himaya.core.errors import ForbiddenError, UsageError
from himaya.core.money import format_omr
from himaya.policy.table import to_file_form
from himaya.registry import actions
from himaya.registry.dedup import DedupSettings, dedup, measure
from himaya.registry.model import Search
from himaya.registry.rules import effective_window

db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
registry_app = typer.Typer(help="The registry of people and families.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(registry_app, name="registry")

Day = Annotated[
    date | None,
    typer.Option(
        "--as-of", parser=date_option, help="Effective date (default: today in Muscat).", metavar="YYYY-MM-DD"
    ),
]
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor", callback=actor_option, help="Who acts, for the audit trail (default: HIMAYA_ACTOR or the OS user)."
    ),
]


def _today() -> date:
    return today(bootstrap.registry_pack().timezone)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database, or migrate it to the latest revision (SQLite file or HIMAYA_DATABASE_URL)."""
    with reported():
        engine = bootstrap.registry_engine(migrated=False)
        before = store.current_revision(engine)
        store.upgrade(engine)
        after = store.current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
        change = "already at" if before == after else f"migrated from {before or 'empty'} to"
        out.print(f"{where}: {change} revision {after}")


@db_app.command("status")
def db_status() -> None:
    """Which database is used and whether it is up to date."""
    with reported():
        engine = bootstrap.registry_engine(migrated=False)
        current, head = store.current_revision(engine), store.head_revision(engine)
        state = "up to date" if current == head else "needs `himaya db upgrade`"
        out.print(
            f"{engine.url.render_as_string(hide_password=True)}: revision {current or 'none'} (latest {head}): {state}"
        )


@registry_app.command("import")
def registry_import(
    file: Annotated[
        Path, typer.Argument(help="People table with registry columns, CSV or Parquet (as `himaya synth` writes).")
    ],
    as_of: Day = None,
    actor: Actor = None,
    max_errors: MaxErrors = 1000,
    pack_name: PackChoice = None,
) -> None:
    """Import or update people by civil number; a file with any bad row is refused whole."""
    with reported(max_errors):
        engine = bootstrap.registry_engine()
        pack = bootstrap.registry_pack(pack_name)
        contract = bootstrap.registry_contract(pack)
        table = contract.checked(bootstrap.load_people(file, pack, registry=True), source=str(file))
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        effective = as_of or _today()
        effective_window(effective, today=contract.today(), days_ahead=contract.days_ahead, what="--as-of")
        columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("staging", total=table.height)

            def advance(step: str, rows: int) -> None:
                bar.update(task, description=step, advance=rows)

            summary = store.import_people(
                engine,
                table,
                as_of=effective,
                actor=bootstrap.actor(actor),
                source={"file": file.name, "sha256": digest},
                progress=advance,
                facts=pack.registry_facts,
                pack=pack.name,
            )
        out.print(
            f"imported {file}: {summary.rows:,} rows; {summary.created:,} new people, {summary.updated:,} changed, "
            f"{summary.unchanged:,} unchanged; {summary.families_created:,} new families (effective {effective})"
            + (f"; {summary.skipped_merged:,} rows of merged records left alone" if summary.skipped_merged else "")
        )


@registry_app.command("export")
def registry_export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (.csv or .parquet); CSV to standard output without it."),
    ] = None,
    at: Annotated[
        date | None,
        typer.Option(
            "--at", parser=date_option, help="As the registry stood on this day (default: today).", metavar="YYYY-MM-DD"
        ),
    ] = None,
) -> None:
    """The people table with the registry columns, as of today (or `--at`)."""
    with reported():
        engine = bootstrap.registry_engine()
        pack = bootstrap.registry_pack()
        frame = store.registry_people(engine, at or _today(), registry=True)
        frame = frame.select(c for c in frame.columns if c in pack.registry.names)
        kind = format_of(output) if output is not None else "csv"
        if kind == "json":
            raise UsageError("export the people table as .csv or .parquet")
        write_table(to_file_form(frame, pack.registry, kind), output)
        if output is not None:
            out.print(f"wrote {output}: {frame.height:,} people")


@registry_app.command("show")
def registry_show(civil_number: Annotated[str, typer.Argument(help="Civil number.")]) -> None:
    """A person with family, situation, assessments, incomes, bank accounts and enrollments, with history."""
    with reported():
        record = store.read_person(bootstrap.registry_engine(), civil_number)
        p = record.person
        names_ar = " ".join(
            p[f"{x}_ar"] or "" for x in ("given_name", "father_name", "grandfather_name", "family_name")
        ).strip()
        names_en = " ".join(
            p[f"{x}_en"] or "" for x in ("given_name", "father_name", "grandfather_name", "family_name")
        ).strip()
        out.print(f"[bold]{shown(p['civil_number'])}[/bold]  {shown(names_en)}  /  {shown(names_ar)}", soft_wrap=True)
        merged = f"; merged into record {p['merged_into']}" if p["merged_into"] else ""
        out.print(
            f"sex {p['sex']}, born {p['birth_date']}{', died ' + str(p['death_date']) if p['death_date'] else ''}, "
            f"nationality {p['nationality']}, {shown(p['wilayat'] or '?')} ({shown(p['governorate'] or '?')}), "
            f"mobile {shown(p['mobile'] or '-')}; "
            f"record version {p['version']}{merged}",
            soft_wrap=True,
        )
        for name, rows in record.history.items():
            if rows:
                out.print(_history_table(name, rows))
        if record.enrollments:
            out.print(_history_table("enrollments", record.enrollments))


def _history_table(name: str, rows: list[dict[str, Any]]) -> Table:
    hidden = {"id", "person_id", "family_id", "version"}
    columns = [c for c in rows[0] if c not in hidden]
    table = Table(title=name.replace("_", " "), title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(column, row[column]) for column in columns))
    return table


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-" if column != "valid_to" else "(current)"
    if column == "monthly_amount":
        return format_omr(int(value))
    return shown(value)


@registry_app.command("dedup")
def registry_dedup(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the scored pairs here (.csv or .parquet).")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Report pairs whose match probability is at least this (band review).")
    ] = DedupSettings().threshold,
    merge_threshold: Annotated[
        float, typer.Option("--merge-threshold", help="Pairs at least this likely are in the band merge.")
    ] = DedupSettings().merge_threshold,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth", help="Ground truth (original_person_id, duplicate_person_id) to measure the band merge."
        ),
    ] = None,
) -> None:
    """Find people registered twice: pairs in the band merge, and pairs to review as a case."""
    with reported():
        if not 0 < threshold <= 1:
            raise UsageError(f"--threshold must be above 0 and at most 1, not {threshold}")
        if not threshold <= merge_threshold <= 1:
            raise UsageError(
                f"--merge-threshold must be between --threshold ({threshold}) and 1, not {merge_threshold}"
            )
        people = store.dedup_candidates(bootstrap.registry_engine())
        if people.is_empty():
            out.print("the registry is empty")
            return
        result = dedup(people, DedupSettings(threshold=threshold, merge_threshold=merge_threshold))
        pairs = result.pairs
        report = pairs.select(
            pl.col("civil_number_a").alias("person_a"),
            pl.col("civil_number_b").alias("person_b"),
            "score",
            "reasons",
            "band",
            "match_weight",
        )
        if output is not None:
            write_table(report, output)
        bands = {band: int((pairs["band"] == band).sum()) for band in ("merge", "review")}
        out.print(
            f"{pairs.height:,} likely duplicate pairs among {people.height:,} people (score >= {threshold}): "
            f"{bands['merge']:,} to merge (score >= {merge_threshold}), {bands['review']:,} to review; "
            f"{result.blocking.comparisons:,} pairs compared"
        )
        shown = Table()
        for column in report.columns:
            shown.add_column(column)
        for row in report.head(20).iter_rows():
            shown.add_row(*(str(v) for v in row))
        if pairs.height:
            out.print(shown)
        if truth is not None:
            quality = measure(pairs, read_table(truth))
            out.print(
                f"against {truth}: precision {quality.precision:.4f}, recall {quality.recall:.4f} "
                f"({quality.correct:,} of {quality.true_pairs:,} true pairs found; {quality.found:,} reported to merge)"
            )


@registry_app.command("search")
def registry_search(
    query: Annotated[
        str, typer.Argument(help="Names in any order (Arabic or Latin), a civil number or a mobile number.")
    ],
    acting: As = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many people.")] = 50,
) -> None:
    """Find people of your branches by name, civil number or mobile, as GET /people?q= does (audited)."""
    with reported():
        uow, principal = _acting(acting)
        if not principal.identifies:
            raise ForbiddenError("searching people by name or number needs person.identify")
        rows = actions.search(
            uow,
            Search.parse(query),
            limit=limit,
            offset=0,
            principal=principal,
            dialling_code=bootstrap.registry_pack().dialling_code,
        )
        table = Table("civil number", "name (ar)", "name (en)", "born", "family", "wilayat")
        for r in rows:
            table.add_row(
                r["civil_number"],
                " ".join(r[k] or "" for k in ("given_name_ar", "family_name_ar")).strip(),
                " ".join(r[k] or "" for k in ("given_name_en", "family_name_en")).strip(),
                str(r["birth_date"]),
                r["family_number"] or "",
                r["wilayat"] or "",
            )
        out.print(table)
        out.print(f"{len(rows)} found" + (f" (the first {limit}: add words or --limit)" if len(rows) == limit else ""))


@registry_app.command("reindex")
def registry_reindex() -> None:
    """Rebuild the name index and its pairs from every person's names (after a change of the name normalisation)."""
    with reported():
        written = store.rebuild_name_index(bootstrap.registry_engine())
        out.print(f"name index rebuilt: {written:,} tokens")


@registry_app.command("merge")
def registry_merge(
    keep: Annotated[str, typer.Argument(help="Civil number of the record to keep.")],
    drop: Annotated[str, typer.Argument(help="Civil number of the duplicate record, merged into KEEP.")],
    as_of: Day = None,
    actor: Actor = None,
) -> None:
    """Merge a duplicate record into the one kept; audited; the merged record is kept, marked."""
    with reported():
        moved = actions.merge(
            bootstrap.unit_of_work(), keep, drop, actor=bootstrap.actor(actor), as_of=as_of or _today()
        )
        detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in moved.items() if n) or "nothing to move"
        out.print(f"merged {drop} into {keep}: {detail}")
