"""Which life event started or ended an enrollment, read back for `himaya explain` and the person page:
the re-plan after a batch of events writes each enrollment's reason with the events behind it
(`... after life event birth (event 12)`); the inbox says where each came from and its date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from himaya.db.event_tables import event_inbox
from himaya.db.tables import enrollment, person

NAMED = re.compile(r"([a-z_0-9]+) \(event (\d+)\)")


def enrollment_causes(connection: Connection, civil_numbers: Sequence[str]) -> list[dict[str, Any]]:
    """For each enrollment of these people whose reason names life events: enrollment (its id),
    civil_number, programme, started (True when the event started it, False when it ended it),
    month (its start or end), event (inbox id), kind, source, source_event_id, event_date; oldest
    enrollment first."""
    if not civil_numbers:
        return []
    rows = connection.execute(
        select(enrollment.c.id, person.c.civil_number, enrollment.c.programme, enrollment.c.status,
               enrollment.c.start_month, enrollment.c.end_month, enrollment.c.reason)
        .join(person, person.c.id == enrollment.c.person_id)
        .where(person.c.civil_number.in_(list(civil_numbers)), enrollment.c.reason.contains("(event "))
        .order_by(enrollment.c.id)
    ).all()  # fmt: skip
    named = {(r, int(i)) for row in rows for r, i in NAMED.findall(row.reason or "")}
    inbox = {}
    if named:
        found = connection.execute(
            select(event_inbox.c.id, event_inbox.c.kind, event_inbox.c.source, event_inbox.c.source_event_id,
                   event_inbox.c.event_date).where(event_inbox.c.id.in_(sorted({i for _, i in named})))
        ).mappings()  # fmt: skip
        inbox = {r["id"]: dict(r) for r in found}
    causes = []
    for row in rows:
        started = (row.reason or "").startswith("entitled")
        for _, event in NAMED.findall(row.reason or ""):
            said = inbox.get(int(event))
            if said is None:
                continue
            causes.append({"enrollment": row.id, "civil_number": row.civil_number, "programme": row.programme,
                           "started": started, "month": row.start_month if started else row.end_month,
                           "event": said["id"], "kind": said["kind"], "source": said["source"],
                           "source_event_id": said["source_event_id"], "event_date": said["event_date"]})  # fmt: skip
    return causes
