"""Benchmark: reconcile a bank's answer of 1.5 million statuses (a whole month of Oman) at once.

    .venv/bin/python bench/reconcile.py [--lines 1500000] [--database sqlite|postgresql]

A store is filled directly (people, one exported run, its lines in messages of 50,000 transfers),
then `himaya.payroll.actions.reconcile` applies one answer naming every line: staged in one temporary
table, checked in one statement, applied in one. Prints the wall and CPU time and the number of
SQL statements: bounded, whatever the number of statuses (issue 20, item 10). Before, the
statuses went into one `IN` list, which SQLite refused between 50,000 and 300,000 values.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import event, insert, literal, select
from sqlalchemy.schema import DropTable

from himaya.bootstrap import payroll as store
from himaya.db import staging
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.tables import payment_line, payroll_run, person
from himaya.payroll.bank import BankReply, Status

OUT = Path(__file__).parent / "out"
MESSAGE = 50_000
JANUARY = date(2026, 1, 1)


def _fill(engine: object, lines: int) -> None:
    """People 1..lines, one exported run, one exported line each (in set-based statements)."""
    stamp = datetime(2026, 1, 20, tzinfo=UTC)
    ids = pl.int_range(0, lines, eager=True)
    people = pl.DataFrame({"civil_number": ids.cast(pl.String).str.zfill(8)})
    frame = people.with_columns(
        pl.format("HMYCH2601-{}", "civil_number").alias("end_to_end_id"),
        pl.format("HIMAYA-202601-018-{}", (ids // MESSAGE + 1)).alias("message_id"),
    )
    with engine.begin() as connection:  # type: ignore[attr-defined]
        s = staging.load(connection, "bench_people", frame)
        connection.execute(
            insert(person).from_select(
                ["civil_number", "sex", "birth_date", "nationality", "version", "created_at", "updated_at"],
                select(
                    s.c.civil_number,
                    literal("F"),
                    literal(date(1980, 1, 1)),
                    literal("OM"),
                    literal(1),
                    literal(stamp),
                    literal(stamp),
                ),
            )
        )
        run_id = connection.execute(
            insert(payroll_run)
            .values(period=JANUARY, state="exported", created_by="bench", created_at=stamp, version=4)
            .returning(payroll_run.c.id)
        ).scalar_one()
        connection.execute(
            insert(payment_line).from_select(
                [
                    "run_id",
                    "person_id",
                    "programme",
                    "month",
                    "kind",
                    "amount",
                    "payee_id",
                    "iban",
                    "bank_code",
                    "end_to_end_id",
                    "status",
                    "message_id",
                ],
                select(
                    literal(run_id),
                    person.c.id,
                    literal("child"),
                    literal(JANUARY),
                    literal("regular"),
                    literal(10_000),
                    person.c.id,
                    literal("OM810180000001299123456"),
                    literal("018"),
                    s.c.end_to_end_id,
                    literal("exported"),
                    s.c.message_id,
                ).join(s, s.c.civil_number == person.c.civil_number),
            )
        )
        connection.execute(DropTable(s))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_500_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    database = OUT / "reconcile-bench.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    if args.database == "postgresql":
        schema = f"himaya_reconcile_{os.getpid()}"
        postgres = os.environ.get("HIMAYA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        subprocess.run(["psql", postgres, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        url = f"{postgres}?options=-csearch_path%3D{schema}"
    engine = connect(url)
    upgrade(engine)
    started = time.perf_counter()
    _fill(engine, args.lines)
    print(f"setup: {args.lines:,} exported lines in {time.perf_counter() - started:.1f} s", flush=True)
    messages = [f"HIMAYA-202601-018-{n}" for n in range(1, (args.lines - 1) // MESSAGE + 2)]
    statuses = [
        Status(f"HMYCH2601-{i:08d}", "paid", None, f"HIMAYA-202601-018-{i // MESSAGE + 1}", 10_000, "OMR", None)
        for i in range(args.lines)
    ]
    reply = BankReply("camt.054.001.08", messages, statuses)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    wall, cpu = time.perf_counter(), time.process_time()
    result = store.reconcile(engine, reply, Path("answer.xml"), actor="bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.paid == args.lines and result.runs == ["2026-01"], result
    print(
        f"reconcile ({args.database}): {args.lines:,} statuses in {wall:.1f} s wall, {cpu:.1f} s CPU (this process), "
        f"{statements} SQL statements (executemany batches of {staging.BATCH:,} counted once each)"
    )


if __name__ == "__main__":
    main()
