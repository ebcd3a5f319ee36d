"""A payment line names a person (beneficiary and payee) and a run that exist, on both databases: on
SQLite by its foreign keys, on PostgreSQL by triggers that check a whole statement at once
(migration 0051). The same refusals either way; on PostgreSQL, the same locks (two connections)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from himaya.db.engine import connect
from himaya.db.migrate import alembic_config, upgrade
from himaya.db.tables import payment_line, payroll_run, person

AT = datetime(2026, 1, 2, tzinfo=UTC)
JANUARY = date(2026, 1, 1)


def _person(connection: Connection, civil: str) -> int:
    return int(
        connection.execute(
            sa.insert(person)
            .values(civil_number=civil, sex="F", birth_date=date(1950, 1, 1), nationality="OM", version=1,
                    created_at=AT, updated_at=AT)
            .returning(person.c.id)
        ).scalar_one()
    )  # fmt: skip


def _run(connection: Connection, period: date = JANUARY) -> int:
    return int(
        connection.execute(
            sa.insert(payroll_run)
            .values(period=period, state="calculated", created_by="maker", created_at=AT, version=1)
            .returning(payroll_run.c.id)
        ).scalar_one()
    )


def line(run: int, beneficiary: int, payee: int | None = None, *, n: int = 1) -> dict[str, Any]:
    return {"run_id": run, "person_id": beneficiary, "programme": f"p{n}", "month": JANUARY, "kind": "regular",
            "amount": 115_000, "payee_id": payee or beneficiary, "end_to_end_id": f"HMY-{beneficiary}-{n}",
            "status": "pending"}  # fmt: skip


def _lines(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(payment_line)).scalar_one())


@pytest.fixture
def known(engine: Engine) -> tuple[int, int, int]:
    """A run and two people of the registry."""
    with engine.begin() as connection:
        return _run(connection), _person(connection, "1001"), _person(connection, "1002")


@pytest.mark.parametrize("wrong", ["person_id", "payee_id", "run_id"])
def test_a_statement_with_one_line_naming_nothing_is_refused_whole(
    engine: Engine, known: tuple[int, int, int], wrong: str
) -> None:
    run, first, second = known
    bad = line(run, second, n=3) | {wrong: 999_999}
    with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, first), line(run, first, second, n=2), bad])
    assert _lines(engine) == 0
    if engine.dialect.name == "postgresql":  # the trigger names the line, the column and the value
        assert f"payment line HMY-{second}-3: {wrong} = 999999" in str(refused.value)


def test_a_person_or_a_run_named_by_a_line_cannot_be_deleted(engine: Engine, known: tuple[int, int, int]) -> None:
    run, first, second = known
    with engine.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, first, second)])
    for table, key in ((person, second), (person, first), (payroll_run, run)):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.id == key))
    with engine.begin() as connection:  # nobody else is named: deleted as before
        loner = _person(connection, "1003")
        connection.execute(sa.delete(person).where(person.c.id == loner))
    assert _lines(engine) == 1


def test_changing_a_lines_keys_is_checked_and_other_updates_are_not(
    engine: Engine, known: tuple[int, int, int]
) -> None:
    run, first, second = known
    with engine.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, first)])
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.update(payment_line).values(payee_id=999_999))
    with engine.begin() as connection:
        connection.execute(sa.update(payment_line).values(payee_id=second, status="exported"))
        assert connection.execute(sa.select(payment_line.c.payee_id)).scalar_one() == second


# --- PostgreSQL: two transactions at once ---


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the races need PostgreSQL")
    return engine


def _waiting(engine: Engine, pid: int, timeout: float = 20) -> None:
    """Until the server process `pid` waits for a lock."""
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            kind = watcher.execute(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
            if kind == "Lock":
                return
            time.sleep(0.05)
    raise AssertionError(f"server process {pid} never waited for a lock")


def _in_thread(act: Any) -> tuple[threading.Thread, list[BaseException | None]]:
    outcome: list[BaseException | None] = [None]

    def run() -> None:
        try:
            act()
        except BaseException as error:
            outcome[0] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _delete_person(engine: Engine, key: int, pids: list[int]) -> None:
    with engine.begin() as connection:
        pids.append(int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
        connection.execute(sa.delete(person).where(person.c.id == key))


def test_a_delete_waits_for_the_lines_being_written_then_is_refused(pg: Engine, known: tuple[int, int, int]) -> None:
    run, first, second = known
    pids: list[int] = []
    with pg.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, first, second)])
        thread, outcome = _in_thread(lambda: _delete_person(pg, second, pids))
        while not pids and thread.is_alive():
            time.sleep(0.01)
        _waiting(pg, pids[0])  # the payee is locked FOR KEY SHARE until this commits
    thread.join(30)
    assert isinstance(outcome[0], IntegrityError), outcome[0]
    assert "still names this person" in str(outcome[0])
    assert _lines(pg) == 1


def test_lines_wait_for_a_delete_being_made_then_are_refused(pg: Engine, known: tuple[int, int, int]) -> None:
    run, first, second = known
    pids: list[int] = []

    def insert() -> None:
        with pg.begin() as connection:
            pids.append(int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
            connection.execute(sa.insert(payment_line), [line(run, first), line(run, second, n=2)])

    with pg.begin() as connection:
        connection.execute(sa.delete(person).where(person.c.id == second))
        thread, outcome = _in_thread(insert)
        while not pids and thread.is_alive():
            time.sleep(0.01)
        _waiting(pg, pids[0])
    thread.join(30)
    assert isinstance(outcome[0], IntegrityError), outcome[0]
    assert f"person_id = {second} names no person" in str(outcome[0])
    assert _lines(pg) == 0


def test_at_repeatable_read_lines_naming_a_person_deleted_since_fail_to_serialize(
    pg: Engine, known: tuple[int, int, int]
) -> None:
    run, _, second = known
    with pg.connect() as payroll:
        payroll.execution_options(isolation_level="REPEATABLE READ")
        with payroll.begin():
            payroll.execute(sa.select(sa.func.count()).select_from(person)).scalar_one()  # its snapshot
            with pg.begin() as other:
                other.execute(sa.delete(person).where(person.c.id == second))
            with pytest.raises(DBAPIError, match="could not serialize"):
                payroll.execute(sa.insert(payment_line), [line(run, second)])
    assert _lines(pg) == 0


def test_a_person_is_deleted_only_at_read_committed(pg: Engine, known: tuple[int, int, int]) -> None:
    with pg.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with pytest.raises(DBAPIError, match="deleted only at READ COMMITTED"), connection.begin():
            connection.execute(sa.delete(person).where(person.c.id == known[1]))


def test_a_person_updated_while_lines_are_written_does_not_wait(pg: Engine, known: tuple[int, int, int]) -> None:
    """FOR KEY SHARE, as PostgreSQL's own check: a merge's update of a person goes on."""
    run, first, second = known
    with pg.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, first, second)])
        with pg.connect() as other, other.begin():
            other.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            other.execute(sa.update(person).where(person.c.id == second).values(merged_into=first, version=2))
    assert _lines(pg) == 1


# --- the migration, on a store that already holds lines ---


@pytest.fixture
def at_0046(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    upgrade(engine, "0046")
    yield engine
    engine.dispose()


def _foreign_keys(engine: Engine) -> set[str]:
    return {key["name"] or "" for key in sa.inspect(engine).get_foreign_keys("payment_line")}


def test_the_migration_keeps_the_lines_and_their_checks(at_0046: Engine) -> None:
    with at_0046.begin() as connection:
        run, first = _run(connection), _person(connection, "1001")
        connection.execute(sa.insert(payment_line), [line(run, first), line(run, first, n=2)])
    upgrade(at_0046)
    assert _lines(at_0046) == 2
    postgresql = at_0046.dialect.name == "postgresql"
    declared = {f"fk_payment_line_{c}" for c in ("run_id_payroll_run", "person_id_person", "payee_id_person")}
    assert _foreign_keys(at_0046) == (set() if postgresql else declared)
    with pytest.raises(IntegrityError), at_0046.begin() as connection:
        connection.execute(sa.insert(payment_line), [line(run, 999_999, n=3)])
    with pytest.raises(IntegrityError), at_0046.begin() as connection:
        connection.execute(sa.delete(person).where(person.c.id == first))
    if postgresql:  # and back: the constraints again, every line checked by one join each
        command.downgrade(alembic_config(at_0046), "0046")
        assert _foreign_keys(at_0046) == declared
        assert _lines(at_0046) == 2
