"""`himaya demo`: the main job, end to end, on a synthetic population in the default database."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.engine import make_url

from himaya import bootstrap
from himaya.bootstrap import access, audit, store
from himaya.bootstrap.store import URL_VARIABLE
from himaya.cli.app import PeriodArg, app, out, reported
from himaya.core.access import Role, Scope
from himaya.core.clock import today
from himaya.core.errors import UsageError
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.explain import explain, render
from himaya.policy.pack import PolicyPack, Programme
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.registry.dedup import find_duplicates, measure
from himaya.synth.generate import SynthRequest, for_file, generate

EXAMPLE = Path(__file__).resolve().parents[1] / "policy" / "packs" / "oman" / "examples" / "people.csv"
DEMO_SEED = 2025


@app.command()
def demo(
    period: PeriodArg = Period(2026, 1),
    persons: Annotated[
        int, typer.Option("--persons", min=1, max=100_000_000, help="Size of the synthetic population.")
    ] = 20_000,
    people: Annotated[
        Path | None, typer.Option("--people", help="Use this people table instead of the registry demo.")
    ] = None,
    bank_files: Annotated[Path, typer.Option("--bank-files", help="Folder for the payroll's bank files.")] = Path(
        "himaya-demo-bank-files"
    ),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="At the end, serve the API with a demo user per role.")
    ] = True,
    port: Annotated[int, typer.Option("--port", min=0, max=65_535, help="Port of the demo API.")] = 8000,
) -> None:
    """The main job end to end: a synthetic Oman into the registry, duplicates found and merged,
    the month's entitlements, one family explained, the month's payroll to bank files; then the
    API, with a demo user per role, until Ctrl-C."""
    with reported():
        pack = load_pack()
        step = _Steps()
        if people is not None:
            out.print(f"{step()} The people table {people}")
            table = bootstrap.load_people(people, pack)
            source = str(people)
        else:
            table = _registry_demo(pack, persons, period, step)
            source = "--registry"
        result = entitlements(table, pack, pack.parameters, period)
        out.print(f"{step()} Entitlements for {period} (himaya entitlements {source} --period {period})")
        out.print(_totals(result, pack.programmes))
        supported = result.filter(pl.col("programme") == "family_income_support")
        family = str(supported["family_id"][0] if supported.height else table["family_id"][0])
        out.print(
            f"{step()} Why family {family} gets what it gets "
            f"(himaya explain {source} --period {period} --family {family}):\n"
        )
        out.print(render(explain(table, pack, pack.parameters, period, family_id=family), "en"), markup=False)
        if people is None:
            _payroll_demo(pack, period, bank_files, step)
            if serve:
                _serve_demo(table, family, period, port, step)


class _Steps:
    """Numbers the steps as they are shown: the steps a run skips leave no gap."""

    def __init__(self) -> None:
        self.shown = 0

    def __call__(self) -> str:
        self.shown += 1
        return f"[bold]{self.shown}.[/bold]"


def _payroll_demo(pack: PolicyPack, period: Period, folder: Path, step: _Steps) -> None:
    """Enroll, calculate, submit, approve (another user), export: the month's payroll to bank files."""
    engine = bootstrap.registry_engine(bootstrap.database_url("himaya-demo"))
    payroll = bootstrap.payroll_store
    enrolled = payroll.sync_enrollments(engine, pack, period, actor="demo:officer", today=today(pack.timezone))
    summary = payroll.calculate(engine, pack, period, actor="demo:maker")
    payroll.transition(engine, period, "submit", actor="demo:maker")
    payroll.transition(engine, period, "approve", actor="demo:checker")
    files = payroll.export(
        engine,
        period,
        folder,
        actor="demo:finance",
        payer=bootstrap.DEMO_PAYER,
        execution=today(pack.timezone),
        writer=bootstrap.payment_file_writer,
    )
    amount = format_omr(summary.amount, grouped=True)
    lines = f"{summary.lines:,} payment lines, {amount} OMR, {summary.exceptions:,} held as exceptions; "
    out.print(
        f"{step()} Payroll {period}: {enrolled.enrolled:,} enrolled (himaya enrollment sync); {lines}"
        f"submitted by demo:maker, approved by demo:checker; {len(files)} ISO 20022 pain.001.001.09 files in {folder} "
        "(himaya payroll run / submit / approve / export)"
    )


DEMO_ROLES = (
    ("demo.registrar", Role.REGISTRAR, "wilayat"),
    ("demo.case_worker", Role.CASE_WORKER, "wilayat"),
    ("demo.supervisor", Role.SUPERVISOR, "governorate"),
    ("demo.finance", Role.FINANCE_OFFICER, "all"),
    ("demo.approver", Role.PAYROLL_APPROVER, "all"),
    ("demo.analyst", Role.POLICY_ANALYST, "all"),
    ("demo.auditor", Role.AUDITOR, "all"),
    ("demo.admin", Role.ADMIN, "all"),
    ("demo.partner", Role.PARTNER, "all"),
)


def _serve_demo(table: pl.DataFrame, family: str, period: Period, port: int, step: _Steps) -> None:
    """A demo user per role (the branch users at the explained family's branch), a fresh password
    for all of them, and the API on this machine only."""
    url = bootstrap.database_url("himaya-demo")
    engine = bootstrap.registry_engine(url)
    head = table.filter((pl.col("family_id") == family) & (pl.col("relationship") == "head")).row(0, named=True)
    wilayat, governorate = store.place_of(engine, head["person_id"])
    password = secrets.token_urlsafe(12)
    hashed = bootstrap.hash_password(password)
    for name, role, reach in DEMO_ROLES:
        scope = Scope("all") if reach == "all" else Scope(reach, wilayat if reach == "wilayat" else governorate)
        if access.user(engine, name) is None:
            kind = "client" if role is Role.PARTNER else "person"
            access.create_user(engine, name, hashed, kind=kind, actor="demo")
        else:
            access.set_password(engine, name, hashed, actor="demo")
        access.grant(engine, name, roles=[role.value], scopes=[scope], actor="demo", replace=True)
    base = f"http://127.0.0.1:{port}"
    out.print(
        f"{step()} The API on {base} (documentation: {base}/docs) and the web front office on {base}/, "
        "until Ctrl-C. Demo users, password "
        f"[bold]{password}[/bold] for all: " + ", ".join(f"{n} ({r.value})" for n, r, _ in DEMO_ROLES)
    )
    out.print(
        f"    curl -s -d 'grant_type=password&username=demo.registrar&password={password}' {base}/auth/token\n"
        f"    curl -s -H 'Authorization: Bearer TOKEN' '{base}/families/{family}/entitlements?period={period}&lang=ar'",
        markup=False,
    )
    os.environ[URL_VARIABLE] = url  # the service opens the demo's database
    import uvicorn  # noqa: PLC0415  (only a served demo needs it)

    uvicorn.run("himaya.service:create_app", factory=True, host="127.0.0.1", port=port, log_level="warning")


def _fresh_store() -> Engine:
    """The demo's registry, empty: each run starts anew, whatever the size or month of the last one.

    Its own SQLite file (unless HIMAYA_DATABASE_URL names a database), so that the demo's synthetic
    people never mix with a registry of the user's; that file is simply made anew. A database that
    HIMAYA_DATABASE_URL names is emptied only if all it holds is a demo's work (every audit entry's
    actor is a demo's), never a registry someone works in.
    """
    url = bootstrap.database_url("himaya-demo")
    if bootstrap.settings().database_url is None:
        demo_file = Path(make_url(url).database or "")
        for path in (demo_file, *(demo_file.with_name(demo_file.name + end) for end in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
    engine = bootstrap.registry_engine(url, migrated=False)
    tables = MetaData()
    tables.reflect(engine)
    if "audit_entry" in tables.tables:
        entry = tables.tables["audit_entry"]
        with engine.connect() as connection:
            others = connection.execute(
                select(func.count()).select_from(entry).where(~entry.c.actor.startswith("demo"))
            ).scalar_one()
        if others:
            where = engine.url.render_as_string(hide_password=True)
            raise UsageError(
                f"{URL_VARIABLE} names {where}, which holds work other than a demo's ({others:,} audit entries): "
                "the demo starts from an empty registry; name an empty database, or unset the variable"
            )
    tables.drop_all(engine)
    store.upgrade(engine)
    return engine


def _registry_demo(pack: PolicyPack, persons: int, period: Period, step: _Steps) -> pl.DataFrame:
    """Synthesise, import into the demo's fresh registry, look for duplicates; return the registry's people."""
    engine = _fresh_store()
    synthetic = generate(SynthRequest(persons=persons, seed=DEMO_SEED, duplicates=0.01))
    registry = validate_table(for_file(synthetic.people, "parquet"), pack.registry, source="synthetic population")
    summary = store.import_people(
        engine,
        registry,
        as_of=today(pack.timezone),
        actor="demo",
        source={"file": f"synth --persons {persons} --seed {DEMO_SEED}"},
    )
    where = engine.url.render_as_string(hide_password=True)
    out.print(
        f"{step()} A synthetic Oman of {synthetic.people.height:,} records, 1 % of them duplicate registrations "
        f"(himaya synth --persons {persons} --seed {DEMO_SEED} --duplicates 0.01), imported into {where} "
        f"(himaya registry import): {summary.created:,} new, {summary.unchanged:,} unchanged"
    )
    pairs = find_duplicates(store.dedup_candidates(engine)).filter(pl.col("band") == "merge")  # review: for a person
    for keep, drop in pairs.select("civil_number_a", "civil_number_b").iter_rows():  # keep the older record
        store.merge_people(engine, keep, drop, actor="demo", as_of=today(pack.timezone))
    line = f"{step()} Duplicates (himaya registry dedup): {pairs.height:,} likely pairs, merged"
    if synthetic.duplicate_pairs is not None and pairs.height:
        quality = measure(pairs, synthetic.duplicate_pairs)
        line += f"; against the ground truth: precision {quality.precision:.3f}, recall {quality.recall:.3f}"
    out.print(line)
    current = store.registry_people(engine, period.end)
    verification = audit.verify(engine)
    out.print(f"    audit trail: {verification.entries:,} entries, intact: {verification.intact} (himaya audit verify)")
    return current


def _totals(result: pl.DataFrame, programmes: tuple[Programme, ...]) -> Table:
    summary = (
        result.with_columns(baisa=pl.col("amount").str.replace(".", "", literal=True).cast(pl.Int64))
        .group_by("programme")
        .agg(recipients=pl.len(), baisa=pl.col("baisa").sum())
    )
    by_key = {row["programme"]: row for row in summary.to_dicts()}
    totals = Table()
    for heading, justify in (
        ("programme", "left"),
        ("name", "left"),
        ("recipients", "right"),
        ("amount (OMR)", "right"),
    ):
        totals.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for programme in programmes:
        row = by_key.get(programme.key, {"recipients": 0, "baisa": 0})
        totals.add_row(
            programme.key,
            f"{programme.name.en} / {programme.name.ar}",
            f"{row['recipients']:,}",
            format_omr(int(row["baisa"]), grouped=True),
        )
    totals.add_row(
        "total", "", f"{result.height:,}", format_omr(int(summary["baisa"].sum()), grouped=True), style="bold"
    )
    return totals
