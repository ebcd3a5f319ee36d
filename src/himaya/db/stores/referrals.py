"""The referrals' store behind `cases.ports.ReferralStore`: set-based statements on the unit of work's
connection (a temporary table per batch, then one INSERT ... SELECT per table), no decisions.

Who may read a referral is a condition of the statement itself (`referral_visible`): the staff of its
case's branch (case.read, as for any case), or the provider it was sent to, once the person's consent
is recorded (referral.respond with the scope provider:KEY). Anything else is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Boolean, Connection, and_, false, func, insert, literal, or_, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import DropTable
from sqlalchemy.sql.elements import ColumnElement

from himaya.cases.model import PAGE, ReferralFilter
from himaya.core.access import Permission, Principal
from himaya.core.errors import ConflictError
from himaya.core.periods import Period
from himaya.db import staging
from himaya.db.case_tables import case_counter, case_event, case_file, referral
from himaya.db.frames import read_frame
from himaya.db.scoped import case_visible
from himaya.db.snapshot import people_query, read_people
from himaya.db.stores.cases import _case
from himaya.db.tables import person

NAMES = tuple(f"{p}_{s}" for s in ("en", "ar") for p in ("given_name", "father_name", "family_name"))


def referral_visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on `case_file` joined to `referral`: a case of the user's branches (case.read, the
    sensitive ones only with case.sensitive), or a referral sent with consent to a provider of theirs."""
    where: list[ColumnElement[bool]] = []
    if principal.can(Permission.CASE_READ):
        where.append(case_visible(principal))
    providers = principal.branch_values("provider")
    if principal.can(Permission.REFERRAL_RESPOND) and providers:
        where.append(
            and_(
                referral.c.provider.in_(providers), referral.c.sent_at.is_not(None), referral.c.consent_at.is_not(None)
            )
        )
    return or_(*where) if where else false()


class SqlReferralStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def people(self, period: Period) -> pl.DataFrame:
        """Read Arrow-native: the proposer has written nothing before it reads."""
        return read_people(self.connection, people_query(period.end, keys=True, awards=True), committed=True)

    def people_of(self, period: Period, civil_numbers: pl.Series) -> pl.DataFrame:
        wanted = staging.load(self.connection, "referral_people", pl.DataFrame({"person_id": civil_numbers.unique()}))
        try:
            return read_people(self.connection, people_query(period.end, keys=True, only=wanted, awards=True))
        finally:
            self.connection.execute(DropTable(wanted))

    def places(self, person_keys: pl.Series) -> pl.DataFrame:
        keys = staging.load(self.connection, "referral_keys", pl.DataFrame({"person_key": person_keys.unique()}))
        query = select(person.c.id.label("person_key"), person.c.wilayat, person.c.governorate).join(
            keys, keys.c.person_key == person.c.id
        )
        try:
            schema = {"person_key": pl.Int64(), "wilayat": pl.String(), "governorate": pl.String()}
            return read_frame(self.connection, query, schema)
        finally:
            self.connection.execute(DropTable(keys))

    def held(self, wanted: pl.DataFrame) -> pl.DataFrame:
        pairs = staging.load(self.connection, "referral_wanted", wanted.unique(), index="person_key")
        month = func.coalesce(referral.c.period, func.date(case_file.c.opened_at))
        query = (
            select(
                referral.c.person_id.label("person_key"),
                referral.c.service,
                month.label("month"),
                type_coerce(case_file.c.closed_at.is_(None), Boolean).label("open"),
            )
            .join(case_file, case_file.c.id == referral.c.case_id)
            .join(pairs, and_(pairs.c.person_key == referral.c.person_id, pairs.c.service == referral.c.service))
        )
        try:
            schema = {"person_key": pl.Int64(), "service": pl.String(), "month": pl.Date(), "open": pl.Boolean()}
            return read_frame(self.connection, query, schema)
        finally:
            self.connection.execute(DropTable(pairs))

    def reserve_numbers(self, year: int, count: int) -> int:
        """One update of the year's counter (made if missing): its row stays locked until the end."""
        bump = (
            update(case_counter)
            .where(case_counter.c.year == year)
            .values(last_number=case_counter.c.last_number + count)
            .returning(case_counter.c.last_number)
        )
        last = self.connection.execute(bump).scalar()
        if last is None:  # the year's first case: a concurrent proposer's row wins, and is then locked
            dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
            self.connection.execute(
                dialect.insert(case_counter).values(year=year, last_number=0).on_conflict_do_nothing()
            )
            last = self.connection.execute(bump).scalar_one()
        return int(last) - count + 1

    def insert_proposals(self, rows: pl.DataFrame, *, constants: Mapping[str, Any]) -> int:
        columns = ("number", "person_key", "person_id", "wilayat", "governorate", "subject", "form", "data")
        s = staging.load(self.connection, "referral_proposals", rows.select(*columns, "rule", "service", "provider"))

        def fixed(name: str, column: Any = None) -> Any:
            return literal(constants[name], type_=(column if column is not None else case_file.c[name]).type)

        at = fixed("at", case_file.c.opened_at)
        # Each column of a case, and its value: the batch's (staged) or the same for all.
        values = {
            **{k: s.c[k] for k in ("number", "wilayat", "governorate", "subject", "form")},
            **{k: fixed(k) for k in ("type", "state", "channel", "sensitive", "language", "opened_by", "due_on")},
            "person_id": s.c.person_key,
            "civil_number": s.c.person_id,
            "version": literal(1),
            **dict.fromkeys(("state_since", "opened_at", "updated_at"), at),
        }
        try:
            self.connection.execute(insert(case_file).from_select(list(values), select(*values.values())))
            self._opened(s, at, fixed)
        except IntegrityError:  # the unique (person, service, month), or a number: another proposer's
            raise ConflictError(
                "another proposer wrote some of these referrals meanwhile: nothing of this run is kept; run it again"
            ) from None
        self.connection.execute(DropTable(s))
        return rows.height

    def _opened(self, s: Any, at: Any, fixed: Any) -> None:
        """The opening events and the referral rows of the staged cases just inserted."""
        numbered = (
            select(case_file.c.id, s.c.data, s.c.person_key, s.c.rule, s.c.service, s.c.provider)
            .join(case_file, case_file.c.number == s.c.number)
            .subquery("numbered")
        )
        n = numbered.c
        self.connection.execute(
            insert(case_event).from_select(
                ["case_id", "at", "actor", "kind", "to_state", "data"],
                select(n.id, at, fixed("opened_by"), literal("opened"), fixed("state"), n.data),
            )
        )
        self.connection.execute(
            insert(referral).from_select(
                ["case_id", "person_id", "service", "provider", "rule", "period"],
                select(n.id, n.person_key, n.service, n.provider, n.rule, fixed("period", referral.c.period)),
            )
        )

    def _query(self, principal: Principal) -> Any:
        return (
            select(
                case_file,
                *(referral.c[k] for k in ("service", "provider", "rule", "period", "sent_at")),
                *(referral.c[k] for k in ("consent_given_by", "consent_channel", "consent_at", "consent_recorded_by")),
                referral.c.id.label("referral_id"),
                person.c.mobile,
                *(person.c[n] for n in NAMES),
            )
            .select_from(case_file)
            .outerjoin(referral, referral.c.case_id == case_file.c.id)
            .join(person, person.c.id == case_file.c.person_id)
            .where(referral_visible(principal))
        )

    def visible(self, principal: Principal, number: str) -> dict[str, Any] | None:
        row = self.connection.execute(self._query(principal).where(case_file.c.number == number)).mappings().first()
        return None if row is None else _case(row)

    def listing(
        self, principal: Principal, wanted: ReferralFilter, *, limit: int = PAGE, offset: int = 0
    ) -> list[dict[str, Any]]:
        query = self._query(principal).where(case_file.c.type == wanted.type)
        for column, value in (
            (case_file.c.state, wanted.state),
            (referral.c.service, wanted.service),
            (referral.c.provider, wanted.provider),
            (case_file.c.wilayat, wanted.wilayat),
            (referral.c.period, wanted.period),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(case_file.c.id.desc()).limit(limit).offset(offset)
        return [_case(row) for row in self.connection.execute(query).mappings()]

    def save(self, case_id: int, values: Mapping[str, Any]) -> None:
        changed = self.connection.execute(
            update(referral).where(referral.c.case_id == case_id).values(**values),
            execution_options={"preserve_rowcount": True},
        )
        if changed.rowcount == 0:
            self.connection.execute(insert(referral).values(case_id=case_id, **values))
