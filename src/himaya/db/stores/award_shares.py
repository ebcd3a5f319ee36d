"""The awards' store, the part a death and a review of a survivor pension need
(`insurance.award_ports.AwardStore`): the open awards of people recorded dead, the survivor pensions
one of whose open shares is a dead survivor's, an award's open shares with each survivor's birth and
death dates, and the shares split again (the old rows ended, the new ones added). Also the hook the
registry's write paths call once a death is written (`after_deaths`): the insurance's service decides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, exists, insert, select, update

from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.db.award_tables import insurance_award, insurance_award_share
from himaya.db.frames import read_frame
from himaya.db.stores import award_paid
from himaya.db.tables import disability, person
from himaya.insurance import award_review
from himaya.insurance.award_model import AwardState, Benefit
from himaya.policy.packs import load_pack

award, share = insurance_award, insurance_award_share
OPEN = (AwardState.PREPARED.value, AwardState.APPROVED.value)
COUNTED = {"preserve_rowcount": True}


class SqlShareStore:
    connection: Connection

    def open_of_dead(self) -> pl.DataFrame:
        query = (
            select(
                award.c.id,
                person.c.civil_number,
                award.c.benefit,
                award.c.state,
                award.c.start_date,
                award.c.end_date,
                award.c.version,
                person.c.death_date,
            )
            .join(person, person.c.id == award.c.person_id)
            .where(
                award.c.state.in_(OPEN),
                award.c.benefit != Benefit.SURVIVOR.value,
                person.c.death_date.is_not(None),
            )
            .order_by(award.c.id)
        )
        schema = {
            "id": pl.Int64(),
            "civil_number": pl.String(),
            "benefit": pl.String(),
            "state": pl.String(),
            "start_date": pl.Date(),
            "end_date": pl.Date(),
            "version": pl.Int64(),
            "death_date": pl.Date(),
        }
        return read_frame(self.connection, query, schema)

    def shared_by_dead(self) -> list[int]:
        # driven by the (few) shares not ended, each joined to its survivor by key: never a scan of the registry
        query = (
            select(share.c.award_id)
            .join(award, award.c.id == share.c.award_id)
            .join(person, person.c.id == share.c.person_id)
            .where(award.c.state.in_(OPEN), share.c.valid_to.is_(None), person.c.death_date.is_not(None))
            .distinct()
            .order_by(share.c.award_id)
        )
        return [int(i) for i in self.connection.execute(query).scalars()]

    def open_shares(self, award_id: int) -> pl.DataFrame:
        query = (
            select(
                share.c.id,
                share.c.person_id.label("person_key"),
                person.c.civil_number,
                share.c.survivor_group,
                share.c.share,
                share.c.amount,
                share.c.valid_from,
                person.c.birth_date,
                person.c.death_date,
                carded(person.c.id).label("disabled"),
                person.c.sex,
            )
            .join(person, person.c.id == share.c.person_id)
            .where(share.c.award_id == award_id, share.c.valid_to.is_(None))
            .order_by(share.c.id)
        )
        schema = {
            "id": pl.Int64(),
            "person_key": pl.Int64(),
            "civil_number": pl.String(),
            "group": pl.String(),
            "share": pl.String(),
            "amount": pl.Int64(),
            "valid_from": pl.Date(),
            "birth_date": pl.Date(),
            "death_date": pl.Date(),
            "disabled": pl.Boolean(),
            "sex": pl.String(),
        }
        return read_frame(self.connection, query, schema)

    def sharing(self, civil_numbers: Sequence[str]) -> list[int]:
        if not civil_numbers:
            return []
        query = (
            select(share.c.award_id)
            .join(award, award.c.id == share.c.award_id)
            .join(person, person.c.id == share.c.person_id)
            .where(award.c.state.in_(OPEN), share.c.valid_to.is_(None), person.c.civil_number.in_(list(civil_numbers)))
            .distinct()
            .order_by(share.c.award_id)
        )
        return [int(i) for i in self.connection.execute(query).scalars()]

    def split(self, award_id: int, ended: Sequence[tuple[int, date]], new: pl.DataFrame) -> bool:
        for share_id, last in ended:
            done = self.connection.execute(
                update(share)
                .where(and_(share.c.id == share_id, share.c.award_id == award_id, share.c.valid_to.is_(None)))
                .values(valid_to=last),
                execution_options=COUNTED,
            ).rowcount
            if done != 1:  # ended by someone else meanwhile: the caller refuses, all rolled back
                return False
        if new.height:
            rows: list[dict[str, Any]] = [
                {
                    "award_id": award_id,
                    "person_id": r["person_key"],
                    "survivor_group": r["group"],
                    "share": r["share"],
                    "amount": r["amount"],
                    "valid_from": r["valid_from"],
                    "valid_to": r["valid_to"],
                }
                for r in new.iter_rows(named=True)
            ]
            self.connection.execute(insert(share), rows)
        return True

    def settle(self, person_keys: Sequence[int], *, said: str) -> list[Change]:
        done = award_paid.settle(self.connection, person_keys, said=said, stamp=now())
        return [Change(c["action"], c["subject"], c["before"], c["after"]) for c in done]


def after_deaths(connection: Connection, *, actor: str) -> list[Change]:
    """What the deaths written on `connection` end in the insurance (its service decides: an award of
    a person recorded dead ends, a survivor pension is shared again among the survivors left), as audit
    entries for the caller's transaction."""
    from himaya.db.stores.awards import SqlAwardStore  # noqa: PLC0415  (it builds on this module)

    return award_review.apply_deaths(SqlAwardStore(connection), lambda: load_pack().parameters, actor=actor)


def after_leavers(connection: Connection, leavers: pl.DataFrame, *, actor: str) -> list[Change]:
    """The survivors who leave by a life event (civil_number, day, why, event): the insurance's service
    shares their pensions again (`award_review.apply_leavers`), in the caller's transaction."""
    from himaya.db.stores.awards import SqlAwardStore  # noqa: PLC0415  (it builds on this module)

    return award_review.apply_leavers(SqlAwardStore(connection), load_pack().parameters, leavers, actor=actor)


def survivor_children(connection: Connection) -> pl.DataFrame:
    """person_id (civil number), birth_date, death_date of the children sharing in a survivor pension
    now without a disability card: whom the calendar's scan looks at for the age limit."""
    query = (
        select(person.c.civil_number, person.c.birth_date, person.c.death_date)
        .join(share, share.c.person_id == person.c.id)
        .join(award, award.c.id == share.c.award_id)
        .where(award.c.state.in_(OPEN), share.c.valid_to.is_(None), share.c.survivor_group == "children",
               ~carded(person.c.id))
        .distinct()
    )  # fmt: skip
    return read_frame(connection, query, {"person_id": pl.String(), "birth_date": pl.Date(), "death_date": pl.Date()})


def carded(person_id: Any) -> Any:
    """Whether the person holds a disability card now (the registry's current assessment): such a
    child is not held to the survivors' age limit."""
    card = disability
    return exists().where(card.c.person_id == person_id, card.c.valid_to.is_(None), card.c.card.is_(True))
