"""The notification sender wired: the channels the settings configure, the sender's policy, and the
background worker `himaya serve` runs when HIMAYA_NOTIFY_EVERY is set."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine

from himaya.adapters.notify import SmsGateway, Smtp
from himaya.bootstrap.periodic import Periodic
from himaya.cases import delivery, staff
from himaya.cases.model import Delivery
from himaya.cases.ports import Channel
from himaya.core.settings import NotifySettings
from himaya.db.uow import SqlUnitOfWork

WORKER = "notify-worker"  # the worker's actor in the audit trail and its thread's name


def channels(config: NotifySettings) -> dict[str, Channel]:
    """The channels with an address configured (a channel without one is left waiting, not failed)."""
    found: dict[str, Channel] = {}
    if config.sms_url:
        found[Delivery.SMS.value] = SmsGateway(config.sms_url, config.sms_token)
    if config.smtp_host:
        found[Delivery.EMAIL.value] = Smtp(
            config.smtp_host,
            config.smtp_port,
            config.smtp_tls,
            config.smtp_user,
            config.smtp_password,
            config.mail_from,
        )
    return found


def policy(config: NotifySettings) -> delivery.Policy:
    return delivery.Policy(batch=config.batch, lease=config.lease, backoff=config.backoff, attempts=config.attempts)


def send(engine: Engine, config: NotifySettings, *, actor: str) -> delivery.Sent:
    """Deliver what is due now: the staff messages to their recipients' inboxes, then the configured channels."""
    inboxes = staff.deliver(SqlUnitOfWork(engine), actor=actor)
    done = delivery.send_due(SqlUnitOfWork(engine), channels(config), actor=actor, policy=policy(config))
    done.staff = inboxes
    return done


class Worker(Periodic):
    """A thread that delivers what is due every `config.every` seconds until stopped. Several service
    workers (processes) each run one: their claims never overlap (`db/stores/outbox.py`); a claim
    left unfinished at a stop is recovered after the lease."""

    def __init__(self, engine: Engine, config: NotifySettings) -> None:
        super().__init__(WORKER, config.every, partial(send, engine, config, actor=WORKER))
