"""The notification channels (`cases.ports.Channel`): e-mail by SMTP, SMS through an HTTP gateway.

Each sorts what happened into the outcomes of `cases.model.Outcome`, and the line between RETRY and
UNCERTAIN is what keeps a message from going out twice:
- SMTP: anything before the DATA command (no connection, a refused sender or recipient) did not
  deliver; a reply to DATA is the server's word (2xx taken, 4xx retry, 5xx refused for good); but a
  connection lost during DATA may have delivered, and SMTP has no way to ask: UNCERTAIN.
- SMS: the gateway de-duplicates by the `Idempotency-Key` header (the message's outbox id), so an
  attempt that may have reached it is simply made again: RETRY (and `resend_safe`).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from himaya.cases.model import Outcome, Outgoing, Result

TLS_MODES = ("none", "starttls", "ssl")
# Gateway answers that say "not now" rather than "never": the request may be made again.
TEMPORARY = frozenset({408, 425, 429})


def _refusal(code: int, what: str) -> Result:
    """A server's reply that refused the message: 5xx for good, anything else for now."""
    return Result(Outcome.FAILED if 500 <= code < 600 else Outcome.RETRY, f"{what}: {code}")


@dataclass(frozen=True)
class Smtp:
    """E-mail through an SMTP server; the Message-ID carries the outbox id, so a message that became
    uncertain can be looked up in the server's log before it is sent again by hand."""

    host: str
    port: int = 587
    tls: str = "starttls"  # none, starttls or ssl (implicit TLS, port 465)
    user: str | None = None
    password: str | None = None
    sender: str = "himaya@localhost"
    timeout: float = 10.0
    resend_safe: bool = False

    def message_id(self, message: Outgoing) -> str:
        return f"<outbox-{message.id}@{self.sender.rpartition('@')[2] or 'localhost'}>"

    def compose(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address or ""
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = self.message_id(message)
        mail["Content-Language"] = message.language
        mail.set_content(message.body, cte="base64")  # 7-bit safe whatever the server (Arabic text)
        return mail

    def send(self, message: Outgoing) -> Result:
        if not message.address or "@" not in message.address:
            return Result(Outcome.FAILED, f"no e-mail address to send to ({message.address!r})")
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            return Result(Outcome.RETRY, f"cannot reach the mail server {self.host}:{self.port}: {error}")
        with connection:
            return self._hand_over(connection, message)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.tls == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if self.user:
                connection.login(self.user, self.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _hand_over(self, connection: smtplib.SMTP, message: Outgoing) -> Result:
        mail = self.compose(message)
        try:
            code, reply = connection.mail(self.sender)
            if code != 250:
                return _refusal(code, f"sender refused ({reply!r})")
            code, reply = connection.rcpt(message.address or "")
            if code not in (250, 251):
                return _refusal(code, f"recipient {message.address} refused ({reply!r})")
        except (OSError, smtplib.SMTPException) as error:
            return Result(Outcome.RETRY, f"lost the mail server before the message: {error}")
        try:
            connection.data(mail.as_bytes())
        except smtplib.SMTPDataError as error:
            return _refusal(error.smtp_code, f"message refused ({error.smtp_error!r})")
        except (OSError, smtplib.SMTPException) as error:
            return Result(Outcome.UNCERTAIN, f"lost the mail server while handing the message over: {error}")
        return Result(Outcome.SENT)


@dataclass(frozen=True)
class SmsGateway:
    """SMS through an HTTP gateway: a JSON POST `{"id", "to", "text", "language"}` with a bearer token
    and the outbox id as `Idempotency-Key`; a 2xx answer means taken (a duplicate key answers 2xx too)."""

    url: str
    token: str | None = None
    timeout: float = 10.0
    resend_safe: bool = True
    # One client for the run: its connections are kept, and its TLS context is made once (making one
    # reads the system's certificates: 0.15 s a message when every request made its own).
    client: httpx.Client = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "client", httpx.Client(timeout=self.timeout))

    def key(self, message: Outgoing) -> str:
        return f"himaya-outbox-{message.id}"

    def send(self, message: Outgoing) -> Result:
        if not message.address:
            return Result(Outcome.FAILED, "no mobile number on record")
        headers = {"Idempotency-Key": self.key(message)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"id": self.key(message), "to": message.address, "text": message.body, "language": message.language}
        try:
            answer = self.client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as error:  # the gateway de-duplicates: trying again is safe even if it arrived
            return Result(Outcome.RETRY, f"SMS gateway: {type(error).__name__}: {error}")
        if answer.is_success:
            return Result(Outcome.SENT)
        detail = f"SMS gateway answered {answer.status_code}: {answer.text[:200]}"
        if answer.status_code in TEMPORARY or answer.status_code >= 500:
            return Result(Outcome.RETRY, detail)
        return Result(Outcome.FAILED, detail)
