"""Benchmark: the front office's two heaviest pages, over HTTP against a local server.

    .venv/bin/python bench/web.py [--persons 2000] [--requests 200] [--warmup 20]

A synthetic registry of `--persons` (default 2,000) is imported into a fresh SQLite file in a
temporary directory, the enrollments of this month are synced (so the public tables have
figures), a case worker of every branch is created, and the service (API and pages, as `himaya
serve`) is started with uvicorn on 127.0.0.1 in this process. Then, one request at a time
(a bounded loop: `--requests` each, after `--warmup` untimed ones):

- `GET /office/families/{random family}`: the members, and the entitlements of this month and the
  next explained as a citizen reads them (two runs of the rules, the statement in Arabic);
- `GET /public`: the public dashboard (the published tables, served from the tables kept for the
  data's version, the chart drawn by the server).

It prints p50, p99 and the mean of each, in milliseconds, measured by the client (the time to the
last byte of the answer).
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import polars as pl
import uvicorn

from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password, payroll
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.service import create_app
from himaya.synth.generate import SynthRequest, for_file, generate

PASSWORD = "bench-password-123"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def prepare(folder: Path, persons: int) -> tuple[object, list[str]]:
    """The served app on a fresh registry, and its family numbers."""
    engine = connect(f"sqlite:///{folder / 'web.db'}")
    upgrade(engine)
    pack = load_pack()
    people = validate_table(
        for_file(generate(SynthRequest(persons=persons, seed=7)).people, "parquet"), pack.registry, source="bench"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="bench", source={"file": "synthetic"})
    month = Period.containing(today(pack.timezone))
    payroll.sync_enrollments(engine, pack, month, actor="bench", today=month.start)
    access.create_user(engine, "bench", hash_password(PASSWORD), actor="bench")
    access.grant(engine, "bench", roles=["case_worker"], scopes=[Scope("all")], actor="bench")
    app = create_app(engine, tokens=TokenSettings(key="bench-key-" + "0" * 32), files=folder / "files")
    return app, people["family_id"].unique().sort().to_list()


def serve(app: object) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def log_in(client: httpx.Client) -> None:
    page = client.get("/office/login").text
    token = CSRF.search(page)
    assert token, "no login form"
    answer = client.post("/office/login", data={"username": "bench", "password": PASSWORD, "csrf": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]


def timed(client: httpx.Client, paths: list[str], warmup: int) -> list[float]:
    """Milliseconds per request, one at a time, after `warmup` untimed requests."""
    for path in paths[:warmup]:
        client.get(path)
    times = []
    for path in paths[warmup:]:
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{name:<40} n={len(times):>4}  p50 {statistics.median(ordered):7.1f} ms"
        f"  p99 {p99:7.1f} ms  mean {statistics.fmean(ordered):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="himaya-web-bench-") as folder:
        started = time.perf_counter()
        app, families = prepare(Path(folder), args.persons)
        print(
            f"registry of {args.persons:,} persons, {len(families):,} families: {time.perf_counter() - started:.1f} s"
        )
        server, url = serve(app)
        pick = random.Random(1)
        count = args.warmup + args.requests
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                log_in(client)
                pages = [f"/office/families/{pick.choice(families)}" for _ in range(count)]
                report("family page with explanation", timed(client, pages, args.warmup))
                report("public dashboard (/public)", timed(client, ["/public"] * count, args.warmup))
        finally:
            server.should_exit = True
    print(f"python {sys.version.split()[0]}, polars {pl.__version__}, SQLite, one process, client on the same machine")


if __name__ == "__main__":
    main()
