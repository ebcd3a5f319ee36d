"""A worker killed between committing its batches and planning their families' enrollments (kill -9,
a real process): the events stay applied and their families due; the next run, with nothing new to
apply, plans them before anything else. On both databases."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import Engine, text

from himaya.adapters.records import PackContract
from himaya.core.faults import CRASH_VARIABLE, KILLED
from himaya.events import actions
from tests.events.conftest import birth, inbox, process, receive, uow


def _worker(url: str, crash: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": "events:worker"}
    env.pop(CRASH_VARIABLE, None)
    if crash:
        env[CRASH_VARIABLE] = crash
    return subprocess.run(
        [sys.executable, "-m", "himaya.cli.main", "events", "process"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def _enrolled(store: Engine, civil_number: str) -> list[str]:
    with store.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT e.programme FROM enrollment e JOIN person p ON p.id = e.person_id WHERE p.civil_number = :n"
                ),
                {"n": civil_number},
            ).scalars()
        )


def _due(store: Engine) -> list[tuple[str, int, str]]:
    with uow(store) as unit:
        return unit.events.replan_due()


def test_a_worker_killed_before_its_replan_leaves_the_families_to_the_next_run(
    registry: Engine, database_url: str
) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-10-05"))
    killed = _worker(database_url, crash="events.process:committed")
    assert killed.returncode == KILLED, killed.stderr
    assert inbox(registry)["state"].to_list() == ["applied"]
    assert _enrolled(registry, "71000004") == []  # the child is in the registry, its benefit not planned
    assert [(f, k) for f, _, k in _due(registry)] == [("F1", "birth")]
    assert actions.status(uow(registry)).replan_due == 1
    status = _worker_status(database_url)
    assert "replan due" in status and "1 applied events' families" in status, status

    again = _worker(database_url)  # nothing new in the inbox: the due families are planned all the same
    assert again.returncode == 0, again.stderr
    assert "applied 0" in again.stdout
    assert "child" in _enrolled(registry, "71000004")
    assert _due(registry) == [] and actions.status(uow(registry)).replan_due == 0


def _worker_status(url: str) -> str:
    env = {**os.environ, "HIMAYA_DATABASE_URL": url}
    env.pop(CRASH_VARIABLE, None)
    done = subprocess.run(
        [sys.executable, "-m", "himaya.cli.main", "events", "status"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_run_that_completes_leaves_nothing_due(registry: Engine, contract: PackContract) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-10-05"))
    assert process(registry, contract).applied == 1
    assert _due(registry) == []
    assert "child" in _enrolled(registry, "71000004")
