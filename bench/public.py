"""Benchmark: the public statistics on a registry of a million persons.

    .venv/bin/python bench/public.py [--persons 1000000] [--database sqlite|postgresql] [--calls 50]

A synthetic population is imported into a fresh registry (SQLite, or with `--database postgresql`
a schema of its own in the local test database) and enrolled in January 2026; January's run is
calculated, February's is a copy of it (in SQL), and both runs' lines are marked as sent (as an
export leaves them). The statistics cover 2026-01 to 2026-03. Then timed, in this process:

- each table's statement alone (beneficiaries and spending, 3 months and 1 month);
- `bootstrap.public_statistics` for 2026-01 to 2026-03 cold (the tables made: both statements,
  the disclosure control, the names) and warm (`--calls` times: the tables kept for the data's
  version, one read of the version and the filters): median and largest;
- the same through the API (`GET /public/statistics` and `.csv`, FastAPI's test client), warm.

Target (issue 14): the published tables in at most 200 ms on a 1-million-person registry.
Figures: docs/public.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from himaya import bootstrap
from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import payroll as store
from himaya.core.periods import Period
from himaya.db import public_stats
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.db.tables import enrollment, payment_line, payroll_run
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate

OUT = Path(__file__).parent / "out"
MONTHS = [Period(2026, m) for m in (1, 2, 3)]


def _timed(label: str, call, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    shown = (
        f"{times[0]:.0f} ms" if repeat == 1 else f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms"
    )
    print(f"{label}: {shown}", flush=True)
    return max(times)


def _build(url: str, persons: int) -> sa.Engine:
    engine = connect(url)
    upgrade(engine)
    pack = load_pack()
    started = time.perf_counter()
    people = validate_table(
        for_file(generate(SynthRequest(persons=persons, seed=14)).people, "parquet"), pack.registry, source="synthetic"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="bench", source={"file": "synthetic"})
    print(f"setup: {persons:,} persons imported in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    # January's sync only: its enrollments stay in force in February and March (a second month's
    # sync is the enrollment's own work, measured elsewhere and slow here).
    store.sync_enrollments(engine, pack, MONTHS[0], actor="bench", today=MONTHS[0].start)
    print(f"setup: {MONTHS[0]} enrolled in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    store.calculate(engine, pack, MONTHS[0], actor="bench")
    with engine.begin() as connection:
        # As an export leaves them: sent to the banks. February's run: January's lines again, for
        # February (a copy in SQL: the engine's arrears for a second month are not what is measured).
        connection.execute(sa.update(payment_line).where(payment_line.c.status == "pending").values(status="exported"))
        first = (
            connection.execute(sa.select(payroll_run).where(payroll_run.c.period == MONTHS[0].start)).mappings().one()
        )
        connection.execute(sa.insert(payroll_run).values({**first, "id": first["id"] + 1, "period": MONTHS[1].start}))
        columns = [c for c in payment_line.c if c.name not in ("id", "run_id", "month", "end_to_end_id")]
        connection.execute(
            sa.insert(payment_line).from_select(
                [*(c.name for c in columns), "run_id", "month", "end_to_end_id"],
                sa.select(
                    *columns,
                    sa.literal(first["id"] + 1),
                    sa.literal(MONTHS[1].start),
                    sa.func.substr(payment_line.c.end_to_end_id, 1, 30) + "F" + sa.cast(payment_line.c.id, sa.String),
                ).where(payment_line.c.run_id == first["id"]),
            )
        )
    print(f"setup: {MONTHS[0]} calculated, {MONTHS[1]} copied, both sent, in {time.perf_counter() - started:.0f} s")
    with engine.connect() as connection:
        for table in ("person", "enrollment", "payment_line"):
            print(f"  {table}: {connection.execute(sa.text(f'SELECT count(*) FROM {table}')).scalar():,} rows")
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="SQLite: the registry an earlier run built, if there")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    schema = None
    postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if args.database == "postgresql":
        schema = f"himaya_public_{os.getpid()}"
        subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        url = f"{postgres}?options=-csearch_path%3D{schema}"
    else:
        database = OUT / f"public-{args.persons}.db"
        if not (args.reuse and database.exists()):
            database.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
    try:
        _bench(
            url,
            args.persons,
            args.calls,
            args.database,
            reuse=args.reuse and url.startswith("sqlite") and database.exists(),
        )
    finally:
        if schema:
            subprocess.run(["psql", postgres, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


def _bench(url: str, persons: int, calls: int, database: str, *, reuse: bool) -> None:
    engine = connect(url) if reuse else _build(url, persons)
    months = [m.start for m in MONTHS]
    with engine.connect() as connection:
        _timed("both tables' statements, 3 months", lambda: public_stats.figures(connection, months))
        _timed("both tables' statements, 1 month", lambda: public_stats.figures(connection, months[:1]))
    given = {"first": "2026-01", "last": "2026-03", "engine": engine}
    cold = _timed("public_statistics, 3 months, cold (tables made)", lambda: bootstrap.public_statistics(**given))
    warm = _timed(
        "public_statistics, 3 months, warm (tables kept)", lambda: bootstrap.public_statistics(**given), calls
    )
    filtered = {**given, "programmes": ["child"], "governorates": ["Muscat", "all"]}
    _timed("public_statistics, filtered, warm", lambda: bootstrap.public_statistics(**filtered), calls)
    with engine.begin() as connection:  # a new enrollment: the data's version moves
        someone = connection.execute(sa.select(enrollment).limit(1)).mappings().one()
        connection.execute(sa.insert(enrollment).values({k: v for k, v in someone.items() if k != "id"}))
    fast = {**given, "fresh": False}
    stale = _timed(
        "public_statistics after a change, not fresh (kept tables, new made behind)",
        lambda: bootstrap.public_statistics(**fast),
    )
    _timed("public_statistics after a change, fresh (made again now)", lambda: bootstrap.public_statistics(**given))
    client = TestClient(create_app(engine, tokens=TokenSettings(key="bench-" + "k" * 40)))
    client.get("/public/statistics?from=2026-01&to=2026-03")  # the first request starts the application's machinery
    api = _timed(
        "GET /public/statistics?from=2026-01&to=2026-03, warm",
        lambda: client.get("/public/statistics?from=2026-01&to=2026-03"),
        calls,
    )
    _timed(
        "GET /public/statistics.csv?from=2026-01&to=2026-03, warm",
        lambda: client.get("/public/statistics.csv?from=2026-01&to=2026-03"),
        calls,
    )
    print(
        f"summary ({database}, {persons:,} persons): cold {cold:.0f} ms, warm max {warm:.1f} ms, "
        f"after a change (not fresh) {stale:.1f} ms, API warm max {api:.1f} ms (target 200 ms)"
    )
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
