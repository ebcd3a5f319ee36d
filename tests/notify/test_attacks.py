"""The outbox from the attacker's side, on both databases: a resend after the person's mobile was
corrected (it must go to the new number, never the old one), two senders whose claims overlap once a
batch outlasts its lease (no message handed over twice), `confirm` of a message that is not
uncertain, and an actor's name that would read otherwise in the audit trail."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from himaya.bootstrap import notify
from himaya.cases import delivery
from himaya.cases.model import Outcome, Outgoing, Result
from himaya.cases.opening import queue_notification
from himaya.cases.ports import Channel
from himaya.core.clock import now
from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError
from himaya.core.settings import NotifySettings
from tests.cases.conftest import Branches
from tests.notify.conftest import Gateway, Mailbox, queue_mail, queue_sms, uow_of, with_mobiles
from tests.notify.test_commands import himaya

ACTOR = "notify-test"
LEASE = 50  # seconds; the fake clock moves one second a message


class Clock:
    """The senders' time: it moves only when a message is handed over, a second each."""

    def __init__(self) -> None:
        self.at, self.lock = now(), threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.at

    def tick(self, seconds: int = 1) -> None:
        with self.lock:
            self.at += timedelta(seconds=seconds)


class Counting:
    """A gateway that de-duplicates nothing: it counts every message handed over to it."""

    resend_safe = True  # as the SMS gateway says of itself

    def __init__(self, clock: Clock, sent: Counter[int], on_send: Callable[[int], None] | None = None) -> None:
        self.clock, self.sent, self.on_send = clock, sent, on_send
        self.lock = threading.Lock()
        self.calls = 0

    def send(self, message: Outgoing) -> Result:
        with self.lock:
            self.sent[message.id] += 1
            self.calls += 1
            self.clock.tick()
        if self.on_send is not None:
            self.on_send(self.calls)
        return Result(Outcome.SENT)


def _queue(b: Branches, count: int) -> list[int]:
    """`count` SMS, several to each person (the registry has 60 people)."""
    people = with_mobiles(b.engine)
    with b.uow() as uow:
        for n in range(count):
            queue_notification(uow, civil_number=people[n % len(people)], language="ar", subject="s", body=f"{n}")
        uow.commit()
    return [r["id"] for r in b.rows("notification_outbox")]


def _send(b: Branches, channel: Counting, clock: Clock, *, batch: int) -> delivery.Sent:
    policy = delivery.Policy(batch=batch, lease=LEASE)
    return delivery.send_due(uow_of(b), {"sms": channel}, actor=ACTOR, policy=policy, clock=clock)


# --- 3. two senders: a message is claimed by one sender only -------------------------------------------


def test_a_batch_that_outlasts_its_lease_is_not_sent_twice(branches: Branches) -> None:
    """Sender A claims a batch; while it hands the second message over, its lease on the rest of the
    batch runs out and sender B claims them. A must not hand over any of those afterwards, nor B the
    message A had in hand (its claim was renewed when A took it)."""
    ids = _queue(branches, 8)
    clock, sent = Clock(), Counter[int]()
    other: list[delivery.Sent] = []

    def meanwhile(call: int) -> None:
        if call == 1:
            clock.tick(LEASE - 2)  # the first message took long: the batch's lease nearly over
        if call == 2:  # the batch's claim is past its lease now: another sender comes
            clock.tick(3)
            other.append(_send(branches, Counting(clock, sent), clock, batch=100))

    first = _send(branches, Counting(clock, sent, meanwhile), clock, batch=100)
    assert sent == Counter(dict.fromkeys(ids, 1))  # each message handed over once, none lost
    assert first.counts[Outcome.SENT] + other[0].counts[Outcome.SENT] == len(ids)
    assert first.lost_claims == len(ids) - 2  # the ones B took over: A let them go
    assert [r["state"] for r in branches.rows("notification_outbox")] == ["sent"] * len(ids)
    assert [r["attempts"] for r in branches.rows("notification_outbox")] == [1] * len(ids)


def test_two_senders_at_once_hand_each_message_over_once(branches: Branches) -> None:
    """Two sender threads on PostgreSQL, their batches longer than the lease; one waits mid-send
    while the other goes ahead, so that each finds the other's batch past its lease. A gateway that
    de-duplicates nothing counts each message once.

    PostgreSQL only: on SQLite one writer at a time holds the database, and the busy handler can
    leave a sender waiting while the other hands over more messages than the lease lasts here (50
    of this clock's seconds): that sender is then rightly taken for dead (a real lease, 300 s, is
    ten times the busy timeout). The test above runs the same race, in order, on both."""
    if branches.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test: PostgreSQL only (SQLite serialises writers)")
    ids = _queue(branches, 240)
    clock, sent = Clock(), Counter[int]()
    ahead = threading.Event()

    def lead(call: int) -> None:
        if call == LEASE - 10:
            ahead.set()

    def wait(call: int) -> None:
        if call == 1:
            assert ahead.wait(60), "the other sender never went ahead"

    runs: list[delivery.Sent] = []
    failures: list[BaseException] = []

    def run(channel: Counting) -> None:
        try:
            runs.append(_send(branches, channel, clock, batch=100))
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
            ahead.set()

    threads = [threading.Thread(target=run, args=(Counting(clock, sent, hook),)) for hook in (lead, wait)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    duplicates = {i: n for i, n in sent.items() if n > 1}
    assert duplicates == {} and sorted(sent) == ids  # each message handed over exactly once
    assert sum(r.counts[Outcome.SENT] for r in runs) == len(ids)
    assert all(r.counts[Outcome.SENT] for r in runs)  # both sent: they ran side by side
    assert {r["state"] for r in branches.rows("notification_outbox")} == {"sent"}


# --- 2. a resend goes to the address on record now ------------------------------------------------------


def test_a_resend_after_the_mobile_was_corrected_goes_to_the_new_number(
    branches: Branches, gateway: Callable[..., Gateway]
) -> None:
    queue_sms(branches, 2)
    first = branches.rows("notification_outbox")[0]
    old = f"9{1_000_000 + first['person_id']}"
    sms = gateway("--refuse", old)
    delivery.send_due(uow_of(branches), _channels(sms), actor=ACTOR)
    assert branches.rows("notification_outbox")[0]["state"] == "failed"
    with branches.engine.begin() as connection:  # the branch corrects the person's mobile
        connection.execute(text("UPDATE person SET mobile = '98765432' WHERE id = :id"), {"id": first["person_id"]})
    before = delivery.reopen(uow_of(branches), first["id"], "resend", actor=ACTOR)
    done = delivery.send_due(uow_of(branches), _channels(sms), actor=ACTOR)
    handed = [m["to"] for m in sms.received() if m["key"] == f"himaya-outbox-{first['id']}"]
    assert handed == ["98765432"]  # the new number (the old one the gateway refuses: not logged)
    assert branches.rows("notification_outbox")[0]["address"] == "98765432"
    assert done.counts[Outcome.SENT] == 1
    assert before["address"] == old and before["registered"] == "98765432"
    row = branches.rows("notification_outbox")[0]
    assert row["state"] == "sent" and row["address"] == "98765432"
    audit = {(r["action"], r["subject"]): r for r in branches.rows("audit_entry")}
    resend = audit[("notify.resend", f"outbox:{first['id']}")]
    assert old in resend["before"] and "98765432" in resend["after"]
    assert "98765432" in audit[("notify.sent", f"outbox:{first['id']}")]["after"]  # the address used


def test_a_resend_to_a_person_without_a_mobile_now_is_refused(
    branches: Branches, gateway: Callable[..., Gateway]
) -> None:
    queue_sms(branches, 1)
    first = branches.rows("notification_outbox")[0]
    sms = gateway("--refuse", f"9{1_000_000 + first['person_id']}")
    delivery.send_due(uow_of(branches), _channels(sms), actor=ACTOR)
    with branches.engine.begin() as connection:
        connection.execute(text("UPDATE person SET mobile = NULL WHERE id = :id"), {"id": first["person_id"]})
    with pytest.raises(InvalidInputError, match=f"message {first['id']}: .* no mobile on record"):
        delivery.reopen(uow_of(branches), first["id"], "resend", actor=ACTOR)
    assert branches.rows("notification_outbox")[0]["state"] == "failed"


def test_a_resent_email_keeps_the_address_it_was_queued_with(branches: Branches, smtp: tuple[Mailbox, int]) -> None:
    """The registry keeps no e-mail address: there is nothing to read again, and nothing is lost."""
    box, port = smtp
    box.drop = {"huda@example.om"}
    queue_mail(branches, "huda@example.om")
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    delivery.send_due(uow_of(branches), notify.channels(config), actor=ACTOR)
    (row,) = branches.rows("notification_outbox")
    assert row["state"] == "uncertain"
    box.drop = set()
    before = delivery.reopen(uow_of(branches), row["id"], "resend", actor=ACTOR)
    assert before["readdressed"] is False and before["registered"] is None
    delivery.send_due(uow_of(branches), notify.channels(config), actor=ACTOR)
    assert [e.rcpt_tos for e in box.messages] == [["huda@example.om"]] * 2
    assert branches.rows("notification_outbox")[0]["address"] == "huda@example.om"


def _channels(sms: Gateway) -> dict[str, Channel]:
    return notify.channels(sms.settings())  # as the sender wires them


# --- 4. confirm only an uncertain message; an actor that reads as written -----------------------------


def test_confirm_refuses_a_message_that_is_not_uncertain(
    branches: Branches, database_url: str, gateway: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed message was refused (or given up): recording it as delivered would hide that the
    person never got it. Only an uncertain one may be confirmed."""
    queue_sms(branches, 3)
    failed, sent, pending = branches.rows("notification_outbox")
    sms = gateway("--refuse", f"9{1_000_000 + failed['person_id']}")
    delivery.send_due(uow_of(branches), _channels(sms), actor=ACTOR)
    with branches.engine.begin() as connection:  # the third is waiting again (a retry, say)
        connection.execute(
            text("UPDATE notification_outbox SET state = 'pending' WHERE id = :id"), {"id": pending["id"]}
        )
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", ACTOR)
    code, output = himaya("notify", "confirm", str(failed["id"]))
    assert (code, output) == (
        4,
        f"error: message {failed['id']} is failed: only an uncertain message can be confirmed delivered"
        " (a failed one was refused or given up: resend it)\n",
    )
    for other in (sent, pending):
        code, output = himaya("notify", "confirm", str(other["id"]))
        assert code == 4 and f"message {other['id']} is {'sent' if other is sent else 'pending'}:" in output
    assert himaya("notify", "confirm", "999999") == (3, "error: no message 999999 in the outbox\n")
    assert [r["state"] for r in branches.rows("notification_outbox")] == ["failed", "sent", "pending"]  # unchanged
    assert not {r["action"] for r in branches.rows("audit_entry")} & {"notify.confirm"}
    with pytest.raises(ConflictError, match=f"message {sent['id']} is sent: only a failed or uncertain"):
        delivery.reopen(uow_of(branches), sent["id"], "resend", actor=ACTOR)
    with pytest.raises(NotFoundError, match="no message 999999 in the outbox"):
        delivery.reopen(uow_of(branches), 999_999, "resend", actor=ACTOR)


@pytest.mark.parametrize(
    ("actor", "rule"),
    [
        ("admin\u202egnp.exe", "U+202E at character 6"),
        ("\u2066root\u2069", "U+2066 at character 1"),
        ("ops\u200bx", "U+200B at character 4"),
        ("ops\x1b[2J", "U+001B at character 4"),
        ("ops\nforged line", "U+000A at character 4"),
        ("   ", "blank"),
        ("a" * 200, "at most 128 characters"),
    ],
)
def test_an_actor_that_would_not_read_as_written_is_refused(
    branches: Branches, database_url: str, monkeypatch: pytest.MonkeyPatch, actor: str, rule: str
) -> None:
    queue_sms(branches, 1)
    message = branches.rows("notification_outbox")[0]["id"]
    with branches.engine.begin() as connection:
        connection.execute(text("UPDATE notification_outbox SET state = 'uncertain'"))
    entries = len(branches.rows("audit_entry"))
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    for command in ("confirm", "resend"):
        code, output = himaya("notify", command, str(message), "--actor", actor)
        assert code == 2 and rule in output, output
    monkeypatch.setenv("HIMAYA_ACTOR", actor)
    code, output = himaya("notify", "send")
    assert code == 2 and rule in output, output
    assert branches.rows("notification_outbox")[0]["state"] == "uncertain"  # nothing written
    assert len(branches.rows("audit_entry")) == entries
