"""The insurance's actions on the store, for the CLI (and later the API): each call reads its file
through the adapters, opens a unit of work on `engine` (its events wired as `bootstrap.unit_of_work`
wires them) and runs one action in it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from himaya.adapters.tables import read_rows, read_table
from himaya.core.periods import Period
from himaya.db.uow import SqlUnitOfWork
from himaya.insurance import actions, benefits
from himaya.insurance.model import Declared, EmployersRegistered, PaymentRecorded
from himaya.insurance.pension import Kind
from himaya.insurance.pension_explain import PensionExplanation
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree

__all__ = ["Declared", "EmployersRegistered", "Kind", "PaymentRecorded", "PensionExplanation"]


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
    engine: Engine, *, employer: str, amount: int, received_on: date, reference: str, actor: str, today: date
) -> PaymentRecorded:
    return actions.record_payment(
        _uow(engine),
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
