"""The cases' store behind `cases.ports.CaseStore`: statements on the unit of work's connection, no
decisions (`himaya.cases.actions` makes those). Every read on behalf of a user carries its scope
(`scoped.case_visible`) in the statement itself."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from himaya.cases.model import EventKind, Inbox, Message, OutboxState, PersonRef
from himaya.core.access import Principal
from himaya.core.clock import now
from himaya.core.errors import NotFoundError
from himaya.core.text import Text
from himaya.db.access import load_user
from himaya.db.case_tables import case_counter, case_event, case_evidence, case_file, notification_outbox
from himaya.db.scoped import case_visible, family_table, person_visible
from himaya.db.tables import person

COUNTED = {"preserve_rowcount": True}
DUE_LIMIT = 1000  # overdue cases listed at once
# What a list of cases shows (the inbox): not the form, the rules' verdict or the recorded values,
# which are JSON to parse for each of the page's 50 rows and shown only with the case itself.
LISTED = tuple(
    case_file.c[name]
    for name in (
        "number", "type", "state", "due_on", "wilayat", "governorate", "civil_number", "category", "subject",
        "sensitive", "assigned_to", "version", "opened_at",
    )
)  # fmt: skip


class SqlCaseStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def next_number(self, year: int) -> int:
        """The counter's row is locked by the update until the opening transaction ends: two openers
        queue, and a rolled-back opening gives its number back."""
        bump = (
            update(case_counter)
            .where(case_counter.c.year == year)
            .values(last_number=case_counter.c.last_number + 1)
            .returning(case_counter.c.last_number)
        )
        number = self.connection.execute(bump).scalar()
        if number is None:
            dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
            first = dialect.insert(case_counter).values(year=year, last_number=0).on_conflict_do_nothing()
            self.connection.execute(first)
            number = self.connection.execute(bump).scalar_one()
        return int(number)

    def person(self, principal: Principal | None, civil_number: str) -> PersonRef | None:
        scope = person_visible(principal) if principal is not None else true()
        row = self.connection.execute(
            select(
                person.c.id,
                person.c.civil_number,
                person.c.wilayat,
                person.c.governorate,
                person.c.mobile,
                person.c.birth_date,
            ).where(person.c.civil_number == civil_number, person.c.merged_into.is_(None), scope)
        ).first()
        return None if row is None else PersonRef(*row)

    def name_of(self, person_key: int) -> Text:
        parts = ("given_name", "father_name", "family_name")
        row = self.connection.execute(
            select(*(person.c[f"{p}_{s}"] for s in ("en", "ar") for p in parts)).where(person.c.id == person_key)
        ).one()
        return Text(" ".join(v for v in row[:3] if v), " ".join(v for v in row[3:] if v))

    def insert(self, row: Mapping[str, Any]) -> int:
        values = {**row, "form": json.dumps(row.get("form") or {}, ensure_ascii=False, sort_keys=True)}
        if row.get("record_values") is not None:
            values["record_values"] = json.dumps(row["record_values"], ensure_ascii=False, sort_keys=True)
        return int(self.connection.execute(insert(case_file).values(**values).returning(case_file.c.id)).scalar_one())

    def visible(self, principal: Principal, number: str) -> dict[str, Any] | None:
        row = (
            self.connection.execute(select(case_file).where(case_file.c.number == number, case_visible(principal)))
            .mappings()
            .first()
        )
        return None if row is None else _case(row)

    def update(self, case_id: int, changes: Mapping[str, Any], *, expected_version: int) -> bool:
        for column in ("rules", "form"):  # JSON columns
            if isinstance(changes.get(column), Mapping):
                changes = {**changes, column: json.dumps(changes[column], ensure_ascii=False, sort_keys=True)}
        result = self.connection.execute(
            update(case_file)
            .where(case_file.c.id == case_id, case_file.c.version == expected_version)
            .values(**changes, version=case_file.c.version + 1, updated_at=now()),
            execution_options=COUNTED,
        )
        return result.rowcount == 1

    def appeals_of(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(case_file.c.number, case_file.c.state, case_file.c.decision, case_file.c.closed_at)
            .where(case_file.c.appealed_id == case_id)
            .order_by(case_file.c.id)
        ).mappings()
        return [dict(row) for row in rows]

    def reverse(self, case_id: int, *, by: str) -> bool:
        result = self.connection.execute(
            update(case_file)
            .where(case_file.c.id == case_id, case_file.c.reversed_by.is_(None))
            .values(reversed_by=by, version=case_file.c.version + 1, updated_at=now()),
            execution_options=COUNTED,
        )
        return result.rowcount == 1

    def version(self, case_id: int) -> int:
        return int(self.connection.execute(select(case_file.c.version).where(case_file.c.id == case_id)).scalar_one())

    def add_event(
        self,
        case_id: int,
        kind: EventKind,
        *,
        actor: str,
        from_state: str | None = None,
        to_state: str | None = None,
        text: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.connection.execute(
            insert(case_event).values(
                case_id=case_id,
                at=now(),
                actor=actor,
                kind=kind.value,
                from_state=from_state,
                to_state=to_state,
                text=text,
                data=json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) if data else None,
            )
        )

    def events(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(case_event).where(case_event.c.case_id == case_id).order_by(case_event.c.id)
        ).mappings()
        return [{**row, "data": json.loads(row["data"]) if row["data"] else None} for row in rows]

    def messages(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(notification_outbox)
            .where(notification_outbox.c.case_id == case_id)
            .order_by(notification_outbox.c.id)
        ).mappings()
        return [dict(row) for row in rows]

    def inbox(self, principal: Principal, wanted: Inbox, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """A page by due date, the cases with no deadline last (by number). Read in two parts, each
        in the order of an index that leads with the branch (`case_tables`): the cases with a
        deadline by (due_on, number), then those without by number. One sort of the whole branch
        with NULLS LAST would read every case of the branch for each page (1.4 s for a wilayat of
        213,000 cases; bench/cases.py)."""
        where = [case_visible(principal), *_filters(wanted)]
        dated = self._page(
            where, case_file.c.due_on.is_not(None), (case_file.c.due_on, case_file.c.number), limit, offset
        )
        if len(dated) == limit:
            return dated
        if dated:  # the page began among the dated cases: the undated ones follow from their first
            undated_offset = 0
        else:
            counted = select(func.count()).select_from(case_file).where(*where, case_file.c.due_on.is_not(None))
            undated_offset = offset - self.connection.execute(counted).scalar_one()
        undated = self._page(
            where, case_file.c.due_on.is_(None), (case_file.c.number,), limit - len(dated), undated_offset
        )
        return dated + undated

    def _page(
        self,
        where: list[ColumnElement[bool]],
        part: ColumnElement[bool],
        order: tuple[ColumnElement[Any], ...],
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        query = select(*LISTED).where(*where, part).order_by(*order).limit(limit).offset(offset)
        return [dict(row) for row in self.connection.execute(query).mappings()]

    def due_by(self, principal: Principal, day: date) -> list[dict[str, Any]]:
        query = (
            select(case_file)
            .where(case_visible(principal), case_file.c.closed_at.is_(None), case_file.c.due_on <= day)
            .order_by(case_file.c.due_on, case_file.c.number)
            .limit(DUE_LIMIT)
        )
        return [_case(row) for row in self.connection.execute(query).mappings()]

    def escalate(self, case_ids: Sequence[int], *, actor: str) -> None:
        if case_ids:
            self.connection.execute(
                update(case_file).where(case_file.c.id.in_(case_ids)).values(escalated_at=now(), updated_at=now())
            )

    def user(self, username: str) -> Principal | None:
        found = load_user(self.connection, username)
        return found.principal if found is not None and found.active else None

    def queue(self, messages: Sequence[Message]) -> int:
        if not messages:
            return 0
        at = now()
        self.connection.execute(
            insert(notification_outbox),
            [
                {
                    "case_id": m.case_id,
                    "person_id": m.person_id,
                    "recipient": m.recipient,
                    "channel": m.channel.value,
                    "language": m.language,
                    "subject": m.subject,
                    "body": m.body,
                    "state": OutboxState.PENDING.value,
                    "attempts": 0,
                    "created_at": at,
                    "address": m.address,
                }
                for m in messages
            ],
        )
        return len(messages)

    def add_evidence(self, row: Mapping[str, Any]) -> bool:
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        added = self.connection.execute(
            dialect.insert(case_evidence).values(**row).on_conflict_do_nothing(), execution_options=COUNTED
        )
        return added.rowcount == 1

    def evidence(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(case_evidence).where(case_evidence.c.case_id == case_id).order_by(case_evidence.c.id)
        ).mappings()
        return [{k: v for k, v in row.items() if k not in ("id", "case_id")} for row in rows]

    def evidence_file(self, case_id: int, sha256: str) -> dict[str, Any] | None:
        row = (
            self.connection.execute(
                select(case_evidence).where(case_evidence.c.case_id == case_id, case_evidence.c.sha256 == sha256)
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def family_people(self, principal: Principal, family_number: str, day: date) -> pl.DataFrame | None:
        try:
            return family_table(self.connection, principal, family_number, day)
        except NotFoundError:
            return None


def _filters(wanted: Inbox) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for column, value in (
        (case_file.c.wilayat, wanted.wilayat),
        (case_file.c.governorate, wanted.governorate),
        (case_file.c.state, wanted.state),
        (case_file.c.type, wanted.type),
        (case_file.c.assigned_to, wanted.assigned_to),
    ):
        if value is not None:
            where.append(column == value)
    if wanted.due_before is not None:
        where.append(case_file.c.due_on <= wanted.due_before)
    if wanted.open_only:
        where.append(case_file.c.closed_at.is_(None))
    return [and_(true(), *where)]


def _case(row: Any) -> dict[str, Any]:
    rules, values = row.get("rules"), row.get("record_values")
    return {
        **row,
        "form": json.loads(row["form"]),
        "rules": json.loads(rules) if rules else None,
        "record_values": json.loads(values) if values else None,
    }
