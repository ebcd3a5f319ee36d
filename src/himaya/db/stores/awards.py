"""The awards' store behind `insurance.award_ports.AwardStore`, and the reads other capabilities make
of the awards in force: the payroll's lines (`awarded`), the incomes the life-cycle rules count
(`awarded_incomes`, joined into the people table by `snapshot`); the deaths' and reviews' reads and
writes are `award_shares`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import CompoundSelect, Connection, and_, case, insert, literal, or_, select, union_all, update
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.db.award_tables import insurance_award, insurance_award_share
from himaya.db.frames import read_frame
from himaya.db.stores.award_shares import SqlShareStore, carded
from himaya.db.tables import person
from himaya.insurance.award_model import INCOMES, PROGRAMMES, AwardState, Benefit

award, share = insurance_award, insurance_award_share
COUNTED = {"preserve_rowcount": True}
PAID = (AwardState.APPROVED.value, AwardState.ENDED.value)  # paid (up to their end) and counted
AWARD = {
    "id": pl.Int64(),
    "civil_number": pl.String(),
    "benefit": pl.String(),
    "claim": pl.Int64(),
    "day": pl.Date(),
    "amount": pl.Int64(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "state": pl.String(),
    "version": pl.Int64(),
    "prepared_by": pl.String(),
    "approved_by": pl.String(),
    "ended_by": pl.String(),
    "end_reason": pl.String(),
}
SHARE = {
    "award_id": pl.Int64(),
    "civil_number": pl.String(),
    "group": pl.String(),
    "share": pl.String(),
    "amount": pl.Int64(),
    "valid_from": pl.Date(),
    "valid_to": pl.Date(),
}


class SqlAwardStore(SqlShareStore):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def person_keys(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        query = select(
            person.c.civil_number,
            person.c.id.label("person_key"),
            person.c.death_date,
            person.c.birth_date,
            carded(person.c.id).label("disabled"),
        ).where(person.c.civil_number.in_(list(civil_numbers)), person.c.merged_into.is_(None))
        schema = {
            "civil_number": pl.String(),
            "person_key": pl.Int64(),
            "death_date": pl.Date(),
            "birth_date": pl.Date(),
            "disabled": pl.Boolean(),
        }
        return read_frame(self.connection, query, schema)

    def awards(
        self, civil_number: str | None, award_id: int | None = None, *, principal: Principal | None = None
    ) -> pl.DataFrame:
        columns = [person.c.civil_number if c == "civil_number" else award.c[c] for c in AWARD]
        query = select(*columns).join(person, person.c.id == award.c.person_id)
        if principal is not None:  # the awards of the people of the user's branches, or that one of them shares in
            from himaya.db.scoped import person_visible  # noqa: PLC0415  (it reads the snapshot, which reads this module)

            seen = select(person.c.id).where(person_visible(principal))
            sharing = select(share.c.award_id).where(share.c.person_id.in_(seen))
            query = query.where(or_(award.c.person_id.in_(seen), award.c.id.in_(sharing)))
        if award_id is not None:
            query = query.where(award.c.id == award_id)
        if civil_number is not None:
            who = select(person.c.id).where(person.c.civil_number == civil_number).scalar_subquery()
            survivor = select(share.c.award_id).where(share.c.person_id == who)
            query = query.where(or_(award.c.person_id == who, award.c.id.in_(survivor)))
        return read_frame(self.connection, query.order_by(award.c.id), AWARD)

    def parameters(self, award_id: int) -> str:
        found = self.connection.execute(select(award.c.parameters).where(award.c.id == award_id)).scalar_one()
        return str(found)

    def shares(self, award_ids: Sequence[int]) -> pl.DataFrame:
        query = (
            select(
                share.c.award_id,
                person.c.civil_number,
                share.c.survivor_group,
                share.c.share,
                share.c.amount,
                share.c.valid_from,
                share.c.valid_to,
            )
            .join(person, person.c.id == share.c.person_id)
            .where(share.c.award_id.in_(list(award_ids)))
            .order_by(share.c.award_id, share.c.valid_from, share.c.id)
        )
        return read_frame(self.connection, query, SHARE)

    def survivor_shares(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        # a share's months: from its own start to the first of its end and the award's
        last = case(
            (award.c.end_date.is_(None), share.c.valid_to),
            (share.c.valid_to.is_(None), award.c.end_date),
            (share.c.valid_to < award.c.end_date, share.c.valid_to),
            else_=award.c.end_date,
        )
        query = (
            select(share.c.award_id, person.c.civil_number, share.c.valid_from, last, award.c.state)
            .join(person, person.c.id == share.c.person_id)
            .join(award, award.c.id == share.c.award_id)
            .where(person.c.civil_number.in_(list(civil_numbers)))
        )
        schema = {
            "award_id": pl.Int64(),
            "civil_number": pl.String(),
            "start_date": pl.Date(),
            "end_date": pl.Date(),
            "state": pl.String(),
        }
        return read_frame(self.connection, query, schema)

    def add(self, values: Mapping[str, Any], shares: pl.DataFrame) -> int:
        row = {("person_id" if k == "person_key" else k): v for k, v in values.items()}
        new = self.connection.execute(insert(award).values(row | {"version": 1}).returning(award.c.id)).scalar_one()
        if shares.height:
            self.connection.execute(
                insert(share),
                [
                    {
                        "award_id": new,
                        "person_id": r["person_key"],
                        "survivor_group": r["group"],
                        "share": r["share"],
                        "amount": r["amount"],
                        "valid_from": values["start_date"],
                    }
                    for r in shares.iter_rows(named=True)
                ],
            )
        return int(new)

    def move(self, award_id: int, version: int, values: Mapping[str, Any]) -> bool:
        moved = self.connection.execute(
            update(award)
            .where(award.c.id == award_id, award.c.version == version)
            .values({**values, "version": award.c.version + 1}),
            execution_options=COUNTED,
        ).rowcount
        return bool(moved == 1)


def in_force(day: date | ColumnElement[Any] | None) -> ColumnElement[bool]:
    """Awards counted on `day` (approved, or ended on or after it); with no day, those approved now."""
    if day is None:
        return award.c.state == AwardState.APPROVED.value
    return and_(
        award.c.state.in_(PAID),
        award.c.start_date <= day,
        or_(award.c.end_date.is_(None), award.c.end_date >= day),
    )


def share_in_force(day: date | ColumnElement[Any] | None) -> ColumnElement[bool]:
    """A survivor's share row paid on `day` (with no day: the share not ended)."""
    if day is None:
        return share.c.valid_to.is_(None)
    return and_(share.c.valid_from <= day, or_(share.c.valid_to.is_(None), share.c.valid_to >= day))


def awarded_incomes(day: date | ColumnElement[Any] | None) -> CompoundSelect[Any]:
    """person_id (row id), kind, monthly_amount, award_id: the pensions Himaya pays, as the incomes the
    life-cycle rules read (a pensioner's `pension`, each survivor's share as their `survivor_pension`)."""
    pensions = [b.value for b, kind in INCOMES.items() if kind == "pension"]
    own = select(
        award.c.person_id, literal("pension").label("kind"), award.c.amount.label("monthly_amount"), award.c.id
    ).where(in_force(day), award.c.benefit.in_(pensions))
    survivors = (
        select(share.c.person_id, literal("survivor_pension"), share.c.amount, award.c.id)
        .join(award, award.c.id == share.c.award_id)
        .where(in_force(day), award.c.benefit == Benefit.SURVIVOR.value, share_in_force(day))
    )
    return union_all(own, survivors)


def awarded(connection: Connection, period: Period) -> pl.DataFrame:
    """The awards the payroll pays up to `period`: person_id (the beneficiary's civil number), programme,
    start_month, end_month (null: open), amount (baisa a month), once (paid once: maternity), death_date."""
    programme = case(*((award.c.benefit == b.value, p) for b, p in PROGRAMMES.items()))
    live = and_(award.c.state.in_(PAID), award.c.start_date <= period.end)
    own = (
        select(
            person.c.civil_number,
            programme,
            award.c.start_date,
            award.c.end_date,
            award.c.amount,
            award.c.benefit,
            person.c.death_date,
        )
        .join(person, person.c.id == award.c.person_id)
        .where(live, award.c.benefit != Benefit.SURVIVOR.value)
    )
    # a share is paid from its own start (the award's, or the month after a survivor left) to the
    # first of its own end and the award's
    first = case((share.c.valid_from > award.c.start_date, share.c.valid_from), else_=award.c.start_date)
    last = case(
        (award.c.end_date.is_(None), share.c.valid_to),
        (share.c.valid_to.is_(None), award.c.end_date),
        (share.c.valid_to < award.c.end_date, share.c.valid_to),
        else_=award.c.end_date,
    )
    survivors = (
        select(person.c.civil_number, programme, first, last, share.c.amount, award.c.benefit, person.c.death_date)
        .join(award, award.c.id == share.c.award_id)
        .join(person, person.c.id == share.c.person_id)
        .where(live, share.c.valid_from <= period.end)
    )
    schema = {
        "person_id": pl.String(),
        "programme": pl.String(),
        "start_date": pl.Date(),
        "end_date": pl.Date(),
        "amount": pl.Int64(),
        "benefit": pl.String(),
        "death_date": pl.Date(),
    }
    rows = connection.execute(union_all(own, survivors)).all()
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.select(
        "person_id",
        "programme",
        pl.col("start_date").dt.month_start().alias("start_month"),
        pl.col("end_date").dt.month_start().alias("end_month"),
        "amount",
        (pl.col("benefit") == Benefit.MATERNITY.value).alias("once"),
        "death_date",
    )
