"""Delivery of the outbox on both databases, against a real SMS gateway process and a real SMTP
server: sent once, retried with backoff when known not delivered, failed for good on a bad address,
an interrupted e-mail left uncertain (never sent twice), two senders at once never sending one message twice."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from himaya.bootstrap import notify
from himaya.cases import delivery
from himaya.cases.model import Outcome
from himaya.core.clock import now
from himaya.core.errors import ConflictError
from himaya.core.settings import NotifySettings
from tests.cases.conftest import Branches
from tests.notify.conftest import Gateway, Mailbox, free_port, queue_mail, queue_sms, uow_of

ACTOR = "notify-test"


def _send(b: Branches, config: NotifySettings, **options: object) -> delivery.Sent:
    policy = notify.policy(config)
    return delivery.send_due(uow_of(b), notify.channels(config), actor=ACTOR, policy=policy, **options)  # type: ignore[arg-type]


def _states(b: Branches) -> list[str]:
    return [r["state"] for r in b.rows("notification_outbox")]


def test_each_sms_is_delivered_once_and_recorded(branches: Branches, gateway: Callable[..., Gateway]) -> None:
    ids = queue_sms(branches, 5)
    sms = gateway()
    done = _send(branches, sms.settings(batch=2))
    assert done.counts[Outcome.SENT] == 5 and _states(branches) == ["sent"] * 5
    got = sms.received()
    assert sorted(m["key"] for m in got) == sorted(f"himaya-outbox-{i}" for i in ids)
    assert not any(m["duplicate"] for m in got) and got[0]["text"] == "رسالة 0" and got[0]["to"].startswith("9")
    rows = branches.rows("notification_outbox")
    assert all(r["attempts"] == 1 and r["sent_at"] and r["address"] and r["claim"] is None for r in rows)
    assert _send(branches, sms.settings()).counts[Outcome.SENT] == 0  # nothing is due any more
    assert len(sms.received()) == 5
    audit = {a for (a,) in _audit(branches)}
    assert {"notify.claim", "notify.sent"} <= audit


def _audit(b: Branches) -> list[tuple[str]]:
    return [(r["action"],) for r in b.rows("audit_entry")]


def test_a_refused_request_is_retried_after_its_backoff(branches: Branches, gateway: Callable[..., Gateway]) -> None:
    queue_sms(branches, 3)
    sms = gateway("--fail-first", "2")
    first = _send(branches, sms.settings(backoff=60))
    assert first.counts[Outcome.RETRY] == 2 and first.counts[Outcome.SENT] == 1
    rows = branches.rows("notification_outbox")
    assert [r["state"] for r in rows] == ["pending", "pending", "sent"] and "503" in rows[0]["error"]
    assert _send(branches, sms.settings(backoff=60)).counts[Outcome.SENT] == 0  # not before its time
    later = now() + timedelta(seconds=61)
    assert _send(branches, sms.settings(backoff=60), clock=lambda: later).counts[Outcome.SENT] == 2
    rows = branches.rows("notification_outbox")
    assert _states(branches) == ["sent"] * 3 and [r["attempts"] for r in rows] == [2, 2, 1]
    assert rows[0]["error"] is None and len(sms.received()) == 3


def test_the_backoff_doubles_and_the_last_attempt_fails(branches: Branches) -> None:
    policy = delivery.Policy(backoff=60, max_backoff=600, attempts=3)
    at = now()
    assert [(delivery.retry_at(policy, n, at) - at).seconds for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]
    queue_sms(branches, 1)
    down = NotifySettings(sms_url=f"http://127.0.0.1:{free_port()}/sms", attempts=2, backoff=0)
    assert _send(branches, down).counts[Outcome.RETRY] == 1
    assert _send(branches, down).counts[Outcome.FAILED] == 1
    row = branches.rows("notification_outbox")[0]
    assert row["state"] == "failed" and row["error"].startswith("gave up after 2 attempts: SMS gateway: ConnectError")


def test_a_bad_number_fails_for_good_and_can_be_resent_by_hand(
    branches: Branches, gateway: Callable[..., Gateway]
) -> None:
    queue_sms(branches, 2)
    first = branches.rows("notification_outbox")[0]
    sms = gateway("--refuse", f"9{1_000_000 + first['person_id']}")  # the mobile `with_mobiles` gave
    done = _send(branches, sms.settings())
    rows = branches.rows("notification_outbox")
    assert done.counts[Outcome.FAILED] == 1 and done.counts[Outcome.SENT] == 1
    assert rows[0]["state"] == "failed" and "422" in rows[0]["error"] and "not a mobile number" in rows[0]["error"]
    status = delivery.status(uow_of(branches))
    assert status.counts[("sms", "failed")] == 1 and status.counts[("sms", "sent")] == 1
    assert [r["id"] for r in status.troubled] == [first["id"]]
    delivery.reopen(uow_of(branches), first["id"], "resend", actor=ACTOR)
    assert branches.rows("notification_outbox")[0]["state"] == "pending"
    with pytest.raises(ConflictError, match=f"message {rows[1]['id']} is sent: only a failed or uncertain"):
        delivery.reopen(uow_of(branches), rows[1]["id"], "resend", actor=ACTOR)  # a sent one stays sent


def test_email_through_a_real_smtp_server(branches: Branches, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    box.refuse = {"nobody@example.om": "550 no such user", "full@example.om": "452 mailbox full"}
    queue_mail(branches, "huda@example.om", "nobody@example.om", "full@example.om")
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", mail_from="spf@example.om")
    done = _send(branches, config)
    assert (done.counts[Outcome.SENT], done.counts[Outcome.FAILED], done.counts[Outcome.RETRY]) == (1, 1, 1)
    rows = branches.rows("notification_outbox")
    assert [r["state"] for r in rows] == ["sent", "failed", "pending"] and "550" in rows[1]["error"]
    (envelope,) = box.messages
    mail = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
    assert envelope.rcpt_tos == ["huda@example.om"] and mail["Message-ID"] == f"<outbox-{rows[0]['id']}@example.om>"
    assert str(mail["Subject"]) == "قرار الحالة huda@example.om"
    assert mail.get_body().get_content().strip() == "نص huda@example.om"  # type: ignore[union-attr]


def test_an_email_whose_sender_stopped_mid_send_is_uncertain_never_resent(
    branches: Branches, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    queue_mail(branches, "huda@example.om")
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", lease=0)
    with uow_of(branches) as uow:  # a sender claims it and dies before recording what happened
        (claimed,) = uow.outbox.claim(
            ["email"], resend_safe=[], token="dead", at=now(), due_by=now(), lease=300, limit=10
        )
        uow.commit()
    assert _send(branches, config).counts[Outcome.SENT] == 0 and box.messages == []
    row = branches.rows("notification_outbox")[0]
    assert row["state"] == "uncertain" and "check the mail server's log" in row["error"]
    assert _send(branches, config).counts[Outcome.SENT] == 0 and box.messages == []  # still not resent
    delivery.reopen(uow_of(branches), claimed.id, "confirm", actor=ACTOR)
    assert _states(branches) == ["sent"] and box.messages == []


def test_an_email_whose_connection_dies_during_data_is_uncertain(branches: Branches, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    box.drop = {"huda@example.om"}
    queue_mail(branches, "huda@example.om")
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    assert _send(branches, config).counts[Outcome.UNCERTAIN] == 1 and len(box.messages) == 1
    row = branches.rows("notification_outbox")[0]
    assert row["state"] == "uncertain" and "while handing the message over" in row["error"]
    assert _send(branches, config).counts == {o.value: 0 for o in Outcome} and len(box.messages) == 1


def test_two_senders_at_once_never_send_one_message_twice(branches: Branches, gateway: Callable[..., Gateway]) -> None:
    ids = queue_sms(branches, 16)
    sms = gateway("--delay", "0.02")
    config = sms.settings(batch=3)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: _send(branches, config), range(2)))
    assert sum(r.counts[Outcome.SENT] for r in runs) == 16 and all(r.lost_claims == 0 for r in runs)
    assert all(r.counts[Outcome.SENT] > 0 for r in runs)  # both took a share: they ran side by side
    requests = Counter(m["key"] for m in sms.received())
    assert requests == Counter({f"himaya-outbox-{i}": 1 for i in ids})  # not even a duplicate the gateway caught
    assert _states(branches) == ["sent"] * 16
