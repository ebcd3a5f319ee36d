"""The registry's store behind `registry.ports.RegistryStore`: statements on the unit of work's
connection, no decisions (the actions in `himaya.registry.actions` make those)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ConflictError, NotFoundError
from himaya.db import scoped
from himaya.db.attribute_tables import person_attribute
from himaya.db.people import PersonRecord, merge_rows, record_of, refresh_names
from himaya.db.registry_facts import IMPORTED
from himaya.db.registry_import import import_into
from himaya.db.registry_pack import attribute_types, registry_pack
from himaya.db.scoped import family_visible, person_visible
from himaya.db.snapshot import NAME_COLUMNS, people_query, read_people
from himaya.db.stores import dci_notify
from himaya.db.stores.award_shares import after_deaths
from himaya.db.tables import family, membership, person
from himaya.policy.packs import load_pack
from himaya.registry.model import Presence, Search, SearchTerms
from himaya.registry.partners import event_of_change

COUNTED = {"preserve_rowcount": True}


class SqlRegistryStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def presence(self, principal: Principal, civil_number: str, family_number: str) -> Presence:
        """One statement whatever the answer: its cost does not tell which branch holds a record."""
        registered = person.c.civil_number == civil_number
        numbered = family.c.family_number == family_number
        row = self.connection.execute(
            select(
                exists().where(registered),
                exists().where(registered, person_visible(principal)),
                exists().where(numbered),
                exists().where(numbered, family_visible(principal)),
            )
        ).one()
        return Presence(*(bool(v) for v in row))

    def visible_id(self, principal: Principal, civil_number: str) -> int | None:
        return self.connection.execute(
            select(person.c.id).where(
                person.c.civil_number == civil_number, person.c.merged_into.is_(None), person_visible(principal)
            )
        ).scalar()

    def current_row(self, person_key: int) -> dict[str, Any] | None:
        """With the pack's own columns (Iraq's attributes, its district among them): a record written
        back from this row keeps them."""
        kept = attribute_types(self.connection)
        query = people_query(None, registry=True, attributes=kept).where(person.c.id == person_key)
        rows = read_people(self.connection, query, few=True).to_dicts()
        if not rows:
            return None
        place = self._place()
        if rows[0].get(place) is None:  # the place is kept in `wilayat`, whatever the pack calls it
            rows[0][place] = rows[0].get("wilayat")
        return rows[0]

    def _place(self) -> str:
        return load_pack(registry_pack(self.connection)).place_column

    def import_rows(
        self,
        rows: pl.DataFrame,
        *,
        as_of: date,
        expected_version: tuple[str, int] | None,
        source: str = IMPORTED,
        actor: str = "registry",
        before: pl.DataFrame | None = None,
    ) -> tuple[int, int, int, list[Change]]:
        try:
            summary, changes = import_into(
                self.connection, rows, as_of=as_of, expected_version=expected_version, source=source, actor=actor,
                before=before,
            )  # fmt: skip
        except IntegrityError as error:  # a concurrent writer registered the same number first
            raise ConflictError(
                "a civil number or family number of this record was registered by another request meanwhile"
            ) from error
        return summary.created, summary.updated, summary.families_created, changes

    def after_deaths(self, *, actor: str) -> list[Change]:
        return after_deaths(self.connection, actor=actor)

    def version(self, civil_number: str) -> int:
        return int(
            self.connection.execute(select(person.c.version).where(person.c.civil_number == civil_number)).scalar_one()
        )

    def update_person(self, person_key: int, changes: Mapping[str, Any], *, expected_version: int) -> bool:
        """The person's own columns changed; the pack's place (Iraq's district) is written to `wilayat`
        (the column branches are scoped by), and a column the pack keeps as an attribute (the district
        again) is closed today and opened anew."""
        own = {k: v for k, v in changes.items() if k not in person.c}
        columns = {k: v for k, v in changes.items() if k in person.c}
        place = self._place()
        if place in own:
            columns["wilayat"] = own[place]
        result = self.connection.execute(
            update(person)
            .where(person.c.id == person_key, person.c.version == expected_version)
            .values(**columns, version=person.c.version + 1, updated_at=now()),
            execution_options=COUNTED,
        )
        if result.rowcount != 1:
            return False
        kept = attribute_types(self.connection)
        for name, value in own.items():
            if name in kept:
                self._set_attribute(person_key, name, value)
        if any(k in NAME_COLUMNS for k in changes):
            refresh_names(self.connection, person_key)
        # (a death date is only ever given where there was none: the service refuses to clear or move one)
        dci_notify.queue_one(self.connection, person_key, event_of_change({}, changes), at=now())
        return True

    def _set_attribute(self, person_key: int, name: str, value: Any) -> None:
        day = now().date()
        held = and_(
            person_attribute.c.person_id == person_key, person_attribute.c.name == name,
            person_attribute.c.valid_to.is_(None),
        )  # fmt: skip
        self.connection.execute(update(person_attribute).where(held).values(valid_to=day))
        if value is not None:
            self.connection.execute(
                insert(person_attribute).values(
                    person_id=person_key, name=name, value=str(value), source=IMPORTED, valid_from=day
                )
            )

    def person_row(self, person_key: int) -> dict[str, Any]:
        return dict(self.connection.execute(select(person).where(person.c.id == person_key)).mappings().one())

    def family_of(self, person_key: int) -> tuple[str, str] | None:
        row = self.connection.execute(
            select(family.c.family_number, membership.c.relationship)
            .join(family, family.c.id == membership.c.family_id)
            .where(membership.c.person_id == person_key, membership.c.valid_to.is_(None))
        ).first()
        return (row[0], row[1]) if row else None

    def merge(self, keep: str, drop: str, *, as_of: date) -> dict[str, Any]:
        return merge_rows(self.connection, keep, drop, as_of=as_of)

    def record(self, principal: Principal, civil_number: str) -> PersonRecord | None:
        self._relax()
        row = (
            self.connection.execute(
                select(person).where(person.c.civil_number == civil_number, person_visible(principal))
            )
            .mappings()
            .first()
        )
        return None if row is None else record_of(self.connection, dict(row))

    def search(
        self, principal: Principal, wanted: Search, *, limit: int, offset: int, terms: SearchTerms | None = None
    ) -> list[dict[str, Any]]:
        self._relax()
        return scoped.search_people(
            self.connection, principal, wanted, terms or SearchTerms(), limit=limit, offset=offset
        )

    def family_table(self, principal: Principal, family_number: str, day: date) -> pl.DataFrame | None:
        self._relax()
        try:
            return scoped.family_table(self.connection, principal, family_number, day)
        except NotFoundError:
            return None

    def _relax(self) -> None:
        """A read's audit entry need not wait for the disk on PostgreSQL (see api/views.audit_read)."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
