"""`himaya explain --registry` names the life event that started or ended an enrollment: its kind,
source, id and date; on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from himaya.adapters.records import PackContract
from himaya.cli.main import app
from tests.events.conftest import birth, death, process, receive


def test_explain_names_the_event_behind_an_enrollment(
    registry: Engine, contract: PackContract, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    receive(registry, birth("BRN-9", "71000004", "71000002", "2026-09-05"))
    process(registry, contract)
    said = CliRunner().invoke(app, ["explain", "--period", "2026-11", "--registry", "--person", "71000004"])
    assert said.exit_code == 0, said.output
    assert (
        "71000004: the child enrollment started (2026-09) by life event birth (event 1) from crvs BRN-9,"
        " dated 2026-09-05"
    ) in " ".join(said.output.split()), said.output
    receive(registry, death("DTH-9", "71000004", "2026-10-02"))
    process(registry, contract)
    said = CliRunner().invoke(app, ["explain", "--period", "2026-11", "--registry", "--family", "F1", "--lang", "ar"])
    assert said.exit_code == 0, said.output
    assert "DTH-9" in said.output and "انتهى" in said.output, said.output
