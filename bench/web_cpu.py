"""Benchmark: the CPU one family page costs, in one process (no HTTP, no load generator).

    .venv/bin/python bench/web_cpu.py [--persons 100000] [--requests 300] [--profile]

On the registry `bench/web.py` keeps in bench/out (built there on the first run, `--persons` of
them), the service's application (`himaya.service.create_app`, as `himaya serve` runs it) is asked
for random families' pages one after another through Starlette's test client, logged in as
bench/web.py's case worker (in Arabic, the default, as bench/web.py asks). It prints the CPU time of the
whole process (every thread: the rules are evaluated on the explainer's) per page, and the wall
time; with `--profile`, cProfile's view of the request thread and the explainer's (the functions
that took the most time, inclusive). The test client's own part (building and reading the HTTP
exchange in memory) is in the figure: a few tenths of a millisecond.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import threading
import time

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as `himaya serve --workers 2` runs each process

from fastapi.testclient import TestClient

from himaya.db.engine import connect
from himaya.service import create_app
from web import CSRF, PASSWORD, USER, families, prepare


def client_for(url: str) -> TestClient:
    client = TestClient(create_app(connect(url)), base_url="http://testserver")
    token = CSRF.search(client.get("/office/login").text)
    assert token, "no login form"
    answer = client.post(
        "/office/login", data={"username": USER, "password": PASSWORD, "csrf": token.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def run(client: TestClient, numbers: list[str], count: int, rng: random.Random) -> tuple[float, float]:
    """CPU and wall milliseconds per page over `count` random families."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        answer = client.get(f"/office/families/{rng.choice(numbers)}")
        assert answer.status_code == 200, answer.text[:300]
    return (time.process_time() - cpu) * 1000 / count, (time.perf_counter() - wall) * 1000 / count


def profiled(client: TestClient, numbers: list[str], count: int, rng: random.Random) -> str:
    """cProfile of the request thread and of the explainer's thread, merged."""
    profiles = [cProfile.Profile()]

    def trace(*_: object) -> None:  # a profile in each thread that starts (the explainer's)
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()

    threading.setprofile(trace)
    explainer = client.app.state.explainer  # type: ignore[attr-defined]
    explainer._thread = None  # restarted (profiled) on the next request
    profiles[0].enable()
    run(client, numbers, count, rng)
    profiles[0].disable()
    threading.setprofile(None)  # type: ignore[arg-type]
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for profile in profiles[1:]:
        profile.create_stats()
        stats.add(profile)
    stats.sort_stats("cumulative").print_stats(70)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url = prepare(args.persons, False)
    numbers = families(url)
    client = client_for(url)
    rng = random.Random(7)
    run(client, numbers, 30, rng)  # warm: plans, templates, the explainer's thread
    if args.profile:
        print(profiled(client, numbers, args.requests, rng))
        return
    cpu, wall = run(client, numbers, args.requests, rng)
    print(
        f"family page in process, {args.persons:,} persons, {args.requests} pages one after another: "
        f"{cpu:.1f} ms CPU a page, {wall:.1f} ms wall (load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
