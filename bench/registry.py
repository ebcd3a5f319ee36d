"""Benchmark: `himaya registry import` and `himaya registry dedup` on 1 million persons, both databases.

    .venv/bin/python bench/registry.py [--persons 1000000] [--databases sqlite,postgresql] [--no-dedup] [--subscribed]

Makes a synthetic population with 1 % duplicate registrations, then for each database: a fresh
store, the import as a whole process, the same import again (every row compared, nothing
changed), and the duplicate search with its precision and recall against the ground truth.
Each import prints its persons per second, its total and the seconds of each of its steps
(`registry_phases.py` times them inside the real command).
With `--subscribed`, a partner holds two DCI subscriptions before the imports (a registration of
anyone, a death in one wilayat): the first import queues a notification for every person it
creates (issue 22), in its transaction, with one statement for the notifications and one for their
deliveries; the `notify` step prints its seconds. Compare with a run without it for the overhead.
Targets: import of 1 million <= 2 min on either database (issue: the unified registry); 5.2 million
into PostgreSQL <= 3 min (issue 18); dedup <= 2 min with precision >= 0.95 and recall >= 0.90.
PostgreSQL is the local `test` database (a schema of its own), with the server's own settings
(`docs/scale.md` says which help).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from himaya import bootstrap
from himaya.db.engine import connect
from himaya.registry.partners import RecordEvent, Subscription, SubscriptionStatus
from himaya.registry.query import Condition, Field, Not, Operator, dumps

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, run_measured

OUT = Path(__file__).parent / "out"
POSTGRES = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def timed_import(database: str, label: str, people: Path, persons: int) -> tuple[float, float]:
    """The import as a whole process, with its steps' seconds printed; returns wall seconds and peak GB."""
    phases = OUT / "registry-phases.json"
    phases.unlink(missing_ok=True)
    load = os.getloadavg()[0]  # the machine's load when the import starts (others' work included)
    taken = measure(
        [
            sys.executable,
            str(Path(__file__).parent / "registry_phases.py"),
            str(phases),
            "registry",
            "import",
            str(people),
        ]
    )
    found = json.loads(phases.read_text()) if phases.exists() else {}
    server = found.get("server_cpu")
    print(
        f"{database}: {label} {persons:,} persons in {taken.wall:.1f} s ({persons / taken.wall:,.0f} persons/s);"
        f" CPU {taken.cpu:.1f} s here" + (f" + {server:.1f} s in the server" if server is not None else "") + ";"
        f" peak {taken.gigabytes:.2f} GB; load average at the start {load:.1f}",
        flush=True,
    )
    for step, seconds in found.get("steps", []):
        print(f"    {step:<24} {seconds:8.1f} s", flush=True)
    return taken.wall, taken.gigabytes


def subscribe(url: str) -> None:
    """A partner system with a registration subscription matching everyone and a death one in one wilayat."""
    made = himaya("users", "create", "bench.partner", "--client", "--role", "partner", "--branch", "all")
    subprocess.run([*made, "--generate-password"], check=True, capture_output=True)
    everyone = Not(Condition(Field.CIVIL_NUMBER, Operator.EQ, ("",)))
    nizwa = Condition(Field.WILAYAT, Operator.EQ, ("Nizwa",))
    engine = connect(url)
    with bootstrap.unit_of_work(engine) as uow:
        for number, (event, found) in enumerate(((RecordEvent.REGISTER, everyone), (RecordEvent.DEATH, nizwa))):
            kept = Subscription(
                f"sub-bench-{number}", "bench.partner", f"ref-{number}", event, event.value, "expression", "{}",
                dumps(found), "SRPerson", "http://127.0.0.1:9/notify", SubscriptionStatus.SUBSCRIBE, datetime.now(UTC),
            )  # fmt: skip
            uow.subscriptions.add(kept, "bench")
        uow.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-dedup", action="store_true", help="Time the imports only.")
    parser.add_argument("--subscribed", action="store_true", help="With a partner's DCI subscriptions (issue 22).")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"registry-{args.persons}.parquet"
    truth = OUT / f"registry-{args.persons}.duplicates.csv"
    if not people.exists():
        subprocess.run(
            himaya(
                "synth", "--persons", str(args.persons), "--seed", "4", "--duplicates", "0.01", "--output", str(people)
            ),
            check=True,
        )
    for database in args.databases.split(","):
        schema = None
        if database == "sqlite":
            path = OUT / "registry-bench.db"
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            schema = f"himaya_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
            with admin.begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        os.environ["HIMAYA_DATABASE_URL"] = url
        try:
            subprocess.run(himaya("db", "upgrade"), check=True, capture_output=True)
            if args.subscribed:
                subscribe(url)
            first = timed_import(database, "import", people, args.persons)
            second = timed_import(database, "import again", people, args.persons)
            summary = (
                f"{database}: import {first[0]:.1f} s ({first[1]:.2f} GB);"
                f" import again {second[0]:.1f} s ({second[1]:.2f} GB)"
            )
            if not args.no_dedup:
                dedup = run_measured(himaya("registry", "dedup", "--truth", str(truth)))
                summary += f"; dedup {dedup[0]:.1f} s ({dedup[1]:.2f} GB)"
            print(summary, flush=True)
        finally:
            if schema is not None:
                with admin.begin() as connection:
                    connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
