"""Where one branch inbox request spends its time: in-process, on the registry of bench/cases.py.

    .venv/bin/python bench/cases_profile.py [--persons 1000000] [--cases 2000000] [--requests 300]
                                            [--postgres] [--profile]

Run bench/cases.py first (it builds the registry and its user). The service is made in this process
(`create_app`) and asked for `--requests` inbox pages of the bench's mix, one after the other, with
the time of each phase summed: the token's check and the user (`current_principal`), the store's
read (`SqlCaseStore.inbox`), the audit entry (`audit.record`), the commit, and the rest (routing,
validation, serialisation). Then each filter's SQL and its plan (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN ANALYZE on PostgreSQL). `--profile` adds cProfile's 25 costliest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cases import PASSWORD, TODAY, USER, database, inbox_path
from himaya.api import app as api_app
from himaya.api import security
from himaya.cases.model import Inbox
from himaya.db import audit
from himaya.db import engine as db_engine
from himaya.db.access import load_user
from himaya.db.stores.cases import SqlCaseStore
from himaya.db.uow import SqlUnitOfWork

SPENT: dict[str, float] = defaultdict(float)  # wall time
CPU: dict[str, float] = defaultdict(float)  # the process's CPU time (a shared machine's load aside)


@contextmanager
def phase(name: str) -> Iterator[None]:
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        SPENT[name] += time.perf_counter() - started
        CPU[name] += time.process_time() - cpu


def timed(owner: Any, attribute: str, name: str) -> None:
    """Wrap `owner.attribute` so that its time is summed under `name`."""
    original: Callable[..., Any] = getattr(owner, attribute)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with phase(name):
            return original(*args, **kwargs)

    setattr(owner, attribute, wrapper)


def instrument() -> None:
    timed(security, "decode_access", "token decode")
    timed(security, "acting_principal", "user and roles")
    timed(SqlCaseStore, "inbox", "inbox SQL")
    timed(audit, "record", "audit entry")
    timed(SqlUnitOfWork, "commit", "commit")
    timed(SqlUnitOfWork, "__enter__", "begin (connect, BEGIN)")


def plans(engine: sa.Engine, postgres: bool) -> None:
    """Each filter of the mix on page 1 and page 5: its statements and their plans."""
    with engine.connect() as connection:
        user = load_user(connection, USER)
        assert user is not None
        principal = user.principal
        day = TODAY + timedelta(days=5)
        mixes = {
            "no filter": Inbox(),
            "state": Inbox(state="in_review"),
            "type": Inbox(type="appeal"),
            "type and state": Inbox(type="grievance", state="received"),
            "due before": Inbox(due_before=day),
        }
        for name, wanted in mixes.items():
            for page in (1, 5):
                statements: list[str] = []
                keep = functools.partial(_keep, statements, postgres)
                sa.event.listen(engine, "before_cursor_execute", keep)
                started = time.perf_counter()
                store = SqlCaseStore(connection)
                rows = store.inbox(principal, wanted, limit=50, offset=(page - 1) * 50)
                took = (time.perf_counter() - started) * 1000
                sa.event.remove(engine, "before_cursor_execute", keep)
                print(f"\n--- {name}, page {page}: {len(rows)} rows, {took:.1f} ms, {len(statements)} statement(s)")
                for statement in statements:
                    explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
                    for line in connection.exec_driver_sql(explain + statement).all():
                        print("   ", line[-1])


def _keep(statements: list[str], postgres: bool, *args: Any) -> None:
    """A `before_cursor_execute` listener: the statement with its parameters written in."""
    statement, parameters = args[2], args[3]
    statements.append(statement % _quoted(parameters) if postgres else _inline(statement, parameters))


def _quoted(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {k: _literal(v) for k, v in parameters.items()}
    return tuple(_literal(v) for v in parameters)


def _literal(value: Any) -> str:
    return "NULL" if value is None else f"'{value}'" if not isinstance(value, bool | int) else str(value)


def _inline(statement: str, parameters: Any) -> str:
    for value in parameters:
        statement = statement.replace("?", _literal(value), 1)
    return statement


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url, empty = database(args.persons, args.cases, args.postgres, fresh=False)
    if empty:
        sys.exit("run bench/cases.py first: it builds the registry")
    engine = db_engine.connect(url, service=True)
    instrument()
    client = TestClient(api_app.create_app(engine))
    token = client.post("/auth/token", data={"grant_type": "password", "username": USER, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    rng = random.Random(7)
    for _ in range(20):  # warm-up
        client.get(inbox_path(rng), headers=headers)
    SPENT.clear()
    CPU.clear()
    cpu = time.process_time()
    profiler = cProfile.Profile() if args.profile else None
    latencies = []
    started = time.perf_counter()
    for _ in range(args.requests):
        path = inbox_path(rng)
        begun = time.perf_counter()
        if profiler:
            profiler.enable()
        answer = client.get(path, headers=headers)
        if profiler:
            profiler.disable()
        latencies.append(time.perf_counter() - begun)
        assert answer.status_code == 200, answer.text
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies.sort()
    per = 1000 / args.requests
    print(f"{args.requests} requests one after the other: {total * per:.2f} ms each, {cpu * per:.2f} ms of CPU")
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"  {'phase':28} {'wall':>9} {'CPU':>9}")
    for name, seconds in SPENT.items():
        print(f"  {name:28} {seconds * per:6.2f} ms {CPU[name] * per:6.2f} ms")
    rest, rest_cpu = total - sum(SPENT.values()), cpu - sum(CPU.values())
    print(f"  {'the rest (HTTP, serialise)':28} {rest * per:6.2f} ms {rest_cpu * per:6.2f} ms")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    plans(engine, args.postgres)


if __name__ == "__main__":
    main()
