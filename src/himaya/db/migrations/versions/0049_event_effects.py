"""`event_effect`: which audit entries each life event wrote, so that undoing a cancelled
registration finds what it did by index (`db/stores/event_reversal.effects`) rather than by
reading the text of the whole audit trail. Backfilled from the trail: every `person.create`,
`person.update` and `insurance.award.end` entry naming an inbox event (`"event": id` in what it
wrote), under the registration a correction corrects (its applied corrections' entries are undone
with it), else under the event itself.

Revision ID: 0049
Revises: 0046
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0046"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNDONE = ("person.create", "person.update", "insurance.award.end")
CHUNK = 10_000


def upgrade() -> None:
    op.create_table(
        "event_effect",
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("registration", ID, nullable=False),
        sa.Column("event", ID, nullable=False),
        sa.PrimaryKeyConstraint("entry_hash", name=op.f("pk_event_effect")),
    )
    op.create_index("ix_event_effect_registration", "event_effect", ["registration"])
    _backfill(op.get_bind())


def _registrations(connection: sa.Connection) -> dict[int, int]:
    """Each applied correction's inbox id -> the id of the registration it corrects (same source)."""
    inbox = sa.table("event_inbox", sa.column("id", ID), sa.column("source", sa.String), sa.column("kind", sa.String),
                     sa.column("source_event_id", sa.String), sa.column("state", sa.String),
                     sa.column("payload", sa.Text))  # fmt: skip
    corrections = connection.execute(
        sa.select(inbox.c.id, inbox.c.source, inbox.c.payload).where(
            inbox.c.kind == "correction", inbox.c.state == "applied"
        )
    ).all()
    wanted = {int(i): (source, json.loads(payload or "{}").get("corrects")) for i, source, payload in corrections}
    named = sorted({str(c) for _, c in wanted.values() if c is not None})
    ids: dict[tuple[str, str], int] = {}
    for start in range(0, len(named), 500):
        found = connection.execute(
            sa.select(inbox.c.id, inbox.c.source, inbox.c.source_event_id).where(
                inbox.c.source_event_id.in_(named[start : start + 500])
            )
        )
        ids |= {(source, event): int(i) for i, source, event in found}
    return {event: ids[key] for event, key in wanted.items() if key in ids}


def _backfill(connection: sa.Connection) -> None:
    inbox = sa.table("event_inbox", sa.column("id", ID))
    known = {int(i) for (i,) in connection.execute(sa.select(inbox.c.id))}
    if not known:
        return
    of = _registrations(connection)
    entry = sa.table("audit_entry", sa.column("id", ID), sa.column("action", sa.Text), sa.column("after", sa.Text),
                     sa.column("hash", sa.String))  # fmt: skip
    effect = sa.table("event_effect", sa.column("entry_hash", sa.String), sa.column("registration", ID),
                      sa.column("event", ID))  # fmt: skip
    rows = connection.execute(
        sa.select(entry.c.hash, entry.c.after)
        .where(entry.c.action.in_(UNDONE), entry.c.after.contains('"event":'))
        .order_by(entry.c.id)
    )
    links: list[dict[str, Any]] = []
    for digest, after in rows:
        event = json.loads(after or "{}").get("event")
        if isinstance(event, int) and not isinstance(event, bool) and event in known:
            links.append({"entry_hash": digest, "registration": of.get(event, event), "event": event})
    for start in range(0, len(links), CHUNK):
        connection.execute(sa.insert(effect), links[start : start + CHUNK])


def downgrade() -> None:
    op.drop_index("ix_event_effect_registration", table_name="event_effect")
    op.drop_table("event_effect")
