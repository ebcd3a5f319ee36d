"""`himaya notify send|status|resend|confirm`, the service's worker (on only when HIMAYA_NOTIFY_EVERY is set),
and the delivery settings."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.core.errors import UsageError
from himaya.core.settings import NotifySettings, Settings
from tests.cases.conftest import Branches
from tests.notify.conftest import TOKEN, Gateway, queue_sms


def himaya(*args: str) -> tuple[int, str]:
    from himaya.cli.main import app  # noqa: PLC0415  (the whole CLI: only these tests need it)

    done = CliRunner().invoke(app, list(args))
    return done.exit_code, done.output


def test_send_status_and_resend_at_the_command_line(
    branches: Branches, database_url: str, gateway: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_sms(branches, 3)
    first = branches.rows("notification_outbox")[0]
    sms = gateway("--refuse", f"9{1_000_000 + first['person_id']}")
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "notify-test")
    code, output = himaya("notify", "send")
    assert code == 0 and "no channel is configured" in output and "delivered: 0 sent" in output
    assert himaya("notify", "status") == (0, "sms    pending            3\n")
    monkeypatch.setenv("HIMAYA_SMS_URL", sms.url)
    monkeypatch.setenv("HIMAYA_SMS_TOKEN", TOKEN)
    code, output = himaya("notify", "send")
    assert code == 0 and "delivered: 2 sent, 0 retry, 1 failed, 0 uncertain" in output, output
    code, output = himaya("notify", "status")
    assert "sms    failed             1" in output and "sms    sent               2" in output
    assert f"#{first['id']} sms failed to 9{1_000_000 + first['person_id']}" in output and "422" in output
    mobile = f"9{1_000_000 + first['person_id']}"
    assert himaya("notify", "resend", str(first["id"])) == (
        0,
        f"#{first['id']} (failed) will be sent again to {mobile} (the mobile on record now)"
        " by the next `himaya notify send`\n",
    )
    assert himaya("notify", "resend", str(first["id"] + 1)) == (
        4,
        f"error: message {first['id'] + 1} is sent: only a failed or uncertain message can be resent\n",
    )
    assert branches.rows("notification_outbox")[0]["state"] == "pending"


def test_the_service_delivers_only_when_its_worker_is_asked_for(
    branches: Branches, gateway: Callable[..., Gateway]
) -> None:
    ids = queue_sms(branches, 2)
    sms = gateway()
    quiet = create_app(branches.engine, tokens=TokenSettings(key="k" * 32), settings=Settings(notify=sms.settings()))
    with TestClient(quiet):
        time.sleep(0.3)
    assert quiet.state.notify_worker is None and sms.received() == []  # off by default
    config = Settings(notify=sms.settings(every=1))
    app = create_app(branches.engine, tokens=TokenSettings(key="k" * 32), settings=config)
    with TestClient(app):
        end = time.monotonic() + 10
        while len(sms.received()) < 2 and time.monotonic() < end:
            time.sleep(0.05)
        worker = app.state.notify_worker
    assert not worker.thread.is_alive()  # stopped with the service
    assert sorted(m["key"] for m in sms.received()) == [f"himaya-outbox-{i}" for i in ids]
    assert [r["state"] for r in branches.rows("notification_outbox")] == ["sent", "sent"]


def test_the_delivery_settings() -> None:
    read = Settings.from_environ({"HIMAYA_SMTP_HOST": "mail.spf.om", "HIMAYA_SMTP_TLS": "ssl"}).notify
    assert (read.smtp_host, read.smtp_port, read.every, read.sms_url) == ("mail.spf.om", 465, 0, None)
    assert Settings.from_environ({"HIMAYA_NOTIFY_EVERY": "30", "HIMAYA_NOTIFY_LEASE": "0"}).notify == NotifySettings(
        every=30, lease=0
    )
    with pytest.raises(UsageError, match="HIMAYA_SMTP_TLS must be none, starttls or ssl, not 'tls'"):
        Settings.from_environ({"HIMAYA_SMTP_TLS": "tls"})
    with pytest.raises(UsageError, match="HIMAYA_NOTIFY_EVERY must be a whole number of seconds, not '-1'"):
        Settings.from_environ({"HIMAYA_NOTIFY_EVERY": "-1"})
