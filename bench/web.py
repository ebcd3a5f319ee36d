"""Benchmark: the front office's two heaviest pages, over HTTP, paced, on a registry of 1 million.

    .venv/bin/python bench/web.py [--persons 1000000] [--rate 50] [--seconds 30] [--workers 2] [--fresh]

A synthetic registry of `--persons` (`himaya synth`, then `himaya registry import`) is kept
between runs in bench/out (a SQLite file); the enrollments of this month are synced (so the
public tables have figures) and a case worker of every branch is created. `himaya serve` is
started with `--workers` processes, the bench logs in through the login form (a session cookie,
as a browser would) and 10 clients ask, paced at `--rate` requests a second in all, each request
timed from the moment it was due (no coordinated omission):

- `GET /office/families/{random family}`: the members, and the entitlements of this month and the
  next explained as a citizen reads them (two runs of the rules, the statement in Arabic);
- `GET /public`: the public dashboard (the published tables, served from the tables kept for the
  data's version, the chart drawn by the server).

Then the family page flat out (each client's next request as soon as the last is answered). The
server's CPU time per family page (its processes' user and system time over the paced run, divided
by the pages answered) is printed beside the latencies: on a shared machine it is the figure that
compares two versions, the latencies depending on what else runs.
Targets (issue 14): the family page p99 at most 100 ms at 50 requests a second; the dashboard at
most 200 ms. The load generator runs on the same machine as the server and takes part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from himaya.bootstrap import hash_password
from himaya.core.clock import today
from himaya.core.periods import Period
from http_load import free_port, run_load

OUT = Path(__file__).parent / "out"
PASSWORD = "bench-password-123"
USER = "bench.web"
CLIENTS = 10
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def prepare(persons: int, fresh: bool) -> str:
    """The registry's URL, filled on the first run: import, this month's enrollments, the user."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"web-{persons}.db"
    if fresh:
        path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": "bench"}
    if not path.exists():
        people = OUT / f"web-{persons}.parquet"
        if not people.exists():
            subprocess.run(himaya("synth", "--persons", str(persons), "--seed", "7", "-o", str(people)), check=True)
        subprocess.run(himaya("db", "upgrade"), check=True, env=env, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run(himaya("registry", "import", str(people), "--as-of", "2025-12-01"), check=True, env=env)
        month = Period.containing(today("Asia/Muscat"))
        subprocess.run(
            himaya("enrollment", "sync", "--period", str(month)), check=True, env=env, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            himaya("users", "create", USER, "--role", "case_worker", "--branch", "all", "--generate-password"),
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        print(f"registry of {persons:,} persons imported and synced: {time.perf_counter() - started:.1f} s")
    subprocess.run(himaya("db", "upgrade"), check=True, env=env, stdout=subprocess.DEVNULL)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE app_user SET password_hash = :h WHERE username = :u"),
            {"h": hash_password(PASSWORD), "u": USER},
        )
        connection.execute(sa.text("DELETE FROM login_attempt"))
    with engine.connect() as connection:  # the bulk writes out of the write-ahead log before the load
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return url


def families(url: str) -> list[str]:
    with sa.create_engine(url).connect() as connection:
        return [row[0] for row in connection.execute(sa.text("SELECT family_number FROM family ORDER BY 1"))]


def session_cookie(base: str) -> str:
    """Log in through the form, as a browser does; the session cookie as `name=value`."""
    with httpx.Client(base_url=base, timeout=30) as client:
        token = CSRF.search(client.get("/office/login").text)
        assert token, "no login form"
        answer = client.post("/office/login", data={"username": USER, "password": PASSWORD, "csrf": token.group(1)})
        assert answer.status_code == 303, answer.text[:300]
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) of the process `pid` and of its living children: the server's
    workers (`himaya serve --workers N` starts N processes), read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            for child in children.read_text().split():
                found += [int(child), *_children(int(child))]
    return found


def wait_for(base: str) -> None:
    for _ in range(300):
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second in all, paced")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url = prepare(args.persons, args.fresh)
    numbers = families(url)
    print(f"registry of {args.persons:,} persons, {len(numbers):,} families")
    port = free_port()
    server = subprocess.Popen(
        himaya("serve", "--port", str(port), "--workers", str(args.workers)),
        env={**os.environ, "HIMAYA_DATABASE_URL": url},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base)
        cookie = session_cookie(base)
        interval = CLIENTS / args.rate

        def family(rng: random.Random) -> str:
            return f"/office/families/{rng.choice(numbers)}"

        def dashboard(_: random.Random) -> str:
            return "/public"

        # Warm-up: each server process's caches and plans; the dashboard's tables are computed once
        # per process and data version (about a second at a million), then served from memory.
        asyncio.run(run_load(port, "", family, CLIENTS, 3, interval, cookie))
        asyncio.run(run_load(port, "", dashboard, CLIENTS, 3, interval, cookie))
        used = cpu_seconds(server.pid)
        family_paced = asyncio.run(run_load(port, "", family, CLIENTS, args.seconds, interval, cookie))
        used = cpu_seconds(server.pid) - used
        print(family_paced.line(f"family page, paced, {args.rate:g} requests a second"))
        print(
            f"  the server's CPU: {used * 1000 / len(family_paced.latencies):.1f} ms a family page "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        public_paced = asyncio.run(run_load(port, "", dashboard, CLIENTS, args.seconds, interval, cookie))
        print(public_paced.line(f"public dashboard, paced, {args.rate:g} requests a second"))
        flat = asyncio.run(run_load(port, "", family, CLIENTS, args.seconds, None, cookie))
        print(flat.line("family page, flat out"))
    finally:
        server.terminate()
        server.wait()
    print(
        f"python {sys.version.split()[0]}, SQLite, {args.workers} server processes, "
        f"{os.cpu_count()} cores shared with the client"
    )


if __name__ == "__main__":
    main()
