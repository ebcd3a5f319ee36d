"""`himaya partners set` and `list`: a partner's DCI terms registered, shown, audited; refusals
with the exit status of their category."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.db.engine import connect
from himaya.db.tables import audit_entry


def himaya(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'himaya.db'}"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", url)
    assert himaya("db", "upgrade").exit_code == 0
    made = himaya("users", "create", "mol", "--client", "--role", "partner", "--branch", "all", "--generate-password")
    assert made.exit_code == 0, made.stderr
    return url


def test_partners_set_and_list(store: str) -> None:
    uri = "https://dci.mol.example/on-search"
    done = himaya("partners", "set", "mol", "--sender-id", "mol.gov", "--callback", uri, "--per-minute", "30")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == (
        f"partner mol: sender id mol.gov; callbacks: {uri}; max records a message: 500 (default); "
        "search requests a minute: 30"
    )
    assert himaya("partners", "set", "mol", "--remove-callback", uri).exit_code == 0
    listed = himaya("partners", "list")
    assert "callbacks: none (no async answers)" in listed.stdout and "sender id mol.gov" in listed.stdout
    engine = connect(store)
    with engine.connect() as connection:
        subjects = connection.execute(select(audit_entry.c.subject).where(audit_entry.c.action == "dci.partner"))
        assert list(subjects.scalars()) == ["client:mol", "client:mol"]
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("partners", "set", "mol"), 2, "give --callback"),
        (("partners", "set", "mol", "--callback", "ftp://x/y"), 2, "http:// or https://"),
        (("partners", "set", "mol", "--per-minute", "0"), 2, "not 1 to 1,000,000"),
        (("partners", "set", "nobody", "--callback", "https://x/y"), 3, "no partner system"),
        (("partners", "set", "mol", "--remove-callback", "https://x/y"), 3, "is not registered"),
    ],
)
def test_partners_set_refusals(store: str, args: tuple[str, ...], status: int, says: str) -> None:
    refused = himaya(*args)
    assert refused.exit_code == status and says in refused.stderr
