"""Benchmark: a whole month's referral proposals for a country, `himaya referrals propose`.

    .venv/bin/python bench/referrals.py [--scale 1.0] [--database sqlite|postgresql] [--new 0.1]

A synthetic population (`--scale 1.0`: all of Oman, 5.2 million persons) is imported into a fresh
registry (SQLite, or with `--database postgresql` a schema of its own in the local test database);
a share of the disability assessments (`--new`) is dated from the month, so that their holders are
new disability beneficiaries. Then `himaya referrals propose --period 2026-01`, as a supervisor of
every branch, is timed as a whole process (wall time, CPU time, peak memory): the registry read at
the month's end (and the month before for the families of disability beneficiaries), the rules over
the whole population, and the proposals written as cases. It is run a second time, which must
propose nothing (the month's proposals are made once) and is timed too.

Target (issue 13): a whole month of Oman in at most 30 s. Figures: docs/cases.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, run_measured

OUT = Path(__file__).parent / "out"


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--new", type=float, default=0.1, help="Share of disability assessments dated from the month.")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"referrals-{args.scale}.parquet"
    database = OUT / "referrals-bench.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    url, schema, postgres = f"sqlite:///{database}", "", ""
    if args.database == "postgresql":  # a schema of its own in the local test database
        schema = f"himaya_referrals_{os.getpid()}"
        postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        url = f"{postgres}?options=-csearch_path%3D{schema}"
    os.environ["HIMAYA_DATABASE_URL"] = url
    os.environ["HIMAYA_ACTOR"] = "salim"
    try:
        _run(args, people, url)
    finally:
        if schema:
            subprocess.run(["psql", postgres, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


def _run(args: argparse.Namespace, people: Path, url: str) -> None:
    if not people.exists():
        subprocess.run(himaya("synth", "--scale", str(args.scale), "--seed", "6", "--output", str(people)), check=True)
    for setup in (
        ("db", "upgrade"),
        ("registry", "import", str(people), "--as-of", "2025-12-01"),
        ("users", "create", "salim", "--role", "supervisor", "--branch", "all", "--generate-password"),
    ):
        seconds, _ = run_measured(himaya(*setup))
        print(f"setup {' '.join(setup[:2])}: {seconds:.1f} s")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:  # new in January: the assessment dated from the month
        step = max(1, round(1 / args.new)) if args.new > 0 else 0
        if step:
            connection.execute(
                sa.text("UPDATE disability_assessment SET valid_from = :day WHERE id % :step = 0"),
                {"day": "2026-01-01", "step": step},
            )
        persons = connection.execute(sa.text("SELECT COUNT(*) FROM person")).scalar_one()
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ANALYZE"))
    print(f"registry: {persons:,} persons ({args.database})")
    for attempt in ("first", "again"):
        taken = measure(himaya("referrals", "propose", "--period", "2026-01"))
        figures = f"{taken.wall:.1f} s wall, {taken.cpu:.1f} s CPU, peak {taken.gigabytes:.2f} GB"
        print(f"referrals propose ({attempt}): {figures}")
    with engine.connect() as connection:
        counts = connection.execute(sa.text("SELECT rule, COUNT(*) FROM referral GROUP BY rule ORDER BY rule")).all()
    engine.dispose()
    for rule, count in counts:
        print(f"  {rule}: {count:,} proposed")
    print(f"  total: {sum(c for _, c in counts):,} referral cases")


if __name__ == "__main__":
    main()
