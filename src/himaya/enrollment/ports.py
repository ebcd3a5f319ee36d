"""What the enrollment's actions need from the store: `db/stores/enrollments.py` implements it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

import polars as pl

from himaya.core.periods import Period
from himaya.core.uow import UnitOfWork
from himaya.policy.pack import PolicyPack


class EnrollmentStore(Protocol):
    def people(self, period: Period) -> pl.DataFrame:
        """The registry at the period's end (with accounts and row ids), read Arrow-native."""

    def plan(
        self, pack: PolicyPack, period: Period, entitled: pl.DataFrame, people: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(to enroll, to end) for the month against the enrollments in force (`enrollment.sync`)."""

    def enroll(self, to_enroll: pl.DataFrame, today: date) -> None:
        """Insert the planned enrollments, active from today, in one statement."""

    def end(self, to_end: pl.DataFrame) -> None:
        """End the active enrollments of the staged people and programmes, with the first row's month
        and reason (the monthly sync ends all with the same), in one statement."""


class StopRecorder(Protocol):
    """Records, in the sync's transaction, each enrollment ended as a decision the person is told of
    and may appeal (`bootstrap` wires `cases.stops.record`); the number recorded."""

    def __call__(self, ended: pl.DataFrame, people: pl.DataFrame, period: Period, *, actor: str, today: date) -> int:
        """`ended`: person_id, programme, end_month, reason; `people`: the registry at the month's end."""


class EnrollmentUnitOfWork(UnitOfWork, Protocol):
    @property
    def enrollments(self) -> EnrollmentStore: ...
