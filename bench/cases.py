"""Benchmark: a branch inbox over HTTP on a registry of 1 million persons with 2 million cases.

    .venv/bin/python bench/cases.py [--persons 1000000] [--cases 2000000] [--rate 50] [--seconds 30]
                                    [--workers 2] [--postgres] [--fresh]

The registry (`--persons`, synthetic, `himaya synth` then `himaya registry import`) is kept between
runs in bench/out (a SQLite file, or with `--postgres` a schema of the local PostgreSQL `test`
database). `--cases` cases are then written in one bulk insert per 100,000 rows: every case type of
the Oman pack, each case in one of its type's states, a person's own branch; about a third open
with a deadline spread over two months around today, the rest closed. (They are written straight
into the table, as a registry of two million cases would be after years of use; opening them one by
one through the action would measure the writes, not the inbox.)

A case worker scoped to the wilayat with the most cases is created, `himaya serve` is started with
`--workers` processes, and clients ask for `GET /cases?...` (the inbox, a page of 50 sorted by due
date) with a random mix of filters: none, a state, a type, a type and a state, due before a day,
and pages 1 to 5. Two loads are measured:
- `paced`: `--rate` requests a second in all (10 clients), each timed from the moment it was due
  (no coordinated omission);
- `flat out`: the 10 clients send their next request as soon as the last is answered.

Target (issue 13): p99 at most 50 ms at 50 requests a second. The load generator runs on the
same machine as the server and takes part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl
import sqlalchemy as sa

from himaya.bootstrap import hash_password
from himaya.db.case_tables import case_file
from himaya.policy.packs import load_pack
from http_load import free_port, run_load

OUT = Path(__file__).parent / "out"
POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-123"
USER = "bench.inbox"
CLIENTS = 10
TODAY = datetime.now(UTC).date()
BATCH = 100_000


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def database(persons: int, cases: int, postgres: bool, fresh: bool) -> tuple[str, bool]:
    """The registry's URL, and whether it must be filled."""
    if not postgres:
        path = OUT / f"cases-{persons}-{cases}.db"
        if fresh:
            path.unlink(missing_ok=True)
        return f"sqlite:///{path}", not path.exists()
    schema = f"himaya_cases_bench_{persons}_{cases}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        if fresh:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        exists = connection.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'case_file'"),
            {"s": schema},
        ).first()
        connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", exists is None


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def fill(url: str, persons: int, cases: int) -> None:
    """Import the synthetic registry, then write the cases in bulk."""
    OUT.mkdir(exist_ok=True)
    people = OUT / f"cases-{persons}.parquet"
    if not people.exists():
        subprocess.run(himaya("synth", "--persons", str(persons), "--seed", "9", "--output", str(people)), check=True)
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": "bench"}
    subprocess.run(himaya("db", "upgrade"), check=True, env=env, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run(himaya("registry", "import", str(people), "--as-of", "2025-12-01"), check=True, env=env)
    print(f"registry import of {persons:,} persons: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    engine = engine_for(url)
    with engine.begin() as connection:
        registry = pl.DataFrame(
            connection.execute(
                sa.text("SELECT id, civil_number, wilayat, governorate FROM person WHERE wilayat IS NOT NULL")
            ).all(),
            schema=["person_id", "civil_number", "wilayat", "governorate"],
            orient="row",
        )
        for start in range(0, cases, BATCH):
            connection.execute(sa.insert(case_file), case_rows(registry, start, min(BATCH, cases - start)))
    if url.startswith("postgresql"):  # the planner's statistics, as autovacuum would make them in time
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE case_file")
    print(f"{cases:,} cases written: {time.perf_counter() - started:.1f} s")


def case_rows(registry: pl.DataFrame, start: int, count: int) -> list[dict[str, object]]:
    """`count` cases numbered from `start`: a random person each, a random type and state."""
    rng = random.Random(start)
    types = list(load_pack().cases.types.values())
    weights = [8 if t.key in ("grievance", "application") else 2 for t in types]
    today = TODAY
    now = datetime.now(UTC)
    picked = registry.sample(count, with_replacement=True, seed=start).rows(named=True)
    rows = []
    for offset, person in enumerate(picked):
        kind = rng.choices(types, weights)[0]
        state = rng.choice(kind.states)
        closed = state.final or rng.random() < 0.5
        rows.append(
            {
                "number": f"C-{2020 + (start + offset) % 7}-{start + offset + 1:07d}",
                "type": kind.key,
                "state": "closed" if closed else state.key,
                "channel": "branch",
                **person,
                "category": kind.categories[0].key if kind.categories else None,
                "sensitive": False,
                "language": "ar",
                "form": "{}",
                "opened_by": "bench",
                "due_on": None if closed else today + timedelta(days=rng.randint(-20, 40)),
                "state_since": now,
                "version": 1,
                "opened_at": now,
                "updated_at": now,
                "closed_at": now if closed else None,
            }
        )
    return rows


def busiest_wilayat(url: str) -> tuple[str, int]:
    with engine_for(url).begin() as connection:
        wilayat, count = connection.execute(
            sa.text("SELECT wilayat, count(*) AS n FROM case_file GROUP BY wilayat ORDER BY n DESC LIMIT 1")
        ).one()
    return str(wilayat), int(count)


def make_user(url: str, wilayat: str) -> None:
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": "bench"}
    with engine_for(url).begin() as connection:
        exists = connection.execute(sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": USER}).first()
    if exists is None:
        subprocess.run(
            himaya(
                "users", "create", USER, "--role", "case_worker", "--branch", f"wilayat:{wilayat}",
                "--generate-password",
            ),
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    with engine_for(url).begin() as connection:
        connection.execute(
            sa.text("UPDATE app_user SET password_hash = :h WHERE username = :u"),
            {"h": hash_password(PASSWORD), "u": USER},
        )
        connection.execute(sa.text("DELETE FROM login_attempt"))


@functools.cache
def open_states(types: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each (type, state) of these types that a case can be open in."""
    return [(t.key, s.key) for t in load_pack().cases.types.values() if t.key in types for s in t.states if not s.final]


def inbox_path(rng: random.Random) -> str:
    """One inbox request: a random filter of the mix, a page from 1 to 5."""
    types = ("grievance", "application", "appeal", "change_request")
    states = ("received", "in_review", "prepared")
    pairs = open_states(types)
    filters = rng.choice(
        [
            "",
            "",
            f"&state={rng.choice(states)}",
            f"&type={rng.choice(types)}",
            "&type={}&state={}".format(*rng.choice(pairs)),
            f"&due_before={TODAY + timedelta(days=rng.randint(-10, 10))}",
        ]
    )
    page = 1 if rng.random() < 0.7 else rng.randint(2, 5)
    return f"/cases?page={page}{filters}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second in all, paced")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url, empty = database(args.persons, args.cases, args.postgres, args.fresh)
    if empty:
        fill(url, args.persons, args.cases)
    subprocess.run(
        himaya("db", "upgrade"), check=True, env={**os.environ, "HIMAYA_DATABASE_URL": url}, stdout=subprocess.DEVNULL
    )
    wilayat, count = busiest_wilayat(url)
    make_user(url, wilayat)
    if not args.postgres:
        # The bulk writes and index builds above sit in the write-ahead log until a commit copies
        # them into the database: the first audit entry of the load would (seconds on 2 million cases).
        with engine_for(url).connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"{args.cases:,} cases; the inbox of wilayat {wilayat}: {count:,} cases, open and closed")
    port = free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": url}
    server = subprocess.Popen(himaya("serve", "--port", str(port), "--workers", str(args.workers)), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        login = {"grant_type": "password", "username": USER, "password": PASSWORD}
        token = httpx.post(f"{base}/auth/token", data=login).json()["access_token"]
        interval = CLIENTS / args.rate
        asyncio.run(run_load(port, token, inbox_path, CLIENTS, 3, interval))  # warm-up: plans, caches
        paced = asyncio.run(run_load(port, token, inbox_path, CLIENTS, args.seconds, interval))
        print(paced.line(f"paced, {args.rate:g} requests a second"))
        print(asyncio.run(run_load(port, token, inbox_path, CLIENTS, args.seconds, None)).line("flat out"))
    finally:
        server.terminate()
        server.wait()
    print(
        f"python {sys.version.split()[0]}, {'PostgreSQL' if args.postgres else 'SQLite'}, "
        f"{args.workers} server processes, {os.cpu_count()} cores shared with the client"
    )


if __name__ == "__main__":
    main()
