"""Benchmark: a month's contribution declarations for a million insured persons.

    .venv/bin/python bench/insurance.py [--insured 1000000] [--employers 20000] [--database sqlite|postgresql]

A synthetic population (about 1.8 persons for each insured person wanted) is imported into a fresh
registry (SQLite, or with `--database postgresql` a schema of its own in the local test
database), its working-age residents spread over `--employers` employers, each with a wage (the
synthetic wage where there is one, else a draw around 450 OMR) and the month's days (one in
twenty worked part of the month). Then, timed:

- the contributions of that whole month computed in memory (the declaration's contract, the rates
  of the month, every branch's shares, the dues by employer and branch): the vectorised core;
- `himaya insurance declare` of the whole month as one batch file, as a whole process (wall, CPU,
  peak memory): validation, the registry look-up of every insured person, the writes, the audit;
- the next month declared employer by employer, `--singles` of them, one transaction each;
- `himaya insurance contributions --output` and `himaya insurance arrears` of everything declared.

Target (issue 16): a month's contributions for 2 million insured persons in at most 30 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from himaya.core.periods import Period
from himaya.insurance.files import read_declaration
from himaya.insurance.rates import month_rates
from himaya.insurance.rules import by_branch, contributions
from himaya.policy.packs import load_pack
from measure import measure, run_measured

OUT = Path(__file__).parent / "out"
POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
JANUARY, FEBRUARY = Period(2026, 1), Period(2026, 2)


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def workers(people: pl.DataFrame, insured: int, employers: int, seed: int) -> pl.DataFrame:
    """cr_number, civil_number, wage (baisa), days, omani for `insured` working-age residents."""
    rng = np.random.default_rng(seed)
    age = (JANUARY.end - pl.col("birth_date")).dt.total_days() // 365
    chosen = people.filter(pl.col("resident") & pl.col("death_date").is_null() & age.is_between(18, 59)).head(insured)
    if chosen.height < insured:
        print(f"only {chosen.height:,} working-age residents in the population: declaring them all")
    n = chosen.height
    drawn = np.clip(rng.lognormal(np.log(450_000), 0.6, n), 100_000, 9_000_000).astype(np.int64)
    wage = pl.when(pl.col("wage") > 0).then(pl.col("wage")).otherwise(pl.Series(drawn))
    sizes = (employers * rng.random(n) ** 3).astype(np.int64)  # a few large employers, many small ones
    return chosen.select(
        pl.Series("cr_number", (1_000_000 + sizes).astype(str)),
        pl.col("person_id").alias("civil_number"),
        wage.alias("wage"),
        pl.Series("days", np.where(rng.random(n) < 0.05, rng.integers(1, 28, n), 31)),
        (pl.col("nationality") == "OM").alias("omani"),
    )


def as_file(lines: pl.DataFrame, month: Period) -> pl.DataFrame:
    """The lines as a declaration file: money in OMR text, the month's days."""
    days = pl.min_horizontal(pl.col("days"), pl.lit(month.end.day))
    wage = (pl.col("wage") // 1000).cast(pl.String) + "." + (pl.col("wage") % 1000).cast(pl.String).str.zfill(3)
    return lines.select("cr_number", "civil_number", wage.alias("wage"), days.cast(pl.String).alias("days"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--insured", type=int, default=1_000_000)
    parser.add_argument("--employers", type=int, default=20_000)
    parser.add_argument("--singles", type=int, default=200, help="employers declaring February one by one")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    population = int(args.insured * 1.8)
    people_file = OUT / f"insurance-people-{population}.parquet"
    if not people_file.exists():
        seconds, _ = run_measured(himaya("synth", "--persons", str(population), "--seed", "16", "--output",
                                         str(people_file)))  # fmt: skip
        print(f"setup synth {population:,} persons: {seconds:.1f} s")
    people = pl.read_parquet(people_file).with_columns((pl.col("wage") * 1000).cast(pl.Int64))  # OMR to baisa
    lines = workers(people, args.insured, args.employers, seed=16)
    january = OUT / "insurance-2026-01.csv"
    as_file(lines, JANUARY).write_csv(january)
    employers = lines["cr_number"].unique().sort()
    register = OUT / "insurance-employers.csv"
    wilayats = list(load_pack().code_names["wilayat"])
    pl.DataFrame(
        {
            "cr_number": employers,
            "name": "Employer " + employers,
            "sector": "private",
            "wilayat": [wilayats[i % len(wilayats)] for i in range(employers.len())],
        }
    ).write_csv(register)
    print(f"{lines.height:,} insured persons, {employers.len():,} employers (largest: "
          f"{lines['cr_number'].value_counts()['count'].max():,} insured)")  # fmt: skip

    pack = load_pack()
    raw = pl.read_csv(january, infer_schema=False)
    started = time.perf_counter()
    declared, problems = read_declaration(raw, pack, JANUARY, source="bench")
    rates = month_rates(pack.parameters, JANUARY)
    shares = contributions(declared.join(lines.select("civil_number", "omani"), on="civil_number"), rates)
    dues = by_branch(shares, ["cr_number"])
    seconds = time.perf_counter() - started
    assert not problems
    print(f"in memory: {lines.height:,} lines validated and their contributions by branch computed in "
          f"{seconds:.2f} s ({lines.height / seconds:,.0f} lines/s); {dues.height:,} employer-branch dues")  # fmt: skip

    schema = _store(args.database, population, people_file, register)
    taken = measure(himaya("insurance", "declare", str(january), "--month", "2026-01"))
    rate = lines.height / taken.wall
    print(f"insurance declare, one batch of {lines.height:,} lines ({args.database}): {taken.wall:.1f} s wall, "
          f"{taken.cpu:.1f} s CPU, peak {taken.gigabytes:.2f} GB; {rate:,.0f} lines/s")  # fmt: skip
    _singles(lines, args.singles)
    for name in ("contributions", "arrears"):
        extra = ("--output", str(OUT / f"insurance-{name}.csv"))
        taken = measure(himaya("insurance", name, *extra))
        print(f"insurance {name}: {taken.wall:.1f} s wall, peak {taken.gigabytes:.2f} GB")
    if schema is not None:
        drop = f"SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"
        subprocess.run(["psql", POSTGRES, "-qc", drop], check=True)


def _singles(lines: pl.DataFrame, count: int) -> None:
    """February declared by `count` employers one after another, each its own file and transaction."""
    from himaya import bootstrap  # noqa: PLC0415  (after HIMAYA_DATABASE_URL is set)
    from himaya.bootstrap import insurance  # noqa: PLC0415

    bootstrap.configure()
    engine, pack = bootstrap.registry_engine(), load_pack()
    folder = OUT / "insurance-singles"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files = []
    for (cr,), rows in as_file(lines, FEBRUARY).group_by("cr_number"):
        if len(files) == count:
            break
        files.append((str(cr), folder / f"{cr}.csv"))
        rows.drop("cr_number").write_csv(files[-1][1])
    insured = 0
    started = time.perf_counter()
    for cr, path in files:
        insured += insurance.declare(engine, pack, path, FEBRUARY, actor="bench", today=date(2026, 11, 30),
                                     employer=cr).insured  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"insurance declare, {len(files)} employers one by one: {seconds:.1f} s, "
          f"{len(files) / seconds:.1f} declarations/s, {insured:,} lines")  # fmt: skip


def _store(kind: str, population: int, people_file: Path, register: Path) -> str | None:
    """A fresh store with the registry and the employers (SQLite: copied from the last run's, if
    any); the PostgreSQL schema to drop afterwards."""
    url, schema = _fresh_store(kind)
    os.environ["HIMAYA_DATABASE_URL"] = url
    pristine = OUT / f"insurance-registry-{population}.db"  # SQLite: the registry kept for the next run
    if kind == "sqlite" and pristine.exists():
        shutil.copyfile(pristine, OUT / "insurance-bench.db")
        print(f"setup: the registry of {population:,} persons from {pristine.name}")
        return schema
    for setup in (
        ("db", "upgrade"),
        ("registry", "import", str(people_file), "--as-of", "2025-12-01"),
        ("insurance", "employers", str(register)),
    ):
        seconds, _ = run_measured(himaya(*setup))
        print(f"setup {' '.join(setup[:2])}: {seconds:.1f} s")
    if kind == "sqlite":
        shutil.copyfile(OUT / "insurance-bench.db", pristine)
    return schema


def _fresh_store(kind: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        path = OUT / "insurance-bench.db"
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}", None
    schema = f"himaya_insurance_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


if __name__ == "__main__":
    main()
