"""The letters waiting at the branches, behind `cases.ports.LetterStore`: a branch's batch taken in one
transaction, its letters as printed, the waiting ones by branch.

A batch is taken by one UPDATE of the rows a SELECT found (the branch's waiting letters the user may
see); on PostgreSQL the SELECT locks them with SKIP LOCKED, so an officer printing at the same moment
takes the letters after them (or none), never the same; on SQLite the transaction holds the write
lock from its start. The UPDATE repeats the condition (still waiting), and the batch is the rows it
marked, so a letter is in one batch only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from himaya.cases.model import Delivery, OutboxState
from himaya.core.access import Principal
from himaya.db.case_tables import case_file, letter_batch
from himaya.db.case_tables import notification_outbox as outbox
from himaya.db.scoped import case_visible
from himaya.db.tables import person

NAMES = [
    person.c[f"{part}_{script}"] for script in ("ar", "en") for part in ("given_name", "father_name", "family_name")
]
WAITING = (outbox.c.channel == Delivery.LETTER.value, outbox.c.state == OutboxState.PENDING.value)


class SqlLetterStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def take(self, principal: Principal, wilayat: str, *, governorate: str, actor: str, at: datetime) -> int | None:
        found = (
            select(outbox.c.id)
            .join(case_file, case_file.c.id == outbox.c.case_id)
            .where(*WAITING, case_file.c.wilayat == wilayat, case_visible(principal))
            .order_by(outbox.c.id)
        )
        if self.connection.dialect.name == "postgresql":  # another printer takes the next rows, not these
            found = found.with_for_update(skip_locked=True, of=outbox)
        ids = list(self.connection.execute(found).scalars())
        if not ids:
            return None
        batch = self.connection.execute(
            insert(letter_batch)
            .values(wilayat=wilayat, governorate=governorate, printed_by=actor, printed_at=at, letters=0)
            .returning(letter_batch.c.id)
        ).scalar_one()
        marked = self.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), *WAITING)
            .values(state=OutboxState.PRINTED.value, batch_id=batch, sent_at=at, address=f"branch:{wilayat}")
            .returning(outbox.c.id)
        ).all()
        if not marked:  # all taken by another printer since they were read (SQLite never comes here)
            self.connection.execute(letter_batch.delete().where(letter_batch.c.id == batch))
            return None
        self.connection.execute(update(letter_batch).where(letter_batch.c.id == batch).values(letters=len(marked)))
        return int(batch)

    def batch(self, principal: Principal, batch_id: int) -> dict[str, Any] | None:
        row = self.connection.execute(select(letter_batch).where(letter_batch.c.id == batch_id)).mappings().first()
        if row is None:
            return None
        seen = self.connection.execute(
            select(func.count())
            .select_from(outbox.join(case_file, case_file.c.id == outbox.c.case_id))
            .where(outbox.c.batch_id == batch_id, case_visible(principal))
        ).scalar_one()
        return dict(row) if seen == row["letters"] else None

    def letters(self, principal: Principal, batch_id: int) -> list[dict[str, Any]]:
        query = (
            select(outbox.c.id, outbox.c.language, outbox.c.subject, outbox.c.body, case_file.c.number)
            .add_columns(case_file.c.wilayat.label("branch"), person.c.civil_number, *NAMES)
            .add_columns(person.c.wilayat, person.c.governorate)
            .join(case_file, case_file.c.id == outbox.c.case_id)
            .outerjoin(person, person.c.id == outbox.c.person_id)
            .where(outbox.c.batch_id == batch_id, case_visible(principal))
            .order_by(outbox.c.id)
        )
        return [dict(r) for r in self.connection.execute(query).mappings()]

    def waiting(self) -> dict[str, int]:
        query = (
            select(case_file.c.wilayat, func.count())
            .select_from(outbox)
            .join(case_file, case_file.c.id == outbox.c.case_id)
            .where(*WAITING)
            .group_by(case_file.c.wilayat)
        )
        return {wilayat: count for wilayat, count in self.connection.execute(query)}
