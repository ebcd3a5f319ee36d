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
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from himaya.bootstrap import hash_password

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection, as a client that costs little CPU: the load generator
    shares the machine with the server, and a full client library would take a good part of it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> None:
        self.reader, self.writer, self.token = reader, writer, token

    @classmethod
    async def open(cls, port: int, token: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, token)

    async def get(self, path: str) -> int:
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return status


async def load(
    port: int, token: str, families: list[str], clients: int, seconds: float, interval: float | None
) -> None:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        rng = random.Random(number)
        connection = await Connection.open(port, token)
        due = time.perf_counter() + rng.uniform(0, interval or 0)
        while due < deadline:
            if interval is not None:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            start = due if interval is not None else time.perf_counter()
            status = await connection.get(f"/families/{rng.choice(families)}/entitlements?period=2026-01")
            latencies.append(time.perf_counter() - start)
            errors += status != 200
            due = due + interval if interval is not None else time.perf_counter()
        connection.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    name = f"paced, one request every {interval} s per client" if interval else "flat out"
    print(
        f"{name}: {len(latencies):,} requests in {elapsed:.1f} s ({len(latencies) / elapsed:,.0f}/s), {errors} errors; "
        f"latency p50 {pct(0.50):.1f} ms, p90 {pct(0.90):.1f} ms, p99 {pct(0.99):.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )


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
        asyncio.run(load(port, token, families, args.clients, 3, args.interval))  # warm-up: plans, caches
        asyncio.run(load(port, token, families, args.clients, args.seconds, args.interval))
        asyncio.run(load(port, token, families, args.clients, args.seconds, None))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
