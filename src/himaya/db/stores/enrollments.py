"""The enrollment's store behind `enrollment.ports.EnrollmentStore`: set-based statements on the unit
of work's connection."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Connection, and_, select, update
from sqlalchemy.schema import DropTable

from himaya.core.clock import now
from himaya.core.periods import Period
from himaya.db import staging
from himaya.db.enrollments import enroll, plan_for
from himaya.db.registry_pack import attribute_types
from himaya.db.snapshot import people_query, read_people
from himaya.db.stores.dci_notify import queue_enrollments
from himaya.db.tables import enrollment, person
from himaya.enrollment.model import EnrollmentStatus
from himaya.policy.pack import PolicyPack


class SqlEnrollmentStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def people(self, period: Period) -> pl.DataFrame:
        """Read Arrow-native: no caller has written to the registry in its transaction."""
        kinds = attribute_types(self.connection)
        query = people_query(period.end, accounts=True, keys=True, awards=True, attributes=kinds)
        return read_people(self.connection, query, committed=True, attributes=kinds)

    def plan(
        self, pack: PolicyPack, period: Period, entitled: pl.DataFrame, people: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        return plan_for(self.connection, pack, period, entitled, people)

    def enroll(self, to_enroll: pl.DataFrame, today: date) -> None:
        enroll(self.connection, to_enroll, today)

    def end(self, to_end: pl.DataFrame) -> None:
        """End the staged (person, programme) enrollments in force: the rows to end are found by one
        join, not by a subquery correlated with every enrollment (which scanned the staged rows once
        per enrollment: 37 s for 11 endings among 20,000 people on SQLite)."""
        who, ended = person.alias("who"), enrollment.alias("ended")
        s = staging.load(self.connection, "ending_staging", to_end)
        ending = (
            select(ended.c.id)
            .join(who, who.c.id == ended.c.person_id)
            .join(s, and_(s.c.person_id == who.c.civil_number, s.c.programme == ended.c.programme))
            .where(ended.c.status == EnrollmentStatus.ACTIVE)
        )
        self.connection.execute(
            update(enrollment)
            .where(enrollment.c.id.in_(ending))
            .values(
                status=EnrollmentStatus.ENDED.value,
                end_month=to_end["end_month"][0],
                reason=to_end["reason"][0],
                version=enrollment.c.version + 1,
            )
        )
        queue_enrollments(self.connection, s, at=now())  # partners subscribed to enrollment changes
        self.connection.execute(DropTable(s))
