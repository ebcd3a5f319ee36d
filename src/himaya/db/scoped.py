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
from sqlalchemy import Connection, Date, Select, String, and_, bindparam, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Permission, Principal
from himaya.core.errors import NotFoundError
from himaya.db.case_tables import case_file
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import family, membership, person, situation


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


def search_people(
    connection: Connection,
    principal: Principal,
    *,
    family_number: str | None = None,
    wilayat: str | None = None,
    name: str | None = None,
    birth_date: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """People in scope matching every filter given (names: a case-insensitive part of any name
    in either script), with their current family; ordered by civil number."""
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
        .select_from(
            person.outerjoin(
                membership, and_(membership.c.person_id == person.c.id, membership.c.valid_to.is_(None))
            ).outerjoin(family, family.c.id == membership.c.family_id)
        )
        .where(person.c.merged_into.is_(None), person_visible(principal))
    )
    if family_number is not None:
        query = query.where(family.c.family_number == family_number)
    if wilayat is not None:
        query = query.where(person.c.wilayat == wilayat)
    if birth_date is not None:
        query = query.where(person.c.birth_date == birth_date)
    if name:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    person.c[f"{p}_{s}"].ilike(pattern, escape="\\")
                    for s in ("ar", "en")
                    for p in ("given_name", "father_name", "grandfather_name", "family_name")
                )
            )
        )
    rows = connection.execute(query.order_by(person.c.civil_number).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows]


def family_table(connection: Connection, principal: Principal, family_number: str, day: date) -> pl.DataFrame:
    """The family's people table as it stood on `day` (for the engine), if the family is in scope now."""
    found = connection.execute(
        select(family.c.id).where(family.c.family_number == family_number, family_visible(principal))
    ).first()
    if found is None:
        raise NotFoundError(f"no family {family_number!r} in your branches")
    return read_people(connection, _FAMILY_QUERY, few=True, params={"day": day, "family": family_number})


# Built once, with its values as parameters: a service reads a family per request, and building
# and keying this statement anew each time cost more than running it.
_FAMILY_QUERY = people_query(
    bindparam("day", type_=Date()), registry=True, family_number=bindparam("family", type_=String())
)


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
