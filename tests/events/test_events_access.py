"""The `himaya events` commands on a store that has users, from the attacker's side: a user who is not
logged in, or whose roles do not allow it, is refused and nothing is written; a registrar acts under
their own name. (A new store, without an administrator yet, is the set-up's: the other tests.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from himaya.cli.main import app
from himaya.core.access import Scope
from himaya.db import access
from tests.logins import login_env, password_hash

runner = CliRunner()
EVENTS = Path(__file__).resolve().parents[2] / "examples" / "events" / "events.csv"


@pytest.fixture
def users(registry: Engine, database_url: str) -> str:
    for name, role in (("boss", "admin"), ("analyst", "policy_analyst"), ("clerk", "registrar")):
        access.create_user(registry, name, password_hash(), actor="setup")
        access.grant(registry, name, roles=[role], scopes=[Scope("all")], actor="setup")
    return database_url


def _inbox(store: Engine) -> int:
    with store.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM event_inbox")).scalar_one())


def test_nobody_logged_in_is_refused(users: str, registry: Engine, tmp_path: Path) -> None:
    env = {"HIMAYA_DATABASE_URL": users, "HIMAYA_CREDENTIALS": str(tmp_path / "nobody.json")}
    for args in (["import", str(EVENTS)], ["process"], ["scan", "--period", "2026-05"], ["crvs-search-result", "x"]):
        done = runner.invoke(app, ["events", *args], env=env)
        assert done.exit_code != 0 and "himaya login" in done.stderr, (args, done.stderr)
    assert _inbox(registry) == 0


def test_an_analyst_may_neither_write_events_nor_see_search_results(users: str, registry: Engine) -> None:
    env = login_env(users, "analyst")
    assert env is not None
    refused = {
        ("import", str(EVENTS)): "person.update",
        ("process",): "person.update",
        ("crvs-search-result", "x"): "person.identify",
        ("crvs-subscriptions",): "users.manage",
    }
    for args, permission in refused.items():
        done = runner.invoke(app, ["events", *args], env=env)
        assert done.exit_code != 0 and permission in done.stderr, (args, done.stderr)
    assert _inbox(registry) == 0


def test_a_registrar_logged_in_acts_under_their_own_name(users: str, registry: Engine) -> None:
    env = login_env(users, "clerk")
    assert env is not None
    done = runner.invoke(app, ["events", "import", str(EVENTS), "--source", "civil-registry"], env=env)
    assert done.exit_code == 0, done.stderr
    named = runner.invoke(app, ["events", "process", "--actor", "boss"], env=env)  # a name typed is no proof
    assert named.exit_code != 0, named.stdout
    assert runner.invoke(app, ["events", "process"], env=env).exit_code == 0
    with registry.connect() as connection:
        actors = connection.execute(
            text("SELECT DISTINCT actor FROM audit_entry WHERE action IN ('events.receive', 'event.applied')")
        ).scalars()
        assert set(actors) == {"clerk"}
