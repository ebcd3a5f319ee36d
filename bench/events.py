"""Benchmark: a year of life events, from the inbox to the enrollments changed.

    .venv/bin/python bench/events.py [--events 100000] [--persons 300000] [--database sqlite|postgresql]
                                     [--batch 5000]

A synthetic registry (`--persons`) is imported into a fresh store (SQLite, or a schema of its own in
the local PostgreSQL test database); then `--events` events are made from it, dated over the year
before today: births to married women of 18 to 45 (a new civil number each), deaths of people in the
registry, marriages of single adults, in proportions like Oman's (births 60 %, deaths 15 %,
marriages 25 %). They are received into the inbox (timed) and processed by the worker (timed: the
registry written, the inbox settled, the audit entries, and the enrollments of every affected
family planned again once the batches are written). Target (DESIGN.md section 6): at least 2,000
events a second. Besides the wall time it prints the worker's CPU time (this process, and on a local
PostgreSQL the server processes' too, read from /proc) and the load average, for a shared machine
where the wall time mostly measures the others' work. Figures: docs/events.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.db.conftest import postgres_schema

from himaya import bootstrap
from himaya.adapters.records import PackContract
from himaya.core.clock import today
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.events import actions
from himaya.events.model import LifeEvent
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate

OUT = Path(__file__).parent / "out"


def make_events(people: pl.DataFrame, count: int, day: date, seed: int) -> list[LifeEvent]:
    rng = random.Random(seed)
    age = (pl.lit(day) - pl.col("birth_date")).dt.total_days() // 365
    mothers = people.filter(pl.col("sex") == "F", pl.col("marital_status") == "married", age.is_between(18, 45))
    singles = people.filter(pl.col("marital_status") == "single", age >= 20)["person_id"].to_list()
    mothers_ids, everyone = mothers["person_id"].to_list(), people["person_id"].to_list()
    used = set(everyone)
    dead = rng.sample(everyone, int(count * 0.15))
    married = rng.sample(singles, min(len(singles), int(count * 0.25)))
    events = []
    for n, person in enumerate(dead):
        events.append(LifeEvent("bench", f"D{n}", "death", day - timedelta(days=rng.randrange(365)),
                                {"person_id": person}))  # fmt: skip
    for n, person in enumerate(married):
        events.append(LifeEvent("bench", f"M{n}", "marriage", day - timedelta(days=rng.randrange(365)),
                                {"person_id": person}))  # fmt: skip
    births = count - len(events)
    # Each mother once, as in a year (twins aside), while there are mothers enough.
    chosen = rng.sample(mothers_ids, min(births, len(mothers_ids)))
    chosen += [rng.choice(mothers_ids) for _ in range(births - len(chosen))]
    for n, mother in enumerate(chosen):
        child = str(rng.randrange(10_000_000, 99_999_999))
        while child in used:
            child = str(rng.randrange(10_000_000, 99_999_999))
        used.add(child)
        facts = {"person_id": child, "mother_id": mother, "sex": rng.choice("FM")}
        events.append(LifeEvent("bench", f"B{n}", "birth", day - timedelta(days=rng.randrange(365)), facts))
    rng.shuffle(events)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--batch", type=int, default=actions.BATCH)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.database == "sqlite":
        path = OUT / "events-bench.db"
        path.unlink(missing_ok=True)
        run(f"sqlite:///{path}", args)
    else:
        with postgres_schema("himaya_bench_events") as url:
            run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    pack = load_pack()
    engine = connect(url)
    upgrade(engine)
    started = time.perf_counter()
    people = validate_table(
        for_file(generate(SynthRequest(persons=args.persons, seed=5)).people, "parquet"), pack.registry, source="synth"
    )
    day = today(pack.timezone)
    import_people(engine, people, as_of=day - timedelta(days=400), actor="bench", source={"file": "synth"})
    print(f"registry: {people.height:,} persons in {time.perf_counter() - started:.1f} s")
    events = make_events(people, args.events, day, seed=7)
    uow = bootstrap.unit_of_work(engine)
    started = time.perf_counter()
    received = actions.receive(uow, events, today=day, actor="bench")
    receive_s = time.perf_counter() - started
    print(f"receive: {received.received:,} events in {receive_s:.1f} s ({received.received / receive_s:,.0f}/s)")
    contract = PackContract(pack, days_ahead=30)
    server = _server_clock(engine)
    cpu, started = time.process_time(), time.perf_counter()
    done = actions.process(uow, contract, actor="bench", batch=args.batch)
    process_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    server_s = server() if server is not None else 0.0
    rate = args.events / process_s
    print(
        f"process: {done.applied:,} applied, {done.held:,} held, {done.needs_review:,} to review, {done.failed:,}"
        f" failed, {done.duplicate:,} duplicate in {done.batches} batches: {process_s:.1f} s ({rate:,.0f} events/s)"
    )
    spent = cpu_s + server_s
    print(
        f"CPU: worker {cpu_s:.1f} s" + (f" + PostgreSQL {server_s:.1f} s" if server is not None else "")
        + f" = {spent:.1f} s ({args.events / spent:,.0f} events per CPU second);"
        f" load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )  # fmt: skip
    with engine.connect() as connection:
        enrollments = connection.execute(sa.text("SELECT count(*) FROM enrollment")).scalar()
    print(f"enrollments changed: {enrollments:,}; database {args.database}, batch {args.batch}")
    engine.dispose()


def _server_clock(engine: sa.Engine) -> Callable[[], float] | None:
    """On a PostgreSQL server running here, the CPU seconds its processes serving the engine's
    connections opened from now on have used since they opened (read in /proc)."""
    if engine.dialect.name != "postgresql" or engine.url.host not in ("127.0.0.1", "localhost"):
        return None
    engine.dispose()  # the worker's connections are new ones, each counted from its start
    since: dict[int, float] = {}

    def opened(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = int(cursor.fetchone()[0])
        dbapi_connection.rollback()
        since[pid] = _cpu(pid)

    sa.event.listen(engine, "connect", opened)
    return lambda: sum(_cpu(pid) - start for pid, start in since.items())


def _cpu(pid: int) -> float:
    """The CPU seconds (user and system) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
