"""Benchmark: the payroll of a whole country, from calculation to bank files.

    .venv/bin/python bench/payroll.py [--scale 1.0] [--database sqlite|postgresql] [--repeat N]
                                      [--schema NAME] [--keep]

A synthetic population (`--scale 1.0`: all of Oman, 5.2 million persons, about 1.5 million
payment lines a month) is imported into a fresh registry (SQLite, or with `--database
postgresql` a schema of its own in the local test database) and enrolled; then `himaya payroll
run`, `submit`, `approve` and `export` are timed as whole processes: wall time, CPU time (user
and system, with the processes they start) and peak memory. `--repeat N` times the four steps N
times, each time from the enrolled registry (SQLite: a copy of the file; PostgreSQL: the
payroll's rows and audit entries removed), since on a shared machine the wall time varies with
the load.

On PostgreSQL each step also prints the CPU seconds of the server processes that served it
(`bench/payroll_step.py`) and the load average. `--schema NAME --keep` keeps the enrolled registry
in that schema after the run; `--schema NAME` again starts from it (the payroll's rows and audit
entries removed) instead of importing: the same registry for the steps of two versions of the code
(`PYTHONPATH=other/src`, the schema migrated to the revision that code knows first).

Target (issue 5, the monthly payroll): 1.5 million lines calculated, approved and written to files
in at most 60 s on a 2-core machine, memory flat while writing. Figures: docs/payroll.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, run_measured

OUT = Path(__file__).parent / "out"
STEPS = (("run", "maker"), ("submit", "maker"), ("approve", "checker"), ("export", "finance"))


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--schema", help="PostgreSQL: this schema; one kept by --keep is started from, not imported")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the schema and its registry")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"payroll-{args.scale}.parquet"
    database = OUT / "payroll-bench.db"
    pristine = OUT / "payroll-bench-enrolled.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), pristine):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    kept: Path | None = None
    if args.database == "postgresql":  # a schema of its own in the local test database
        schema = args.schema or f"himaya_payroll_{os.getpid()}"
        kept = OUT / f"payroll-bench-{schema}.json"
        postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        if not kept.exists():
            subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        url = f"{postgres}?options=-csearch_path%3D{schema}"
    os.environ["HIMAYA_DATABASE_URL"] = url
    # The export pays from a configured account only (the demonstration account is refused).
    os.environ.setdefault("HIMAYA_PAYER_IBAN", "OM930180000009876543210")
    os.environ.setdefault("HIMAYA_PAYER_BIC", "BMUSOMRXXXX")
    resumed = kept is not None and kept.exists()
    if kept is not None and resumed:
        audited = _resume(url, kept)
    else:
        audited = _enrolled(args, people, url)
        if kept is not None and args.keep:
            kept.write_text(json.dumps({"audited": audited}))
    if args.database == "sqlite":
        shutil.copyfile(database, pristine)
    for attempt in range(1, args.repeat + 1):
        if attempt > 1 or resumed:
            _back_to_enrolled(args.database, database, pristine, url, audited)
        _steps(args.database, attempt)
    subprocess.run(himaya("payroll", "status"), check=True)
    if args.database == "postgresql" and not args.keep:
        subprocess.run(["psql", postgres, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)
        if kept is not None:
            kept.unlink(missing_ok=True)


def _enrolled(args: argparse.Namespace, people: Path, url: str) -> int:
    """A fresh registry imported and enrolled, its users made and logged in; the last audit entry's id."""
    if not people.exists():
        subprocess.run(himaya("synth", "--scale", str(args.scale), "--seed", "6", "--output", str(people)), check=True)
    for setup in (
        ("db", "upgrade"),
        ("registry", "import", str(people), "--as-of", "2025-12-01"),
        ("enrollment", "sync", "--period", "2026-01"),
    ):
        seconds, _ = run_measured(himaya(*setup))
        print(f"setup {' '.join(setup[:2])}: {seconds:.1f} s")
    # The payroll's steps are done by users of the store, logged in (`himaya login`), outside the timing.
    os.environ["HIMAYA_PASSWORD"] = "bench: a password long enough"
    for actor in sorted({actor for _, actor in STEPS}):
        os.environ["HIMAYA_CREDENTIALS"] = str(OUT / f"payroll-bench-{actor}.json")
        roles = ("--role", "finance_officer", "--role", "payroll_approver", "--branch", "all")
        subprocess.run(himaya("users", "create", actor, *roles), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(himaya("login", actor), check=True, stdout=subprocess.DEVNULL)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        audited = int(connection.execute(sa.text("SELECT max(id) FROM audit_entry")).scalar_one())
    engine.dispose()
    return audited


def _resume(url: str, kept: Path) -> int:
    """A kept registry: its users logged in again (with the code in use); the audit id it was enrolled at."""
    os.environ["HIMAYA_DATABASE_URL"] = url
    os.environ["HIMAYA_PASSWORD"] = "bench: a password long enough"
    for actor in sorted({actor for _, actor in STEPS}):
        os.environ["HIMAYA_CREDENTIALS"] = str(OUT / f"payroll-bench-{actor}.json")
        subprocess.run(himaya("login", actor), check=True, stdout=subprocess.DEVNULL)
    return int(json.loads(kept.read_text())["audited"])


def _steps(kind: str, attempt: int) -> None:
    """The four steps as whole processes, each measured (on PostgreSQL, with its server's CPU)."""
    shutil.rmtree(OUT / "payroll-files", ignore_errors=True)
    wall = cpu = server = 0.0
    for step, actor in STEPS:
        os.environ["HIMAYA_CREDENTIALS"] = str(OUT / f"payroll-bench-{actor}.json")
        extra = ("--output-dir", str(OUT / "payroll-files")) if step == "export" else ()
        command = ("payroll", step, "--period", "2026-01", *extra)
        served = OUT / "payroll-bench-server.json"
        if kind == "postgresql":
            served.unlink(missing_ok=True)
            taken = measure([sys.executable, str(Path(__file__).parent / "payroll_step.py"), str(served), *command])
            here = json.loads(served.read_text())["server_cpu"]
        else:
            taken, here = measure(himaya(*command)), 0.0
        wall, cpu, server = wall + taken.wall, cpu + taken.cpu, server + here
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"payroll {step}: {taken.wall:.1f} s wall, {taken.cpu:.1f} s CPU"
            + (f" + {here:.1f} s in the server" if kind == "postgresql" else "")
            + f", peak {taken.gigabytes:.2f} GB; load {load}"
        )
    files = sorted((OUT / "payroll-files").glob("*.xml"))
    size = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"total run + submit + approve + export ({kind}, attempt {attempt}): {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU"
        + (f" + {server:.1f} s in the server" if kind == "postgresql" else "")
        + f"; {len(files)} files, {size:.0f} MB"
    )


def _back_to_enrolled(kind: str, database: Path, pristine: Path, url: str, audited: int) -> None:
    """The registry as it was enrolled, before the payroll ran (the audit chain's tail removed)."""
    if kind == "sqlite":
        for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(pristine, database)
        return
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        for table in ("recovery", "debt", "payment_line", "payroll_run"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
        connection.execute(sa.text("DELETE FROM audit_entry WHERE id > :id"), {"id": audited})
        connection.execute(  # the chain's head back to its last remaining entry
            sa.text("UPDATE audit_head SET hash = (SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1)")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE payment_line"))
    engine.dispose()


if __name__ == "__main__":
    main()
