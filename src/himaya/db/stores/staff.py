"""The staff messages, behind `cases.ports.StaffStore`: a message to `role:ROLE@WILAYAT` is for the
users holding ROLE whose branches include that wilayat (by name, by the governorate of its case, or
every branch). Who receives it is a condition of the query, built from the reader's roles and scopes
(or, for delivery, from those of every active user): a message is never read and then filtered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, insert, or_, select, update

from himaya.cases.model import Delivery, OutboxState
from himaya.core.access import Principal
from himaya.db.case_tables import case_file, staff_read
from himaya.db.case_tables import notification_outbox as outbox
from himaya.db.tables import app_user, user_role, user_scope

STAFF = outbox.c.channel == Delivery.STAFF.value
OPEN = (OutboxState.PENDING.value, OutboxState.SENT.value)  # written (pending) or delivered: in the inbox
WITH_CASE = outbox.outerjoin(case_file, case_file.c.id == outbox.c.case_id)


@dataclass
class Reach:
    """Where one role reaches: its holders' wilayats and governorates, or every branch."""

    wilayats: set[str] = field(default_factory=set)
    governorates: set[str] = field(default_factory=set)
    every: bool = False


def addressed(reach: Mapping[str, Reach]) -> ColumnElement[bool]:
    """A condition on the outbox joined to its case: a staff message addressed to one of the roles, at a
    branch its reach includes."""
    wanted: list[ColumnElement[bool]] = []
    for role, where in sorted(reach.items()):
        prefix = f"role:{role}@"
        to_role = outbox.c.recipient.startswith(prefix, autoescape=True)
        if where.every:
            wanted.append(to_role)
            continue
        branches = [
            *([outbox.c.recipient.in_(sorted(prefix + w for w in where.wilayats))] if where.wilayats else []),
            *([case_file.c.governorate.in_(sorted(where.governorates))] if where.governorates else []),
        ]
        if branches:
            wanted.append(and_(to_role, or_(*branches)))
    return and_(STAFF, or_(*wanted)) if wanted else false()


def reach_of(principal: Principal) -> dict[str, Reach]:
    if principal.kind != "person":
        return {}
    where = Reach(
        set(principal.branch_values("wilayat")), set(principal.branch_values("governorate")), principal.every_branch
    )
    return {role: where for role in principal.roles}


class SqlStaffStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def inbox(self, principal: Principal, *, unread: bool, limit: int) -> list[dict[str, Any]]:
        mine = and_(staff_read.c.message_id == outbox.c.id, staff_read.c.username == principal.username)
        query = (
            select(outbox.c.id, outbox.c.recipient, outbox.c.subject, outbox.c.body, outbox.c.created_at)
            .add_columns(case_file.c.number.label("case"), staff_read.c.read_at)
            .select_from(WITH_CASE.outerjoin(staff_read, mine))
            .where(addressed(reach_of(principal)), outbox.c.state.in_(OPEN))
            .order_by(outbox.c.id.desc())
            .limit(limit)
        )
        if unread:
            query = query.where(staff_read.c.read_at.is_(None))
        return [dict(r) for r in self.connection.execute(query).mappings()]

    def mark_read(self, principal: Principal, ids: Sequence[int], *, at: datetime) -> list[int]:
        mine = set(
            self.connection.execute(
                select(outbox.c.id)
                .select_from(WITH_CASE)
                .where(outbox.c.id.in_(ids), addressed(reach_of(principal)), outbox.c.state.in_(OPEN))
            ).scalars()
        )
        already = set(
            self.connection.execute(
                select(staff_read.c.message_id).where(
                    staff_read.c.message_id.in_(mine), staff_read.c.username == principal.username
                )
            ).scalars()
        )
        fresh = sorted(mine - already)
        if fresh:
            self.connection.execute(
                insert(staff_read), [{"message_id": i, "username": principal.username, "read_at": at} for i in fresh]
            )
        return sorted(set(ids) - mine)

    def _reach_of_everyone(self) -> dict[str, Reach]:
        rows = self.connection.execute(
            select(user_role.c.role, user_scope.c.kind, user_scope.c.value)
            .join(user_role, user_role.c.user_id == app_user.c.id)
            .join(user_scope, user_scope.c.user_id == app_user.c.id)
            .where(app_user.c.active.is_(True), app_user.c.kind == "person")
        )
        reach: dict[str, Reach] = {}
        for role, kind, value in rows:
            where = reach.setdefault(role, Reach())
            if kind == "all":
                where.every = True
            elif kind == "wilayat":
                where.wilayats.add(value)
            elif kind == "governorate":
                where.governorates.add(value)
        return reach

    def deliver(self, *, at: datetime) -> list[int]:
        pending = outbox.c.state == OutboxState.PENDING.value
        ids = list(
            self.connection.execute(
                select(outbox.c.id).select_from(WITH_CASE).where(pending, addressed(self._reach_of_everyone()))
            ).scalars()
        )
        if ids:
            self.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), pending)
                .values(state=OutboxState.SENT.value, sent_at=at, address="inbox")
            )
        return ids

    def unaddressed(self) -> dict[str, int]:
        query = (
            select(outbox.c.recipient, func.count())
            .select_from(WITH_CASE)
            .where(STAFF, outbox.c.state == OutboxState.PENDING.value, ~addressed(self._reach_of_everyone()))
            .group_by(outbox.c.recipient)
        )
        return {recipient: count for recipient, count in self.connection.execute(query)}
