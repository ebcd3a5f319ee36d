"""The store keeps an administrator and one user per case-folded name, even under concurrent changes."""

from __future__ import annotations

import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from himaya.core.access import Scope
from himaya.core.clock import now
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import alembic_config, current_revision, upgrade
from himaya.db.tables import app_user

ALL = [Scope("all", None)]


def _admins(engine: Engine, *names: str) -> None:
    for name in names:
        access.create_user(engine, name, "x", actor="test", roles=["admin"], scopes=ALL)


def test_two_administrators_removing_each_other_at_once_leave_one(engine: Engine) -> None:
    """The first removal holds the administrators' rows until it commits; the second then sees it
    and is refused. Without the lock, on PostgreSQL, each saw the other still active and both passed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second change cannot interleave")
    _admins(engine, "amal", "badr")
    outcome: dict[str, object] = {}

    def remove_amal() -> None:
        try:
            access.set_active(engine, "amal", False, actor="badr")
            outcome["second"] = "passed"
        except access.LastAdministratorError as error:
            outcome["second"] = error

    with engine.begin() as first:  # badr's removal, held open while amal's starts
        before = access._administrators_locked(first)
        first.execute(app_user.update().where(app_user.c.username == "badr").values(active=False))
        access._keep_an_administrator(first, "badr", before)
        second = threading.Thread(target=remove_amal)
        second.start()
        time.sleep(0.5)
        assert second.is_alive(), "the second removal must wait for the first"
    second.join(10)
    assert isinstance(outcome["second"], access.LastAdministratorError)
    assert access.has_administrator(engine)
    assert [u["username"] for u in access.list_users(engine) if u["active"]] == ["amal"]


def test_the_last_administrator_stays_on_both_databases(engine: Engine) -> None:
    _admins(engine, "amal", "badr")
    access.set_active(engine, "badr", False, actor="amal")
    with pytest.raises(access.LastAdministratorError, match="amal is the last administrator"):
        access.set_active(engine, "amal", False, actor="amal")
    with pytest.raises(access.LastAdministratorError):
        access.grant(engine, "amal", roles=["registrar"], scopes=ALL, actor="amal", replace=True)
    assert access.has_administrator(engine)


def test_two_spellings_created_at_once_make_one_user(engine: Engine) -> None:
    """Both creations pass the case-folded check before either writes; the index refuses the second."""
    with engine.begin() as first:
        first.execute(
            app_user.insert().values(
                username="Salim", kind="person", password_hash="x", active=True, token_version=1, created_at=now()
            )
        )
        if engine.dialect.name == "postgresql":  # the second creation runs while the first is not committed
            failure: list[BaseException] = []
            second = threading.Thread(target=_create, args=(engine, "salim", failure))
            second.start()
            time.sleep(0.5)
    if engine.dialect.name == "postgresql":
        second.join(10)
        assert isinstance(failure[0], access.UserExistsError) and "'salim' exists already" in str(failure[0])
    with pytest.raises(access.UserExistsError):
        access.create_user(engine, "SALIM", "x", actor="test")
    with pytest.raises(access.UserExistsError), engine.begin() as connection:  # the index alone, no check
        access._insert_user(connection, "sAlim", None, "person", "x")
    assert [u["username"] for u in access.list_users(engine)] == ["Salim"]


def _create(engine: Engine, name: str, failure: list[BaseException]) -> None:
    try:
        access.create_user(engine, name, "x", actor="test")
    except access.UserExistsError as error:
        failure.append(error)


def test_the_upgrade_stops_on_names_that_differ_only_in_case(database_url: str) -> None:
    engine = connect(database_url)
    before = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0034").down_revision
    upgrade(engine, str(before))
    with engine.begin() as connection:
        for name in ("Huda", "huda", "Omar"):
            connection.execute(
                app_user.insert().values(
                    username=name, kind="person", password_hash="x", active=True, token_version=1, created_at=now()
                )
            )
    with pytest.raises(RuntimeError, match="differ only in case: huda; rename all but one"):
        upgrade(engine)
    assert current_revision(engine) == before
    engine.dispose()
