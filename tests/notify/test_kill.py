"""`himaya notify send` killed with SIGKILL mid-batch, while the gateway holds a message it has taken
but not yet answered, then run again: every message reaches a handset exactly once. And an e-mail
sender dead between the server's acceptance and its record: that message is left uncertain, not resent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from himaya.bootstrap import notify
from himaya.core.faults import CRASH_VARIABLE, KILLED
from himaya.core.settings import NotifySettings
from tests.cases.conftest import Branches
from tests.notify.conftest import TOKEN, Gateway, Mailbox, queue_mail, queue_sms

SRC = str(Path(__file__).parents[2] / "src")
MESSAGES = 6
STALL_ON = 3  # the gateway takes the 3rd message and then does not answer


def _env(url: str, gateway: Gateway, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": SRC,
        "HIMAYA_DATABASE_URL": url,
        "HIMAYA_SMS_URL": gateway.url,
        "HIMAYA_SMS_TOKEN": TOKEN,
        "HIMAYA_NOTIFY_BATCH": "4",
        "HIMAYA_ACTOR": "notify-test",
        **extra,
    }


def _wait_for(gateway: Gateway, count: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while len(gateway.received()) < count:
        assert time.monotonic() < end, f"the gateway got {len(gateway.received())} of {count} messages"
        time.sleep(0.02)


def test_a_sender_killed_mid_send_delivers_each_message_once(
    branches: Branches, database_url: str, gateway: Callable[..., Gateway]
) -> None:
    ids = queue_sms(branches, MESSAGES)
    sms = gateway("--stall-on", str(STALL_ON))
    send = [sys.executable, "-m", "himaya.cli.main", "notify", "send"]
    first = subprocess.Popen(send, env=_env(database_url, sms), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(sms, STALL_ON)  # the third is taken: the sender waits for the answer
    first.send_signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL
    states = Counter(r["state"] for r in branches.rows("notification_outbox"))
    assert states == {"sent": STALL_ON - 1, "sending": 2, "pending": MESSAGES - STALL_ON - 1}  # a batch of 4

    # Again once the claims' lease is over (0 s here): the one in doubt is sent again under the same
    # idempotency key, which the gateway knows, and the one claimed but never tried goes for the first time.
    again = notify.send(branches.engine, sms.settings(lease=0, batch=4), actor="notify-test")  # what `send` runs
    assert again.counts["sent"] == MESSAGES - STALL_ON + 1
    received = sms.received()
    handsets = Counter(m["key"] for m in received if not m["duplicate"])
    assert handsets == Counter({f"himaya-outbox-{i}": 1 for i in ids})  # each message once, none lost
    assert [m["key"] for m in received if m["duplicate"]] == [f"himaya-outbox-{ids[STALL_ON - 1]}"]
    rows = branches.rows("notification_outbox")
    assert [r["state"] for r in rows] == ["sent"] * MESSAGES
    # The one the killed sender had handed over: twice; the one it had claimed but not taken: once.
    assert [r["attempts"] for r in rows] == [1, 1, 2, 1, 1, 1]


def test_an_email_sender_dead_after_the_server_took_it_leaves_it_uncertain(
    branches: Branches, database_url: str, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    queue_mail(branches, "huda@example.om", "salim@example.om")
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "HIMAYA_DATABASE_URL": database_url,
        "HIMAYA_SMTP_HOST": "127.0.0.1",
        "HIMAYA_SMTP_PORT": str(port),
        "HIMAYA_SMTP_TLS": "none",
        "HIMAYA_ACTOR": "notify-test",
        CRASH_VARIABLE: "notify.send:handed",  # dies as if killed, between the server's 250 and the record
    }
    send = [sys.executable, "-m", "himaya.cli.main", "notify", "send"]
    died = subprocess.run(send, env=env, timeout=60, check=False, capture_output=True, text=True)
    assert died.returncode == KILLED and len(box.messages) == 1, (
        died.returncode,
        died.stderr[-2000:],
        branches.rows("notification_outbox"),
    )
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", lease=0)
    again = notify.send(branches.engine, config, actor="notify-test")
    assert again.counts["sent"] == 1 and len(box.messages) == 2  # the other one; the first not again
    rows = branches.rows("notification_outbox")
    assert [r["state"] for r in rows] == ["uncertain", "sent"] and [r["attempts"] for r in rows] == [1, 1]
    assert sorted(e.rcpt_tos[0] for e in box.messages) == ["huda@example.om", "salim@example.om"]
