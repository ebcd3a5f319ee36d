"""The benefits stopped by the enrollment sync, as decisions (`cases.ports.StopStore`): a temporary
table per batch, then one INSERT ... SELECT per table (cases, their events, their messages); no
decisions here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, insert, literal, null, select, update
from sqlalchemy.schema import DropTable

from himaya.cases.model import OutboxState
from himaya.core.clock import now
from himaya.core.periods import Period
from himaya.db import staging
from himaya.db.case_tables import case_event, case_file, notification_outbox
from himaya.db.frames import read_frame
from himaya.db.stores import dci_notify
from himaya.db.stores.referrals import SqlReferralStore
from himaya.db.tables import enrollment, person
from himaya.enrollment.model import EnrollmentStatus
from himaya.registry.partners import RecordEvent

COUNTED = {"preserve_rowcount": True}


class SqlStopStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def places(self, person_keys: pl.Series) -> pl.DataFrame:
        keys = staging.load(self.connection, "stop_keys", pl.DataFrame({"person_key": person_keys.unique()}))
        query = select(person.c.id.label("person_key"), person.c.wilayat, person.c.governorate, person.c.mobile).join(
            keys, keys.c.person_key == person.c.id
        )
        try:
            schema = {"person_key": pl.Int64(), **dict.fromkeys(("wilayat", "governorate", "mobile"), pl.String())}
            return read_frame(self.connection, query, schema)
        finally:
            self.connection.execute(DropTable(keys))

    def reserve_numbers(self, year: int, count: int) -> int:
        return SqlReferralStore(self.connection).reserve_numbers(year, count)

    def insert(self, rows: pl.DataFrame, *, constants: Mapping[str, Any]) -> int:
        columns = ("number", "person_key", "person_id", "wilayat", "governorate", "subject", "form", "reason_en")
        s = staging.load(self.connection, "stop_decisions", rows.select(*columns, "message_subject", "body", "channel"))

        def fixed(name: str, column: Any) -> Any:
            return literal(constants[name], type_=column.type)

        at = fixed("at", case_file.c.opened_at)
        values = {
            **{k: s.c[k] for k in ("number", "wilayat", "governorate", "subject", "form")},
            "type": fixed("type", case_file.c.type),
            "state": fixed("state", case_file.c.state),
            "channel": literal("partner"),
            "sensitive": literal(False),
            "language": fixed("language", case_file.c.language),
            "opened_by": fixed("actor", case_file.c.opened_by),
            "decided_by": fixed("actor", case_file.c.decided_by),
            "decision": fixed("decision", case_file.c.decision),
            "reason": s.c.reason_en,
            "person_id": s.c.person_key,
            "civil_number": s.c.person_id,
            "version": literal(1),
            **dict.fromkeys(("state_since", "opened_at", "updated_at", "closed_at"), at),
        }
        self.connection.execute(insert(case_file).from_select(list(values), select(*values.values())))
        numbered = (
            select(case_file.c.id, s.c.person_key, s.c.person_id, s.c.reason_en, s.c.message_subject, s.c.body,
                   s.c.channel)
            .join(case_file, case_file.c.number == s.c.number)
            .subquery("numbered")
        )  # fmt: skip
        n = numbered.c
        self.connection.execute(
            insert(case_event).from_select(
                ["case_id", "at", "actor", "kind", "to_state", "text", "data"],
                select(n.id, at, fixed("actor", case_event.c.actor), literal("decided"),
                       fixed("decision", case_event.c.to_state), n.reason_en, fixed("data", case_event.c.data)),
            )
        )  # fmt: skip
        self.connection.execute(
            insert(notification_outbox).from_select(
                ["case_id", "person_id", "recipient", "channel", "language", "subject", "body", "state", "attempts",
                 "created_at"],
                select(n.id, n.person_key, n.person_id, n.channel, fixed("language", notification_outbox.c.language),
                       n.message_subject, n.body, literal(OutboxState.PENDING.value), literal(0), at),
            )
        )  # fmt: skip
        self.connection.execute(DropTable(s))
        return rows.height

    def restore(self, person_key: int, programme: str, since: date, *, reason: str) -> bool:
        mine = and_(enrollment.c.person_id == person_key, enrollment.c.programme == programme)
        in_force = enrollment.c.status == EnrollmentStatus.ACTIVE
        active = self.connection.execute(
            select(enrollment.c.id, enrollment.c.start_month).where(mine, in_force)
        ).first()
        if active is not None:  # enrolled again since (entitled again): its start dated back to the stop
            if active.start_month <= since:
                return False
            changed = self.connection.execute(
                update(enrollment)
                .where(enrollment.c.id == active.id, enrollment.c.start_month == active.start_month)
                .values(start_month=since, reason=reason, version=enrollment.c.version + 1),
                execution_options=COUNTED,
            )
            return self._restored(person_key, changed.rowcount)
        before = Period.containing(since).shifted(-1).start
        ended = self.connection.execute(
            select(enrollment.c.id)
            .where(mine, enrollment.c.status == EnrollmentStatus.ENDED, enrollment.c.end_month == before)
            .order_by(enrollment.c.id.desc())
        ).first()
        if ended is None:
            return False
        changed = self.connection.execute(
            update(enrollment)
            .where(enrollment.c.id == ended.id, enrollment.c.status == EnrollmentStatus.ENDED)
            .values(status=EnrollmentStatus.ACTIVE.value, end_month=null(), reason=reason,
                    version=enrollment.c.version + 1),
            execution_options=COUNTED,
        )  # fmt: skip
        return self._restored(person_key, changed.rowcount)

    def _restored(self, person_key: int, rows: int) -> bool:
        """Whether the enrollment was restored; if so, partners subscribed to enrollments are told."""
        if rows == 1:
            dci_notify.queue_one(self.connection, person_key, RecordEvent.ENROLLMENT, at=now())
        return rows == 1
