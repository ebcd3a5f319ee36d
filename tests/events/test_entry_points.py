"""`himaya events ...` as a user types it, and `POST /events/opencrvs` as a civil registry calls it."""

from __future__ import annotations

import hmac
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.cli.main import app
from himaya.core.access import Scope
from himaya.core.settings import Settings
from himaya.db import access
from himaya.db.tables import audit_entry
from tests.events.conftest import FIXTURES, inbox

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def cli(registry: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "test:events")
    return registry


def test_import_process_status(cli: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("birth-bundle.json", "death-bundle.json", "events.csv"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    result = himaya("events", "import", folder)
    assert result.exit_code == 0, result.output
    assert "6 events: 6 received, 0 duplicate (already in the inbox), 2 failed" in result.output
    again = himaya("events", "import", folder / "birth-bundle.json")
    assert "0 received, 1 duplicate" in again.output
    done = himaya("events", "process", "--batch", "2")
    assert done.exit_code == 0, done.output
    assert "applied 4, held 0, needs review 0, failed 0" in done.output
    status = himaya("events", "status")
    assert "applied" in status.output and "nothing waiting" in status.output, status.output
    assert inbox(cli).filter(inbox(cli)["source"] == "file").height == 4


def test_scan_and_bad_paths(cli: Engine, tmp_path: Path) -> None:
    result = himaya("events", "scan", "--period", "2026-11")
    assert result.exit_code == 0 and "2 received" in result.output, result.output
    assert himaya("events", "import", tmp_path / "absent.json").exit_code == 2
    (tmp_path / "bad.csv").write_text("event_id,kind,event_date,wage\n1,death,2026-01-01,5\n")
    refused = himaya("events", "import", tmp_path / "bad.csv")
    assert refused.exit_code == 2 and "unknown columns wage" in refused.output


KEY = "test-signing-key-" + "x" * 32
SECRET = "correct-horse-battery-9"


def test_the_webhook_takes_a_partners_document_once(registry: Engine) -> None:
    access.create_user(registry, "crvs", hash_password(SECRET), kind="client", actor="setup")
    access.grant(registry, "crvs", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
    access.create_user(registry, "clerk", hash_password(SECRET), actor="setup")
    access.grant(registry, "clerk", roles=["registrar"], scopes=[Scope("all")], actor="setup")
    client = TestClient(create_app(registry, tokens=TokenSettings(key=KEY)))
    token = client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "crvs", "client_secret": SECRET}
    ).json()["access_token"]
    clerk = client.post("/auth/token", data={"grant_type": "password", "username": "clerk", "password": SECRET})
    bundle = json.loads((FIXTURES / "death-bundle.json").read_text())
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/events/opencrvs", json=bundle, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["received"] == 1 and first.json()["events"][0]["state"] == "received"
    second = client.post("/events/opencrvs", json={"event": {"context": [bundle]}}, headers=headers)
    assert second.json()["duplicate"] == 1 and second.json()["events"] == first.json()["events"]
    junk = client.post("/events/opencrvs", json={"resourceType": "Patient"}, headers=headers)
    assert junk.status_code == 202 and junk.json()["events"][0]["state"] == "failed"
    refused = client.post(
        "/events/opencrvs", json=bundle, headers={"Authorization": f"Bearer {clerk.json()['access_token']}"}
    )
    assert refused.status_code == 403
    assert client.post("/events/opencrvs", json=bundle).status_code == 401
    assert inbox(registry).height == 2


def test_with_a_webhook_secret_only_a_delivery_signed_over_its_body_is_taken(registry: Engine) -> None:
    """OpenCRVS signs each delivery with the client's SHA secret (X-Hub-Signature: sha1=HMAC of the
    raw body): a stolen token alone, a forged or replayed-onto-another-body signature, are refused."""
    access.create_user(registry, "crvs", hash_password(SECRET), kind="client", actor="setup")
    access.grant(registry, "crvs", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
    settings = Settings(opencrvs_webhook_secret="the webhook's sha secret")
    client = TestClient(create_app(registry, tokens=TokenSettings(key=KEY), settings=settings))
    token = client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "crvs", "client_secret": SECRET}
    ).json()["access_token"]
    body = (FIXTURES / "death-bundle.json").read_bytes()
    other = json.dumps({"event": {"context": [json.loads(body)]}}).encode()

    def post(content: bytes, signature: str | None, header: str = "X-Hub-Signature") -> int:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if signature is not None:
            headers[header] = signature
        return client.post("/events/opencrvs", content=content, headers=headers).status_code

    def signed(content: bytes, algorithm: str = "sha1") -> str:
        return f"{algorithm}=" + hmac.new(b"the webhook's sha secret", content, algorithm).hexdigest()

    assert post(body, None) == 401
    assert post(b'{"a":', None) == 401 and post(b"not json", "sha1=00") == 401  # refused before it is parsed
    assert post(body, "sha1=" + "0" * 40) == 401
    assert post(body, signed(other)) == 401  # a real signature of another body
    assert post(body, signed(body).replace("sha1", "md5")) == 401
    assert inbox(registry).height == 0  # nothing written by a refused delivery
    assert post(body, signed(body)) == 202
    assert post(other, signed(other, "sha256"), "X-Hub-Signature-256") == 202  # the same event: a duplicate
    assert inbox(registry).height == 1
    assert post(b"not json", signed(b"not json")) == 202  # signed but unreadable: kept as failed, with its reason
    assert inbox(registry)["state"].to_list() == ["received", "failed"]


def test_the_service_applies_the_inbox_by_itself_when_asked(registry: Engine) -> None:
    """HIMAYA_EVENTS_EVERY: a webhook's event is taken out of the inbox by the service's own worker,
    which stops with the service."""
    access.create_user(registry, "crvs", hash_password(SECRET), kind="client", actor="setup")
    access.grant(registry, "crvs", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
    app = create_app(registry, tokens=TokenSettings(key=KEY), settings=Settings(events_every=1))
    with TestClient(app) as client:  # the lifespan starts the worker
        token = client.post(
            "/auth/token", data={"grant_type": "client_credentials", "client_id": "crvs", "client_secret": SECRET}
        ).json()["access_token"]
        bundle = json.loads((FIXTURES / "death-bundle.json").read_text())
        posted = client.post("/events/opencrvs", json=bundle, headers={"Authorization": f"Bearer {token}"})
        assert posted.status_code == 202 and posted.json()["events"][0]["state"] == "received"
        deadline = time.monotonic() + 30
        while inbox(registry)["state"].to_list() == ["received"] and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = app.state.events_worker
    assert inbox(registry)["state"].to_list() != ["received"], "the worker did not take the event"
    assert worker.rounds >= 1 and not worker.thread.is_alive()
    with registry.connect() as connection:
        actors = connection.execute(select(audit_entry.c.actor).where(audit_entry.c.action.startswith("event.")))
        assert "events-worker" in {a for (a,) in actors}
