"""The unit of work: check, write and audit entry in one transaction; events after the commit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from himaya.core.audit import Change
from himaya.core.errors import ConflictError
from himaya.core.events import Event
from himaya.db.tables import audit_entry
from himaya.db.uow import SqlUnitOfWork


@dataclass(frozen=True)
class Noted(Event):
    subject: str


def _entries(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(audit_entry)).scalar_one())


def test_a_unit_of_work_commits_its_audit_entry_then_tells_its_events(engine: Engine) -> None:
    told: list[Event] = []
    before = _entries(engine)
    with SqlUnitOfWork(engine, dispatch=told.extend) as uow:
        uow.audit.record([Change("test.note", "thing:1", None, {"n": 1})], actor="tester")
        uow.emit(Noted("thing:1"))
        assert told == []  # nothing is told before the commit
        uow.commit()
    assert told == [Noted("thing:1")]
    assert _entries(engine) == before + 1


def test_a_unit_of_work_left_without_commit_writes_nothing_and_tells_nothing(engine: Engine) -> None:
    told: list[Event] = []
    before = _entries(engine)
    with pytest.raises(ConflictError), SqlUnitOfWork(engine, dispatch=told.extend) as uow:
        uow.audit.record([Change("test.note", "thing:2", None, None)], actor="tester")
        uow.emit(Noted("thing:2"))
        raise ConflictError("refused after the write: all of it is undone")
    assert told == []
    assert _entries(engine) == before


def test_a_reading_unit_reads_beside_a_writer_and_writes_no_audit_entry(engine: Engine) -> None:
    """On SQLite a plain transaction takes the write lock as it begins: a reading one does not, so
    it reads while a writer holds the lock (here: it would wait for the lock's 30 s, then fail)."""
    before = _entries(engine)
    with SqlUnitOfWork(engine) as writer:
        writer.audit.record([Change("test.note", "thing:3", None, None)], actor="tester")  # the lock is held
        with SqlUnitOfWork(engine).reading() as reader:
            count = reader.connection.execute(select(func.count()).select_from(audit_entry)).scalar_one()
            assert count == before  # the writer's entry is not committed yet
            with pytest.raises(RuntimeError, match="reading unit of work writes nothing"):
                reader.audit.record_read("thing:3", {"n": 1}, actor="tester")
        writer.commit()
    uow = SqlUnitOfWork(engine)
    with uow.reading():
        pass
    with uow:  # the next block of the same unit writes again
        uow.audit.record_read("thing:3", {"n": 1}, actor="tester")
        uow.commit()
    assert _entries(engine) == before + 2
