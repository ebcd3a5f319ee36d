"""The registry's work while the monthly run writes its lines, on PostgreSQL (issue 18): its lines'
people are checked and locked once per statement (migration 0051), FOR KEY SHARE as a foreign key
would, so a merge goes on at once, and a person deleted meanwhile waits for the run, then is refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from himaya.bootstrap import payroll as store
from himaya.bootstrap.store import merge_people
from himaya.db.tables import enrollment, metadata, payment_line, person
from himaya.payroll import actions
from himaya.policy.pack import PolicyPack
from tests.db.test_payment_line_keys import _waiting
from tests.payroll.test_cycle import JANUARY, _ready


def _paid(engine: Engine, count: int) -> list[tuple[int, str]]:
    """Beneficiaries of committed lines who are their own payees: (row id, civil number)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(person.c.id, person.c.civil_number)
            .join(payment_line, payment_line.c.person_id == person.c.id)
            .where(payment_line.c.payee_id == person.c.id)
            .distinct()
            .order_by(person.c.id)
            .limit(count)
        ).all()
    return [(int(key), str(civil)) for key, civil in rows]


def _while_the_lines_are_written(monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]) -> None:
    """`act` runs once the run has inserted its lines, before it commits."""
    real = actions.checkpoint

    def meanwhile(name: str) -> None:
        if name == "payroll.run:lines":
            act()
        real(name)

    monkeypatch.setattr(actions, "checkpoint", meanwhile)


def _dangling(engine: Engine) -> int:
    with engine.connect() as connection:
        named = sa.union_all(sa.select(payment_line.c.person_id.label("key")), sa.select(payment_line.c.payee_id))
        keys = named.subquery()
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(keys).where(~sa.exists().where(person.c.id == keys.c.key))
            ).scalar_one()
        )


@pytest.fixture
def calculated(engine: Engine, database_url: str, synthetic: pl.DataFrame, oman: PolicyPack) -> Engine:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: the registry waits for the run whatever it does")
    _ready(engine, synthetic, oman)  # January calculated once; the tests calculate it again
    return engine


def test_a_person_merged_while_the_run_writes_is_not_waited_for(
    calculated: Engine, oman: PolicyPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(_, drop)] = _paid(calculated, 1)
    with calculated.connect() as connection:  # someone not enrolled: the dropped record's enrollments move to them
        keep = connection.execute(
            sa.select(person.c.civil_number)
            .where(~sa.exists().where(enrollment.c.person_id == person.c.id))
            .order_by(person.c.id)
            .limit(1)
        ).scalar_one()
    outcome: list[Any] = []

    def merge() -> None:
        thread = threading.Thread(target=lambda: outcome.append(
            merge_people(calculated, keep, drop, actor="registrar", as_of=date(2026, 1, 10))))  # fmt: skip
        thread.start()
        thread.join(30)  # done while the run's transaction is still open: nothing waited for it
        assert not thread.is_alive() and outcome, "the merge waited for the run"

    _while_the_lines_are_written(monkeypatch, merge)
    summary = store.calculate(calculated, oman, JANUARY, actor="maker")
    assert summary.lines > 0 and _dangling(calculated) == 0
    with calculated.connect() as connection:
        merged = connection.execute(sa.select(person.c.merged_into).where(person.c.civil_number == drop)).scalar()
    assert merged is not None


def _delete_everything_of(engine: Engine, key: int, pids: list[int]) -> None:
    """The person's rows in every table that names them, then the person (payment lines excepted)."""
    with engine.begin() as connection:
        pids.append(int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
        for table in reversed(metadata.sorted_tables):
            for key_constraint in table.foreign_key_constraints:
                if key_constraint.referred_table is person and table not in (payment_line, person):
                    column = key_constraint.columns[0]
                    connection.execute(sa.delete(table).where(column == key))
        connection.execute(sa.delete(person).where(person.c.id == key))


def test_a_person_deleted_while_the_run_writes_waits_and_is_refused(
    calculated: Engine, oman: PolicyPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(key, civil)] = _paid(calculated, 1)
    pids: list[int] = []
    outcome: list[BaseException] = []

    def delete() -> None:
        try:
            _delete_everything_of(calculated, key, pids)
        except BaseException as error:
            outcome.append(error)

    deleter = threading.Thread(target=delete)

    def start_the_delete() -> None:
        deleter.start()
        while not pids and deleter.is_alive():
            time.sleep(0.01)
        _waiting(calculated, pids[0])  # the person is locked by the run's lines until it commits

    _while_the_lines_are_written(monkeypatch, start_the_delete)
    store.calculate(calculated, oman, JANUARY, actor="maker")
    deleter.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError), outcome
    assert "still names this person" in str(outcome[0])
    with calculated.connect() as connection:
        assert connection.execute(sa.select(person.c.id).where(person.c.civil_number == civil)).scalar() == key
    assert _dangling(calculated) == 0
