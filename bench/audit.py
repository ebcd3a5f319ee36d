"""The audit chain's append and verify speed: one entry per transaction (as every read and write of
the service appends), then a verify of the whole chain, on SQLite or PostgreSQL.

    .venv/bin/python bench/audit.py --entries 5000                      # SQLite, a temporary file
    .venv/bin/python bench/audit.py --entries 5000 --postgres postgresql://postgres@127.0.0.1:5432/test

PostgreSQL runs in a schema of its own, dropped afterwards. It prints appends a second (wall and
CPU of this process) and verified entries a second; on a shared machine the wall time follows the
load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from himaya.db import audit
from himaya.db.engine import connect
from himaya.db.migrate import upgrade


def run(url: str, entries: int) -> None:
    engine = connect(url)
    upgrade(engine)
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(entries):
        with engine.begin() as connection:
            change = audit.Change("read", f"person:{90000000 + number}", None, {"what": "record"})
            audit.record(connection, [change], actor="bench")
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"append: {entries:,} entries in {wall:.2f} s: {entries / wall:,.0f} a second ({used:.2f} s CPU here)")
    started = time.perf_counter()
    with engine.connect() as connection:
        result = audit.verify(connection)
    wall = time.perf_counter() - started
    assert result.intact, result.problems
    print(f"verify: {result.entries:,} entries in {wall:.2f} s: {result.entries / wall:,.0f} a second")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'audit.db'}", args.entries)
        return
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in args.postgres else "?"
        run(f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args.entries)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
