"""Benchmark: one family's entitlements with explanation over HTTP, at 100 concurrent clients.

    .venv/bin/python bench/api.py [--persons 1000000] [--clients 100] [--seconds 30] [--workers 2]

A synthetic registry (`--persons`, default 1 million) is imported once into a schema of its own in
the local PostgreSQL `test` database (kept between runs: `--fresh` imports again), a registrar of
every branch is created, and `himaya serve` is started with `--workers` processes. Then
`--clients` clients, each with its own connection, ask for
`GET /families/{random family}/entitlements?period=2026-01` (the full explanation) for `--seconds`.

Two loads are measured:
- `paced`: each client sends one request every `--interval` seconds (default 1: 100 requests a
  second from 100 clients, every officer of a busy Fund's branches at once); the latency of each is timed from the
  moment it was due, so a slow server cannot hide its queue (no coordinated omission);
- `flat out`: each client sends its next request as soon as the last one is answered: the
  server's throughput, and the latency at saturation.

Target (issue: the service API): p99 at most 50 ms with 100 concurrent clients, on PostgreSQL,
on a registry of at least 1 million persons. The load generator runs on the same 2-core machine as
the server and takes part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from himaya.bootstrap import hash_password
from http_load import free_port, run_load

OUT = Path(__file__).parent / "out"
POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-123"


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def prepare(persons: int, fresh: bool) -> tuple[str, list[str]]:
    """The registry URL and its family numbers; imports the registry if needed."""
    schema = f"himaya_api_bench_{persons}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": "bench"}
    with admin.begin() as connection:
        if fresh:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        exists = connection.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'person'"),
            {"s": schema},
        ).first()
        if not exists:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    if not exists:
        people = OUT / f"api-{persons}.parquet"
        OUT.mkdir(exist_ok=True)
        if not people.exists():
            subprocess.run(
                himaya("synth", "--persons", str(persons), "--seed", "8", "--output", str(people)), check=True
            )
        subprocess.run(himaya("db", "upgrade"), check=True, env=env)
        started = time.perf_counter()
        subprocess.run(himaya("registry", "import", str(people), "--as-of", "2025-12-01"), check=True, env=env)
        print(f"registry import of {persons:,} persons: {time.perf_counter() - started:.1f} s")
        subprocess.run(
            himaya(
                "users", "create", "bench.registrar", "--role", "registrar", "--branch", "all", "--generate-password"
            ),
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run(himaya("db", "upgrade"), check=True, env=env, stdout=subprocess.DEVNULL)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE app_user SET password_hash = :h WHERE username = 'bench.registrar'"),
            {"h": hash_password(PASSWORD)},
        )
        connection.execute(sa.text("DELETE FROM login_attempt"))
        persons_now = connection.execute(sa.text("SELECT count(*) FROM person")).scalar_one()
        families = list(connection.execute(sa.text("SELECT family_number FROM family")).scalars())
    print(f"registry: {persons_now:,} persons in {len(families):,} families (PostgreSQL schema {schema})")
    return url, families


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url, families = prepare(args.persons, args.fresh)
    port = free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": url}
    server = subprocess.Popen(himaya("serve", "--port", str(port), "--workers", str(args.workers)), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        login = {"grant_type": "password", "username": "bench.registrar", "password": PASSWORD}
        token = httpx.post(f"{base}/auth/token", data=login).json()["access_token"]

        def path(rng: random.Random) -> str:
            return f"/families/{rng.choice(families)}/entitlements?period=2026-01"

        asyncio.run(run_load(port, token, path, args.clients, 3, args.interval))  # warm-up: plans, caches
        paced = asyncio.run(run_load(port, token, path, args.clients, args.seconds, args.interval))
        print(paced.line(f"paced, one request every {args.interval} s per client"))
        print(asyncio.run(run_load(port, token, path, args.clients, args.seconds, None)).line("flat out"))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
