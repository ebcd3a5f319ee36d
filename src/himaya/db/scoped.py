"""Reads on behalf of a user: the branch scope is a condition of the query itself.

A family belongs to the branch where its head lives now (the head's current wilayat and
governorate). A user scoped to wilayats or governorates reads only the people whose current
family belongs there; a user with no scope reads nobody. Nothing is read and then filtered: the
rows outside the scope never leave the database, and a person outside it is reported exactly as
a person who does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Date,
    Select,
    String,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Permission, Principal
from himaya.core.errors import NotFoundError
from himaya.db.case_tables import case_file
from himaya.db.name_match import named
from himaya.db.registry_pack import attribute_types
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import family, membership, person, situation
from himaya.registry.model import Search, SearchTerms


def visible_families(principal: Principal) -> Select[Any] | None:
    """The ids of the families the user may read (None: every family)."""
    if principal.every_branch:
        return None
    head, place = membership.alias("head_membership"), person.alias("head_person")
    wilayats, governorates = principal.branch_values("wilayat"), principal.branch_values("governorate")
    where: list[ColumnElement[bool]] = []
    if wilayats:
        where.append(place.c.wilayat.in_(wilayats))
    if governorates:
        where.append(place.c.governorate.in_(governorates))
    return (
        select(head.c.family_id)
        .join(place, place.c.id == head.c.person_id)
        .where(head.c.relationship == "head", head.c.valid_to.is_(None), or_(*where) if where else false())
    )


def family_visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on `family.c.id`."""
    families = visible_families(principal)
    return family.c.id.in_(families) if families is not None else true()


def person_visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on `person.c.id`: the person's current family is in scope."""
    families = visible_families(principal)
    if families is None:
        return true()
    return person.c.id.in_(
        select(membership.c.person_id).where(membership.c.valid_to.is_(None), membership.c.family_id.in_(families))
    )


def person_in_branches(principal: Principal) -> ColumnElement[bool]:
    """`person_visible`, checked person by person: the person's current family has a current head
    living in the user's branches (the same rule, as a correlated EXISTS). For a query that reaches
    few people (a search by name or number), where building the set of every person of a big
    branch first would cost more than the search itself."""
    if principal.every_branch:
        return true()
    mine, head, place = membership.alias("own_membership"), membership.alias("head_membership"), person.alias("head")
    wilayats, governorates = principal.branch_values("wilayat"), principal.branch_values("governorate")
    where: list[ColumnElement[bool]] = []
    if wilayats:
        where.append(place.c.wilayat.in_(wilayats))
    if governorates:
        where.append(place.c.governorate.in_(governorates))
    return exists().where(
        mine.c.person_id == person.c.id,
        mine.c.valid_to.is_(None),
        head.c.family_id == mine.c.family_id,
        head.c.relationship == "head",
        head.c.valid_to.is_(None),
        place.c.id == head.c.person_id,
        or_(*where) if where else false(),
    )


def search_people(
    connection: Connection, principal: Principal, wanted: Search, terms: SearchTerms, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """People in scope matching every filter given, with their current family; ordered by civil
    number. Names are matched through the name index (`db/name_match.py`: the rarest word, or the
    rarest pair of common words, driving, every other word probed per candidate); never a scan of
    the people."""
    joined = person.outerjoin(
        membership, and_(membership.c.person_id == person.c.id, membership.c.valid_to.is_(None))
    ).outerjoin(family, family.c.id == membership.c.family_id)
    if terms.names:
        found = named(connection, terms.names).subquery("named")
        joined = found.join(joined, person.c.id == found.c.person_id)
    few = terms.names or any(
        v is not None for v in (wanted.civil_number, wanted.phone, wanted.number, wanted.family_number)
    )
    in_scope = person_in_branches(principal) if few else person_visible(principal)
    query = (
        select(
            person.c.id,
            person.c.civil_number,
            *(person.c[f"{p}_{s}"] for s in ("ar", "en") for p in ("given_name", "family_name")),
            person.c.sex,
            person.c.birth_date,
            person.c.death_date,
            person.c.governorate,
            person.c.wilayat,
            family.c.family_number,
            membership.c.relationship,
            person.c.version,
        )
        .select_from(joined)
        .where(person.c.merged_into.is_(None), in_scope)
    )
    for column, value in (
        (family.c.family_number, wanted.family_number),
        (person.c.wilayat, wanted.wilayat),
        (person.c.birth_date, wanted.birth_date),
        (person.c.civil_number, wanted.civil_number),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.family_number is not None:
        # The family's members drive: else, ordered by civil number, the planner walks every person
        # of the registry in that order to find the few of one family (0.5 s at a million).
        members = (
            select(membership.c.person_id)
            .join(family, family.c.id == membership.c.family_id)
            .where(family.c.family_number == wanted.family_number, membership.c.valid_to.is_(None))
        )
        query = query.where(person.c.id.in_(members))
    if wanted.phone is not None:
        query = query.where(person.c.mobile.in_(terms.phones))
    if wanted.number is not None:
        query = query.where(or_(person.c.civil_number == wanted.number, person.c.mobile.in_(terms.number_phones)))
    rows = connection.execute(query.order_by(person.c.civil_number).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows]


def family_table(connection: Connection, principal: Principal, family_number: str, day: date) -> pl.DataFrame:
    """The family's people table as it stood on `day` (for the engine), if the family is in scope now."""
    found = connection.execute(
        select(family.c.id).where(family.c.family_number == family_number, family_visible(principal))
    ).first()
    if found is None:
        raise NotFoundError(f"no family {family_number!r} in your branches")
    kinds = attribute_types(connection)  # the registry's pack's own columns (Iraq's), none for Oman
    params = {"day": day, "family": family_number}
    return read_people(connection, _family_query(kinds), few=True, params=params, attributes=kinds)


# Built once per set of the pack's own columns, with its values as parameters: a service reads a
# family per request, and building and keying this statement anew each time cost more than running it.
_FAMILY_QUERIES: dict[tuple[tuple[str, str], ...], Select[Any]] = {}


def _family_query(kinds: dict[str, pl.DataType]) -> Select[Any]:
    key = tuple((name, str(kind)) for name, kind in kinds.items())
    if key not in _FAMILY_QUERIES:
        _FAMILY_QUERIES[key] = people_query(
            bindparam("day", type_=Date()),
            registry=True,
            family_number=bindparam("family", type_=String()),
            awards=True,
            attributes=kinds or None,
        )
    return _FAMILY_QUERIES[key]


def people_records(
    connection: Connection,
    principal: Principal,
    condition: ColumnElement[bool],
    *,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """People in scope meeting `condition` (over `person`, `family` and `situation`), with their
    current family and situation, a page of them and how many there are in all."""
    joined = (
        person.outerjoin(membership, and_(membership.c.person_id == person.c.id, membership.c.valid_to.is_(None)))
        .outerjoin(family, family.c.id == membership.c.family_id)
        .outerjoin(situation, and_(situation.c.person_id == person.c.id, situation.c.valid_to.is_(None)))
    )
    where = and_(person.c.merged_into.is_(None), person_visible(principal), condition)
    total = connection.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
    rows = connection.execute(
        select(
            person,
            family.c.family_number,
            membership.c.relationship,
            situation.c.marital_status,
            situation.c.resident,
        )
        .select_from(joined)
        .where(where)
        .order_by(person.c.civil_number)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [dict(r) for r in rows], int(total)


def case_visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on `case_file`: the case's branch is one of the user's, and a sensitive case only
    for a user holding case.sensitive. A case outside it is never read, let alone shown."""
    where: list[ColumnElement[bool]] = []
    if not principal.every_branch:
        wilayats, governorates = principal.branch_values("wilayat"), principal.branch_values("governorate")
        branches = [
            *([case_file.c.wilayat.in_(wilayats)] if wilayats else []),
            *([case_file.c.governorate.in_(governorates)] if governorates else []),
        ]
        where.append(or_(*branches) if branches else false())
    if not principal.can(Permission.CASE_SENSITIVE):
        where.append(case_file.c.sensitive.is_(False))
    return and_(true(), *where)
