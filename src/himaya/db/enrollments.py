"""The enrollments of some families planned again for a month, after life events changed them.

The same plan as the monthly `himaya enrollment sync` (`enrollment/sync.py`: who is entitled and
not enrolled is enrolled from the month the pack's start rule gives; who is enrolled and no longer
entitled is ended with the month before), on the given families only, read from the registry as
it stands at the month's end. Each enrollment it starts or ends says which life event caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, Subquery, Table, and_, insert, literal, null, select, text, update
from sqlalchemy.schema import DropTable

from himaya.core.clock import now
from himaya.core.periods import Period
from himaya.db import audit, staging
from himaya.db.registry_pack import attribute_types
from himaya.db.snapshot import people_query, read_people, valid_on
from himaya.db.stores.dci_notify import queue_enrollments
from himaya.db.stores.exceptions import in_force_between
from himaya.db.tables import disability, enrollment, family, membership, person
from himaya.enrollment.sync import keep_exceptions, plan_enrollments
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack


@dataclass(frozen=True)
class Replanned:
    families: int
    enrolled: int
    ended: int


def replan_families(
    engine: Engine,
    pack: PolicyPack,
    period: Period,
    notes: Mapping[str, str],
    *,
    actor: str,
    today: date,
    applied: Mapping[str, tuple[str | None, date]] | None = None,
) -> Replanned:
    """Plan the enrollments of the families `notes` names (family number -> why) for `period`;
    `applied`: family number -> (programme or None for any, the day of its application), from whose
    month a programme without a start rule of its own is due (an application approved late, or on appeal)."""
    if not notes:
        return Replanned(0, 0, 0)
    with engine.begin() as connection:
        s, m = _members(connection, notes, period)
        members = select(m.c.person_id, m.c.key).subquery("members")
        kinds = attribute_types(connection)
        query = people_query(period.end, keys=True, only=members, awards=True, attributes=kinds)
        people = read_people(connection, query, attributes=kinds)
        to_enroll, to_end = _plan(connection, pack, period, people, members, _applied(applied))
        note = pl.DataFrame({"family_id": list(notes), "note": list(notes.values())})
        why = people.select("person_id", "family_id").join(note, on="family_id")
        to_enroll, to_end = (
            f.join(why, on="person_id", how="left").with_columns(
                pl.concat_str("reason", pl.lit("; "), "note", ignore_nulls=True).alias("reason")
            ).drop("family_id", "note")
            for f in (to_enroll, to_end)
        )  # fmt: skip
        _write(connection, to_enroll, to_end, today)
        audit.record(
            connection,
            [audit.Change("enrollment.replan", f"period:{period}", None,
                          {"families": dict(notes), "enrolled": to_enroll.height, "ended": to_end.height})],
            actor=actor,
        )  # fmt: skip
        connection.execute(DropTable(m))
        connection.execute(DropTable(s))
    return Replanned(len(notes), to_enroll.height, to_end.height)


def _members(connection: Connection, notes: Mapping[str, str], period: Period) -> tuple[Table, Table]:
    """The families (staged) and their members at the month's end (person_id, key), staged once for
    the plan's four reads and analysed (a fresh PostgreSQL table has no statistics to plan with)."""
    s = staging.load(
        connection, "replan_family", pl.DataFrame({"family_id": list(notes)}, schema={"family_id": pl.String})
    )
    _analyze(connection, s)
    members = (
        select(person.c.civil_number.label("person_id"), person.c.id.label("key"))
        .join(membership, membership.c.person_id == person.c.id)
        .join(family, family.c.id == membership.c.family_id)
        .where(valid_on(membership, period.end), family.c.family_number.in_(select(s.c.family_id)))
    )
    frame = pl.DataFrame(
        connection.execute(members).all(), schema={"person_id": pl.String, "key": pl.Int64}, orient="row"
    )
    m = staging.load(connection, "replan_member", frame, index="key")
    _analyze(connection, m)
    return s, m


def _analyze(connection: Connection, table: Table) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {table.name}"))


def _applied(applied: Mapping[str, tuple[str | None, date]] | None) -> pl.DataFrame | None:
    if not applied:
        return None
    return pl.DataFrame(
        [(family, programme, day) for family, (programme, day) in applied.items()],
        schema={"family_id": pl.String, "applied_for": pl.String, "applied_on": pl.Date},
        orient="row",
    )


def _plan(
    connection: Connection,
    pack: PolicyPack,
    period: Period,
    people: pl.DataFrame,
    members: Subquery,
    applied: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    result = entitlements(people.select(pack.schema.names), pack, pack.parameters, period)
    return plan_for(connection, pack, period, result, people, keys=select(members.c.key), applied=applied)


def plan_for(
    connection: Connection,
    pack: PolicyPack,
    period: Period,
    entitled: pl.DataFrame,
    people: pl.DataFrame,
    *,
    keys: Select[Any] | None = None,
    applied: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(to enroll, to end) for the month: the people `entitled` names (person_id, programme) against
    the enrollments in force, each start dated by the pack's rule (a disability benefit from the
    assessment); a supervisor's exception in force in the month keeps its enrollment (one read).
    `keys` (person row ids) narrows the reads to some people; the monthly sync reads all.
    `applied` (family_id, applied_for, applied_on): the families' applications, the month a programme
    without a start rule is due from (for `applied_for`, or any programme where it is empty)."""

    def only(query: Select[Any], column: Any) -> Select[Any]:
        return query if keys is None else query.where(column.in_(keys))

    assessed = connection.execute(
        only(
            select(person.c.civil_number, disability.c.valid_from)
            .join(disability, disability.c.person_id == person.c.id)
            .where(disability.c.valid_to.is_(None)),
            person.c.id,
        )
    ).all()
    assessed_from = pl.DataFrame(assessed, schema={"person_id": pl.String, "assessed_from": pl.Date}, orient="row")
    entitled = (
        entitled.select("person_id", "programme")
        .join(people.select("person_id", "birth_date"), on="person_id")
        .join(assessed_from, on="person_id", how="left")
    )
    if applied is not None:
        mine = pl.col("applied_for").is_null() | (pl.col("applied_for") == pl.col("programme"))
        entitled = (
            entitled.join(people.select("person_id", "family_id"), on="person_id", how="left")
            .join(applied, on="family_id", how="left")
            .with_columns(pl.when(mine).then(pl.col("applied_on")).otherwise(None).alias("applied_on"))
            .drop("family_id", "applied_for")
        )
    active = pl.DataFrame(
        connection.execute(
            only(
                select(person.c.civil_number, enrollment.c.programme)
                .join(person, person.c.id == enrollment.c.person_id)
                .where(enrollment.c.status == "active"),
                enrollment.c.person_id,
            )
        ).all(),
        schema={"person_id": pl.String, "programme": pl.String},
        orient="row",
    )
    starts = pack.enrollment_starts(pack.parameters.at(period.start))
    to_enroll, to_end = plan_enrollments(entitled, active, period, first=pack.first_period, starts=starts)
    kept = in_force_between(connection, period.start, period.start, keys=keys)
    dead = people.filter(pl.col("death_date") <= period.end) if "death_date" in people.columns else people.clear()
    kept = kept.join(dead.select("person_id"), on="person_id", how="anti")  # dead by the month's end: ended as ever
    return keep_exceptions(to_enroll, to_end, active, kept, first=pack.first_period)


def enroll(connection: Connection, to_enroll: pl.DataFrame, today: date) -> None:
    """Insert the planned enrollments (person_id, programme, start_month, reason), active from today."""
    if not to_enroll.height:
        return
    who = person.alias("who")
    s = staging.load(connection, "enrollment_staging", to_enroll)
    _analyze(connection, s)
    connection.execute(
        insert(enrollment).from_select(
            ["person_id", "programme", "status", "applied_on", "start_month", "end_month", "reason", "version"],
            select(who.c.id, s.c.programme, literal("active"), literal(today), s.c.start_month, null(),
                   s.c.reason, literal(1)).join(who, who.c.civil_number == s.c.person_id),
        )
    )  # fmt: skip
    queue_enrollments(connection, s, at=now())  # partners subscribed to enrollment changes
    connection.execute(DropTable(s))


def _write(connection: Connection, to_enroll: pl.DataFrame, to_end: pl.DataFrame, today: date) -> None:
    enroll(connection, to_enroll, today)
    if to_end.height:
        s = staging.load(connection, "replan_end", to_end)
        _analyze(connection, s)
        _end(connection, s, person.alias("who"))
        queue_enrollments(connection, s, at=now())
        connection.execute(DropTable(s))


def _end(connection: Connection, s: Table, who: Any) -> None:
    """End each staged enrollment with its own month and reason (correlated on person and programme)."""
    mine = and_(s.c.person_id == who.c.civil_number, s.c.programme == enrollment.c.programme,
                who.c.id == enrollment.c.person_id)  # fmt: skip
    one = select(s.c.person_id).join(who, who.c.civil_number == s.c.person_id).where(mine)
    reason = select(s.c.reason).join(who, who.c.civil_number == s.c.person_id).where(mine).scalar_subquery()
    end_month = select(s.c.end_month).join(who, who.c.civil_number == s.c.person_id).where(mine).scalar_subquery()
    connection.execute(
        update(enrollment)
        .where(enrollment.c.status == "active", one.exists())
        .values(status="ended", end_month=end_month, reason=reason, version=enrollment.c.version + 1)
    )
