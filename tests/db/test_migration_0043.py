"""Migration 0043 on a store holding a partner's repeated transaction_ids (kept before it refused
them): the earlier rows of a repetition lose their transaction_id, the last keeps it (txn/status by
transaction finds what it found before), and the unique index is made. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select

from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.tables import dci_transaction


@pytest.fixture
def at_0041(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    upgrade(engine, "0041")
    yield engine
    engine.dispose()


def test_repeated_transaction_ids_kept_before_keep_only_the_last(at_0041: Engine) -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [("c1", "p", "search", "t-1"), ("c2", "p", "search", "t-1"), ("c3", "p", "txn-status", "t-1"),
            ("c4", "q", "search", "t-1"), ("c5", "p", "search", "t-1"), ("c6", "p", "search", None)]  # fmt: skip
    with at_0041.begin() as connection:
        for n, (correlation, client, kind, transaction) in enumerate(rows):
            connection.execute(insert(dci_transaction).values(
                correlation_id=correlation, client=client, kind=kind, transaction_id=transaction, status="succ",
                created_at=at, message_id=f"m-{n}"))  # fmt: skip
    upgrade(at_0041)
    t = dci_transaction.c
    with at_0041.connect() as connection:
        kept = dict(connection.execute(select(t.correlation_id, t.transaction_id).order_by(t.id)).tuples().all())
    assert kept == {"c1": None, "c2": None, "c3": "t-1", "c4": "t-1", "c5": "t-1", "c6": None}
