"""Fixtures of the delivery tests: a small registry whose people have mobiles, the SMS gateway as its
own process (`gateway.py`), and a real SMTP server (aiosmtpd) on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer  # noqa: N811  (aiosmtpd's name)
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import Engine, text

from himaya.cases.model import Delivery, Message
from himaya.cases.opening import queue_notification
from himaya.core.settings import NotifySettings
from himaya.db.uow import SqlUnitOfWork
from tests.cases.conftest import Branches, branches  # noqa: F401  (the fixture of tests/cases)
from tests.db.conftest import database_url, engine, postgres_problem  # noqa: F401

GATEWAY = Path(__file__).with_name("gateway.py")
TOKEN = "test-token"


@dataclass
class Gateway:
    url: str
    log: Path
    process: subprocess.Popen[str]

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def settings(self, **changes: Any) -> NotifySettings:
        return NotifySettings(sms_url=self.url, sms_token=TOKEN, **changes)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Start a gateway process with the options of `gateway.py` (e.g. `gateway("--stall-on", "3")`)."""
    started: list[Gateway] = []

    def start(*options: str) -> Gateway:
        log = tmp_path / f"gateway-{len(started)}.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(GATEWAY), str(log), *options], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        port = int(process.stdout.readline())
        started.append(Gateway(f"http://127.0.0.1:{port}/sms", log, process))
        return started[-1]

    yield start
    for one in started:
        one.process.kill()
        one.process.wait()


@dataclass
class Mailbox:
    """What the SMTP server took, and the recipients it refuses for good (5xx) or for now (4xx)."""

    messages: list[Envelope] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)  # the connection is lost once a message to them is taken

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(envelope)
        if self.drop & set(envelope.rcpt_tos) and server.transport is not None:
            server.transport.close()  # took it, and the line goes dead before the 250
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def with_mobiles(store: Engine) -> list[str]:
    """Give every registered person a distinct mobile; their civil numbers."""
    with store.begin() as connection:
        connection.execute(text("UPDATE person SET mobile = '9' || CAST(1000000 + id AS VARCHAR(8))"))
        return list(connection.execute(text("SELECT civil_number FROM person ORDER BY id")).scalars())


def queue_sms(b: Branches, count: int) -> list[int]:
    """`count` messages to as many people, by SMS (the real path of a case action's message); their ids."""
    people = with_mobiles(b.engine)[:count]
    with b.uow() as uow:
        for n, civil in enumerate(people):
            queue_notification(uow, civil_number=civil, language="ar", subject=f"s{n}", body=f"رسالة {n}")
        uow.commit()
    return [r["id"] for r in b.rows("notification_outbox")][-count:]


def queue_mail(b: Branches, *addresses: str) -> None:
    with b.uow() as uow:
        uow.cases.queue(
            [Message("staff", Delivery.EMAIL, "ar", f"قرار الحالة {a}", f"نص {a}", address=a) for a in addresses]
        )
        uow.commit()


def uow_of(b: Branches) -> SqlUnitOfWork:
    return SqlUnitOfWork(b.engine)
