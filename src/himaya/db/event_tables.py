"""Which audit entries each life event wrote (migration 0049), so that undoing a cancelled
registration finds what the registration and its corrections did by index, not by reading the
audit trail's text. Written by the worker in the batch's transaction, beside the entries."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from himaya.db.metadata import ID, metadata

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
