"""Benchmark: the payroll of a whole country, from calculation to bank files.

    .venv/bin/python bench/payroll.py [--scale 1.0] [--database sqlite|postgresql] [--repeat N]

A synthetic population (`--scale 1.0`: all of Oman, 5.2 million persons, about 1.5 million
payment lines a month) is imported into a fresh registry (SQLite, or with `--database
postgresql` a schema of its own in the local test database) and enrolled; then `himaya payroll
run`, `submit`, `approve` and `export` are timed as whole processes: wall time, CPU time (user
and system, with the processes they start) and peak memory. `--repeat N` times the four steps N
times, each time from the enrolled registry (SQLite: a copy of the file; PostgreSQL: the
payroll's rows and audit entries removed), since on a shared machine the wall time varies with
the load.

Target (issue 5, the monthly payroll): 1.5 million lines calculated, approved and written to files
in at most 60 s on a 2-core machine, memory flat while writing. Figures: docs/payroll.md.
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"payroll-{args.scale}.parquet"
    database = OUT / "payroll-bench.db"
    pristine = OUT / "payroll-bench-enrolled.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), pristine):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    if args.database == "postgresql":  # a schema of its own in the local test database
        schema = f"himaya_payroll_{os.getpid()}"
        postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        url = f"{postgres}?options=-csearch_path%3D{schema}"
    os.environ["HIMAYA_DATABASE_URL"] = url
    # The export pays from a configured account only (the demonstration account is refused).
    os.environ.setdefault("HIMAYA_PAYER_IBAN", "OM930180000009876543210")
    os.environ.setdefault("HIMAYA_PAYER_BIC", "BMUSOMRXXXX")
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
        audited = connection.execute(sa.text("SELECT max(id) FROM audit_entry")).scalar_one()
    engine.dispose()
    if args.database == "sqlite":
        shutil.copyfile(database, pristine)
    for attempt in range(1, args.repeat + 1):
        if attempt > 1:
            _back_to_enrolled(args.database, database, pristine, url, audited)
        shutil.rmtree(OUT / "payroll-files", ignore_errors=True)
        wall = cpu = 0.0
        for step, actor in STEPS:
            os.environ["HIMAYA_CREDENTIALS"] = str(OUT / f"payroll-bench-{actor}.json")
            extra = ("--output-dir", str(OUT / "payroll-files")) if step == "export" else ()
            taken = measure(himaya("payroll", step, "--period", "2026-01", *extra))
            wall, cpu = wall + taken.wall, cpu + taken.cpu
            print(f"payroll {step}: {taken.wall:.1f} s wall, {taken.cpu:.1f} s CPU, peak {taken.gigabytes:.2f} GB")
        files = sorted((OUT / "payroll-files").glob("*.xml"))
        size = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"total run + submit + approve + export ({args.database}, attempt {attempt}): {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU; {len(files)} files, {size:.0f} MB"
        )
    subprocess.run(himaya("payroll", "status"), check=True)
    if args.database == "postgresql":
        subprocess.run(["psql", postgres, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


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
