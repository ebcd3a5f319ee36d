"""Benchmark: `himaya registry import` and `himaya registry dedup` on 1 million persons, both databases.

    .venv/bin/python bench/registry.py [--persons 1000000] [--databases sqlite,postgresql]

Makes a synthetic population with 1 % duplicate registrations, then for each database: a fresh
store, the import as a whole process, the same import again (every row compared, nothing
changed), and the duplicate search with its precision and recall against the ground truth.
Targets (issue: the unified registry): import <= 2 min on either database; dedup <= 2 min with
precision >= 0.95 and recall >= 0.90. PostgreSQL is the local `test` database (a schema of its own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_measured

OUT = Path(__file__).parent / "out"
POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"registry-{args.persons}.parquet"
    truth = OUT / f"registry-{args.persons}.duplicates.csv"
    if not people.exists():
        subprocess.run(
            himaya(
                "synth", "--persons", str(args.persons), "--seed", "4", "--duplicates", "0.01", "--output", str(people)
            ),
            check=True,
        )
    for database in args.databases.split(","):
        schema = None
        if database == "sqlite":
            path = OUT / "registry-bench.db"
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            schema = f"himaya_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
            with admin.begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        os.environ["HIMAYA_DATABASE_URL"] = url
        try:
            subprocess.run(himaya("db", "upgrade"), check=True, capture_output=True)
            first = run_measured(himaya("registry", "import", str(people)))
            second = run_measured(himaya("registry", "import", str(people)))
            dedup = run_measured(himaya("registry", "dedup", "--truth", str(truth)))
            print(
                f"{database}: import {first[0]:.1f} s ({first[1]:.2f} GB); "
                f"import again {second[0]:.1f} s ({second[1]:.2f} GB); "
                f"dedup {dedup[0]:.1f} s ({dedup[1]:.2f} GB); target <= 120 s each"
            )
        finally:
            if schema is not None:
                with admin.begin() as connection:
                    connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
