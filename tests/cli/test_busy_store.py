"""A write that meets another's on SQLite says so in a line and exits 4 (the API: 503 with
Retry-After), with nothing changed; not a traceback."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from himaya.bootstrap import busy
from himaya.cli import main as cli_main
from himaya.db import engine as db_engine


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Another writer holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "busy.db"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr(db_engine, "SQLITE_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(sys, "argv", ["himaya", "db", "upgrade"])
    with pytest.raises(SystemExit) as ended:
        cli_main.main()
    assert ended.value.code in (0, None)
    return path


def test_a_command_meeting_another_write_says_busy(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["himaya", "users", "create", "first.admin", "--role", "admin"])
    monkeypatch.setenv("HIMAYA_PASSWORD", "a-long-password-1")
    with writing(store), pytest.raises(SystemExit) as ended:
        cli_main.main()
    said = capsys.readouterr()
    assert ended.value.code == 4, said
    assert "the database is busy" in said.err and "Traceback" not in said.err + said.out
    with sa.create_engine(f"sqlite:///{store}").connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM app_user")).scalar() == 0


def test_any_other_failure_of_the_store_is_not_called_busy() -> None:
    error = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: person"))
    assert busy.busy(error) is False
    locked = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert busy.busy(locked) is True
    assert busy.busy(ValueError("database is locked")) is False


def test_the_api_answers_503_with_retry_after(store: Path) -> None:
    from himaya.api.app import create_app  # noqa: PLC0415

    app = create_app()

    @app.get("/test-busy")
    def _write() -> None:
        with app.state.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM login_attempt"))

    with writing(store):
        answer = TestClient(app, raise_server_exceptions=False).get("/test-busy")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"]["code"] == "busy"
