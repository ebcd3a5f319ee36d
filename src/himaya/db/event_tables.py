"""The life events' inbox, and which audit entries each life event wrote (migration 0049), so that
undoing a cancelled registration finds what the registration and its corrections did by index, not
by reading the audit trail's text. Written by the worker in the batch's transaction, beside the entries."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from himaya.db.metadata import ID, metadata
from himaya.events.model import InboxState
from himaya.payroll.model import check_in

event_inbox = Table(  # life events (0011), each kept once; `subject`: the civil number it is about
    "event_inbox",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),  # opencrvs, a file's source name, calendar
    Column("source_event_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),  # EventKind, unconstrained: an unknown kind is kept as failed
    Column("subject", String(64), index=True),  # a record's events are found by it
    Column("payload", Text, nullable=False),  # the event's facts (JSON), a correction's `corrects` among them
    Column("event_date", Date),
    Column("state", String(16), nullable=False),  # InboxState
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("applied_at", DateTime(timezone=True)),
    # (0052) The family whose enrollments an applied event asks to plan again, written in the batch's
    # transaction and cleared once they are: a worker killed between the two leaves it for the next
    # run, which plans them before anything else, so that no applied event's benefits are forgotten.
    Column("replan_family", String(64)),
    UniqueConstraint("source", "source_event_id"),  # a re-import is a no-op
    Index(None, "state", "event_date", "id"),  # the worker's next batch
    Index(None, "replan_family"),
    CheckConstraint(check_in("state", InboxState), name="ck_event_inbox_state"),
)

# One row per audit entry an event wrote that undoing it reads (`person.create`, `person.update`,
# `insurance.award.end`): `registration` is the event whose effects they are (the event itself, or
# the registration a correction corrects), `event` the event that wrote the entry, `entry_hash`
# the entry (`audit_entry.hash`, unique). No foreign key: the trail is checked by `audit verify`,
# and a link must not stop anyone from showing what an edit of the trail did.
event_effect = Table(
    "event_effect",
    metadata,
    Column("entry_hash", String(64), primary_key=True),
    Column("registration", ID, nullable=False),
    Column("event", ID, nullable=False),
    Index(None, "registration"),
)
