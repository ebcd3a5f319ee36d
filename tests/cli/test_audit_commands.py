"""`himaya audit verify` and `himaya audit checkpoint` as an operator runs them: with checkpoints
configured (HIMAYA_AUDIT_CHECKPOINTS), removing the newest entries or all of them and moving the
head row back no longer passes a plain `himaya audit verify` (issue 12, item 5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.db import audit

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def anchored(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[sa.Engine, Path]]:
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "test:operator")
    monkeypatch.setenv("HIMAYA_AUDIT_KEY", "an-audit-key-from-the-secrets-store-" + "k" * 16)
    monkeypatch.setenv("HIMAYA_AUDIT_CHECKPOINTS", str(checkpoints))
    assert himaya("db", "upgrade").exit_code == 0
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    for number in range(3):  # three audited changes
        made = himaya(
            "users", "create", f"officer{number}", "--generate-password", "--role", "auditor", "--branch", "all"
        )
        assert made.exit_code == 0, made.stderr
    missing = himaya("audit", "checkpoint")
    assert missing.exit_code == 3 and "give --new" in missing.stderr
    checkpoint = himaya("audit", "checkpoint", "--new")
    assert checkpoint.exit_code == 0, checkpoint.stderr
    assert himaya("audit", "checkpoint", "--new").exit_code == 4  # the file exists: --new would hide a deletion
    assert himaya("audit", "checkpoint").exit_code == 0
    assert "checkpoint: entry" in checkpoint.stdout and "signed by key" in checkpoint.stdout
    line = json.loads(checkpoints.read_text().splitlines()[-1])
    assert len(checkpoints.read_text().splitlines()) == 2
    assert set(line) == {"at", "entry", "hash", "key", "mac"}
    verified = himaya("audit", "verify")
    assert verified.exit_code == 0, verified.stderr
    assert "audit trail intact" in verified.stdout and "2 checkpoints held" in verified.stdout
    yield engine, checkpoints
    engine.dispose()
    audit.use_keys(None)  # the key the commands configured stays in the process otherwise


def test_removing_the_newest_entries_and_moving_the_head_fails_verify(anchored: tuple[sa.Engine, Path]) -> None:
    engine, _ = anchored
    with engine.begin() as connection:
        last = connection.execute(sa.text("SELECT max(id) FROM audit_entry")).scalar_one()
        connection.execute(sa.text("DELETE FROM audit_entry WHERE id = :last"), {"last": last})
        connection.execute(
            sa.text(
                "UPDATE audit_head SET hash ="
                " (SELECT hash FROM audit_entry WHERE id = (SELECT max(id) FROM audit_entry))"
            )
        )
    tampered = himaya("audit", "verify")
    assert tampered.exit_code == 1
    assert "tampered: checkpoint of" in tampered.stderr and f"no longer holds entry {last}" in tampered.stderr


def test_deleting_everything_and_resetting_the_head_fails_verify(anchored: tuple[sa.Engine, Path]) -> None:
    engine, _ = anchored
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_entry"))
        connection.execute(sa.text("UPDATE audit_head SET hash = :genesis"), {"genesis": "0" * 64})
    tampered = himaya("audit", "verify")
    assert tampered.exit_code == 1 and "entries were removed or rewritten" in tampered.stderr
    refused = himaya("audit", "checkpoint")  # a tampered chain is not checkpointed
    assert refused.exit_code == 4 and "not checkpointed" in refused.stderr


def test_checkpoint_needs_a_file(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.delenv("HIMAYA_AUDIT_CHECKPOINTS", raising=False)
    assert himaya("db", "upgrade").exit_code == 0
    result = himaya("audit", "checkpoint")
    assert result.exit_code == 2 and "--to FILE" in result.stderr
    plain = himaya("audit", "verify")
    assert plain.exit_code == 0 and "note: no checkpoints" in plain.stderr


def test_a_deleted_checkpoint_file_fails_verify(anchored: tuple[sa.Engine, Path]) -> None:
    _, checkpoints = anchored
    checkpoints.unlink()
    tampered = himaya("audit", "verify")
    assert tampered.exit_code == 1 and f"the checkpoint file {checkpoints.name} is missing" in tampered.stderr
