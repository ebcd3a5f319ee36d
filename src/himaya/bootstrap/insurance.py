"""The insurance's actions on the store, for the CLI (and later the API): each call reads its file
through the adapters, opens a unit of work on `engine` (its events wired as `bootstrap.unit_of_work`
wires them) and runs one action in it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Date, Engine, bindparam, select

from himaya.adapters.tables import read_rows, read_table
from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.db.stores import event_causes
from himaya.db.stores.awards import awarded_incomes as awarded_incomes_query
from himaya.db.tables import person
from himaya.db.uow import SqlUnitOfWork
from himaya.insurance import actions, award_review, awards, benefits
from himaya.insurance.award_model import Awarded, AwardState, Benefit, Survivor
from himaya.insurance.award_review import Left, Reviewed
from himaya.insurance.model import Declared, EmployersRegistered, PaymentRecorded
from himaya.insurance.pension import Kind
from himaya.insurance.pension_explain import PensionExplanation
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree

__all__ = [
    "AwardState",
    "Awarded",
    "Benefit",
    "Declared",
    "EmployersRegistered",
    "Kind",
    "Left",
    "PaymentRecorded",
    "PensionExplanation",
    "Reviewed",
    "Survivor",
]


# The pensions Himaya pays, as incomes on a day (a bound `day`): built once.
incomes = awarded_incomes_query(bindparam("day", type_=Date())).subquery("awarded")


def _uow(engine: Engine) -> SqlUnitOfWork:
    from himaya.bootstrap import unit_of_work  # noqa: PLC0415  (the package is imported first)

    return unit_of_work(engine)


def register_employers(engine: Engine, pack: PolicyPack, path: Path, *, actor: str) -> EmployersRegistered:
    """The employer register file (CSV, Excel or Parquet) into the store."""
    return actions.register_employers(_uow(engine), pack, read_table(path), actor=actor, source=str(path))


def declare(
    engine: Engine,
    pack: PolicyPack,
    path: Path,
    month: Period,
    *,
    actor: str,
    today: date,
    employer: str | None = None,
    correct: bool = False,
) -> Declared:
    """A declaration file (CSV, Excel, Parquet or JSON) for `month`."""
    raw = read_rows(path)
    return actions.declare(
        _uow(engine), pack, raw, month, actor=actor, source=str(path), today=today, employer=employer, correct=correct
    )


def pay(
    engine: Engine,
    pack: PolicyPack,
    *,
    employer: str,
    amount: int,
    received_on: date,
    reference: str,
    actor: str,
    today: date,
) -> PaymentRecorded:
    return actions.record_payment(
        _uow(engine),
        pack,
        employer=employer,
        amount=amount,
        received_on=received_on,
        reference=reference,
        actor=actor,
        today=today,
    )


def employers(engine: Engine) -> pl.DataFrame:
    return actions.employers(_uow(engine))


def contributions(engine: Engine, month: Period | None, employer: str | None) -> pl.DataFrame:
    return actions.contributions(_uow(engine), month, employer)


def arrears(engine: Engine, pack: PolicyPack, on: date, employer: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return actions.arrears(_uow(engine), pack, on, employer)


def career(engine: Engine, civil_number: str) -> pl.DataFrame:
    return actions.career(_uow(engine), civil_number)


def pension(
    engine: Engine, pack: PolicyPack, civil_number: str, day: date, *, kind: Kind, tree: ParameterTree
) -> PensionExplanation:
    return benefits.pension(_uow(engine), pack, civil_number, day, kind=kind, tree=tree)


def death_pension(
    engine: Engine, pack: PolicyPack, civil_number: str, survivors: dict[str, int], *, tree: ParameterTree
) -> tuple[PensionExplanation, pl.DataFrame]:
    return benefits.death_pension(_uow(engine), pack, civil_number, survivors, tree=tree)


def all_pensions(engine: Engine, pack: PolicyPack, day: date, *, tree: ParameterTree) -> pl.DataFrame:
    return benefits.all_pensions(_uow(engine), pack, day, tree=tree)


def job_security(
    engine: Engine, pack: PolicyPack, civil_number: str, lost_on: date, *, claim: int, tree: ParameterTree
) -> PensionExplanation:
    return benefits.job_security(_uow(engine), pack, civil_number, lost_on, claim=claim, tree=tree)


def maternity(
    engine: Engine, pack: PolicyPack, civil_number: str, born_on: date, *, tree: ParameterTree
) -> PensionExplanation:
    return benefits.maternity(_uow(engine), pack, civil_number, born_on, tree=tree)


def award(
    engine: Engine,
    pack: PolicyPack,
    civil_number: str,
    benefit: Benefit,
    day: date | None,
    *,
    principal: Principal,
    today: date,
    start: date | None = None,
    survivors: tuple[Survivor, ...] = (),
    reform: Path | None = None,
) -> Awarded:
    from himaya.bootstrap import load_tree  # noqa: PLC0415  (the package is imported first)

    tree = load_tree(pack, reform) if reform is not None else None
    return awards.award(
        _uow(engine), pack, civil_number, benefit, day, principal=principal, today=today, start=start,
        survivors=survivors, tree=tree, reform=None if reform is None else reform.name,
    )  # fmt: skip


def approve_award(
    engine: Engine, award_id: int, *, version: int, principal: Principal, reform: Path | None = None
) -> Awarded:
    named = None if reform is None else reform.name  # an award records its reform by the file's name
    return awards.approve(_uow(engine), award_id, version=version, principal=principal, reform=named)


def end_award(engine: Engine, award_id: int, on: date, *, version: int, reason: str, principal: Principal) -> Awarded:
    return awards.end(_uow(engine), award_id, on, version=version, reason=reason, principal=principal)


def review_award(
    engine: Engine,
    pack: PolicyPack,
    award_id: int,
    *,
    version: int,
    principal: Principal,
    today: date,
    named: tuple[Left, ...] = (),
) -> Reviewed:
    """A survivor pension reviewed: the survivors who left it leave, the shares split again."""
    return award_review.review(
        _uow(engine), pack.parameters, award_id, version=version, principal=principal, today=today, named=named
    )


def award_list(
    engine: Engine, civil_number: str | None, state: AwardState | None, *, principal: Principal
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return awards.listing(_uow(engine), civil_number, state=state, principal=principal)


def awarded_incomes(engine: Engine, civil_numbers: list[str], day: date) -> pl.DataFrame:
    """civil_number, kind (pension, survivor_pension), amount, award_id: the pensions Himaya pays these
    people on `day`, which the rules count among their incomes (`himaya explain` names them)."""
    query = (
        select(person.c.civil_number, incomes.c.kind, incomes.c.monthly_amount, incomes.c.id)
        .join(person, person.c.id == incomes.c.person_id)
        .where(person.c.civil_number.in_(civil_numbers))
        .order_by(person.c.civil_number, incomes.c.id)
    )
    schema = {"civil_number": pl.String, "kind": pl.String, "amount": pl.Int64, "award_id": pl.Int64}
    with engine.connect() as connection:
        rows = connection.execute(query.params(day=day)).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def enrollment_causes(engine: Engine, civil_numbers: list[str]) -> list[dict[str, Any]]:
    """The life events that started or ended these people's enrollments (`himaya explain` names them)."""
    with engine.connect() as connection:
        return event_causes.enrollment_causes(connection, civil_numbers)
