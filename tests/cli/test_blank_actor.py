"""A blank actor given explicitly (`--actor ""`, `--as ""`, HIMAYA_ACTOR="") is refused with exit 2,
never replaced by the operating-system user behind the operator's back (outside attack)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from himaya.cli.main import app
from himaya.db.tables import app_user as user

runner = CliRunner()


def _actor_options() -> list[str]:
    def walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
        if hasattr(command, "commands"):  # a group (Typer's own click: not an instance of click.Group)
            return [found for name, sub in command.commands.items() for found in walk(sub, (*path, name))]
        return [(path, command)]

    return [
        f"himaya {' '.join(path)} {param.opts[0]}"
        for path, command in walk(typer.main.get_command(app), ())
        for param in command.params
        if {"--actor", "--as"} & set(param.opts)
    ]


def test_every_actor_option_refuses_a_blank_name() -> None:
    options = _actor_options()
    assert len(options) > 20  # users, payroll, registry, cases, ...
    bad = [shown for shown in options if "blank" not in runner.invoke(app, [*shown.split()[1:], ""]).output]
    assert bad == []


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_actor_option_writes_nothing(database_url: str, blank: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.delenv("HIMAYA_ACTOR", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        app, ["users", "create", "bob", "--role", "registrar", "--generate-password", "--actor", blank]
    )
    assert result.exit_code == 2, result.output
    assert "--actor" in result.output and "blank" in result.output
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one() == 0
    engine.dispose()


def test_a_blank_himaya_actor_is_refused(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.delenv("HIMAYA_ACTOR", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("HIMAYA_ACTOR", "")
    result = runner.invoke(app, ["users", "create", "bob", "--role", "registrar", "--generate-password"])
    assert result.exit_code == 2, result.output
    assert "HIMAYA_ACTOR is set but blank" in result.output
    monkeypatch.setenv("HIMAYA_ACTOR", "test:admin")
    assert "bob" not in runner.invoke(app, ["users", "list"]).output
