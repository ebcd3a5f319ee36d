"""The registry's reads (a person, a search, a family's members and tables, the family page's
view) read without the write lock and then write their audit entry in a short block of its own: on
SQLite a read under the lock made every other request wait for it (the family page at 50 a second
queued behind itself), and a name search of a million people held it for a tenth of a second."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from himaya.core.access import Principal, Scope
from himaya.db.registry_import import import_people
from himaya.db.tables import audit_entry
from himaya.db.uow import SqlUnitOfWork
from himaya.registry import actions
from himaya.registry.model import Search
from himaya.registry.views import family_view

EVERYWHERE = Principal("officer", frozenset(), frozenset(), (Scope("all"),))


class WatchedUnitOfWork(SqlUnitOfWork):
    """Notes, each time the registry's store is used, whether the block is a reading one."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.reads_locked: list[bool] = []

    @property
    def registry(self) -> Any:
        self.reads_locked.append(not self._reading)
        return super().registry


@pytest.fixture
def registry(engine: Engine, synthetic: pl.DataFrame) -> tuple[Engine, pl.DataFrame]:
    import_people(engine, synthetic, as_of=date(2026, 1, 15), actor="test", source={"file": "people.parquet"})
    return engine, synthetic


def _entries(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(audit_entry.c.action, audit_entry.c.subject).order_by(audit_entry.c.id))
        return [(r.action, r.subject) for r in rows]


READS: dict[str, Callable[[WatchedUnitOfWork, str, str], Any]] = {
    "person": lambda uow, person, _: actions.read(uow, person, "record", principal=EVERYWHERE),
    "search": lambda uow, person, _: actions.search(
        uow, Search(number=person), limit=10, offset=0, principal=EVERYWHERE
    ),
    "members": lambda uow, _, family: actions.family_members(uow, family, principal=EVERYWHERE),
    "table": lambda uow, _, family: actions.family_table(uow, family, date(2026, 2, 28), principal=EVERYWHERE),
    "family page": lambda uow, _, family: family_view(
        uow, family, [date(2026, 2, 28), date(2026, 3, 31)], principal=EVERYWHERE
    ),
}


@pytest.mark.parametrize("read", list(READS))
def test_a_registry_read_takes_no_write_lock_and_is_audited_once(
    registry: tuple[Engine, pl.DataFrame], read: str
) -> None:
    engine, people = registry
    person, family = people["person_id"][0], people["family_id"][0]
    before = len(_entries(engine))
    uow = WatchedUnitOfWork(engine)
    assert READS[read](uow, person, family) is not None
    assert uow.reads_locked and not any(uow.reads_locked), "the registry was read under the write lock"
    entries = _entries(engine)
    assert len(entries) == before + 1
    assert entries[-1][0] == "read"
    assert entries[-1][1] in (f"person:{person}", "people:search", f"family:{family}")


def test_a_read_waits_for_no_writer(registry: tuple[Engine, pl.DataFrame]) -> None:
    """While another transaction holds the write lock, the family's reading block runs to its end
    (only the audit entry after it waits for the lock)."""
    engine, people = registry
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock taken as a transaction begins is SQLite's")
    family = people["family_id"][0]
    with SqlUnitOfWork(engine) as writer:
        writer.audit.record_read("thing:held", {"n": 1}, actor="tester")  # the lock is held
        uow = SqlUnitOfWork(engine)
        with uow.reading():
            table = uow.registry.family_table(EVERYWHERE, family, date(2026, 2, 28))
        assert table is not None and not table.is_empty()
        writer.commit()
