"""Benchmark: the payroll of a whole country, from calculation to bank files.

    .venv/bin/python bench/payroll.py [--scale 1.0]

A synthetic population (`--scale 1.0`: all of Oman, about 1.5 million payment lines a month) is
imported into a fresh registry (SQLite, or with `--database postgresql` a schema of its own in
the local test database) and enrolled; then `himaya payroll run`, `submit`,
`approve` and `export` are timed as whole processes, with their peak memory. Target (issue: the
monthly payroll): 1.5 million lines calculated, approved and written to files in at most 60 s,
memory flat while writing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_measured

OUT = Path(__file__).parent / "out"


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"payroll-{args.scale}.parquet"
    database = OUT / "payroll-bench.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    os.environ["HIMAYA_DATABASE_URL"] = f"sqlite:///{database}"
    if args.database == "postgresql":  # a schema of its own in the local test database
        schema = f"himaya_payroll_{os.getpid()}"
        postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        os.environ["HIMAYA_DATABASE_URL"] = f"{postgres}?options=-csearch_path%3D{schema}"
    if not people.exists():
        subprocess.run(himaya("synth", "--scale", str(args.scale), "--seed", "6", "--output", str(people)), check=True)
    for setup in (
        ("db", "upgrade"),
        ("registry", "import", str(people), "--as-of", "2025-12-01"),
        ("enrollment", "sync", "--period", "2026-01"),
    ):
        seconds, _ = run_measured(himaya(*setup))
        print(f"setup {' '.join(setup[:2])}: {seconds:.1f} s")
    total = 0.0
    for step, actor in (("run", "maker"), ("submit", "maker"), ("approve", "checker"), ("export", "finance")):
        os.environ["HIMAYA_ACTOR"] = actor
        extra = ("--output-dir", str(OUT / "payroll-files")) if step == "export" else ()
        seconds, gigabytes = run_measured(himaya("payroll", step, "--period", "2026-01", *extra))
        total += seconds
        print(f"payroll {step}: {seconds:.1f} s, peak {gigabytes:.2f} GB")
    files = sorted((OUT / "payroll-files").glob("*.xml"))
    size = sum(f.stat().st_size for f in files) / 1e6
    print(f"total run + submit + approve + export: {total:.1f} s; {len(files)} files, {size:.0f} MB")
    subprocess.run(himaya("payroll", "status"), check=True)
    if args.database == "postgresql":
        subprocess.run(["psql", postgres, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


if __name__ == "__main__":
    main()
