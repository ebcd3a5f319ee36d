"""Benchmark: delivering the outbox by SMS through the test gateway (`tests/notify/gateway.py`, a
local process), on SQLite or PostgreSQL.

    PYTHONPATH=src:. .venv/bin/python bench/notify.py [--messages 500] [--database URL]

Queues N messages (with their address) in a fresh store (an SQLite file, or the given PostgreSQL
database, whose own schema it makes and drops), runs the sender once, and prints messages a second.
Each message is one HTTP request and one transaction (its result and audit entry, the next one's take).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from himaya.bootstrap import notify
from himaya.core.clock import now
from himaya.core.settings import NotifySettings
from himaya.db.case_tables import notification_outbox
from himaya.db.engine import connect
from himaya.db.migrate import upgrade

GATEWAY = Path(__file__).parents[1] / "tests" / "notify" / "gateway.py"


def run(url: str, messages: int, folder: Path) -> None:
    engine = connect(url)
    upgrade(engine)
    rows = [
        {"recipient": "bench", "channel": "sms", "language": "ar", "subject": "s", "body": "رسالة", "state": "pending"}
        | {"attempts": 0, "created_at": now(), "address": f"9{i:07d}"}
        for i in range(messages)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(notification_outbox), rows)
    log = folder / "gateway.jsonl"
    gateway = subprocess.Popen([sys.executable, str(GATEWAY), str(log)], stdout=subprocess.PIPE, text=True)
    try:
        assert gateway.stdout is not None
        config = NotifySettings(
            sms_url=f"http://127.0.0.1:{int(gateway.stdout.readline())}/sms", sms_token="test-token"
        )
        start = time.perf_counter()
        done = notify.send(engine, config, actor="bench")
        took = time.perf_counter() - start
    finally:
        gateway.kill()
    received = len(log.read_text(encoding="utf-8").splitlines())
    print(
        f"{engine.dialect.name}: {messages} messages in {took:.2f} s ({messages / took:.0f}/s);"
        f" {done.counts}; the gateway got {received}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database", help="a PostgreSQL URL (default: an SQLite file)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not options.database:
            run(f"sqlite:///{folder}/bench.db", options.messages, Path(folder))
            return
        schema = f"bench_notify_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(options.database.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            run(f"{options.database}?options=-csearch_path%3D{schema}", options.messages, Path(folder))
        finally:
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
