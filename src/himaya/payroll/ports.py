"""What the payroll's actions need from the store: `db/stores/payroll.py` implements it on the unit's
connection. Every method is a set-based statement (or a few): staging tables, INSERT ... SELECT,
COPY, Arrow reads; the decisions stay in `actions` and `rules`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

import polars as pl

from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.core.uow import UnitOfWork
from himaya.payroll.model import Run, RunState


class PayrollStore(Protocol):
    # --- the run and its lines ---
    def run(self, period: Period) -> Run | None: ...

    def create_run(self, period: Period, *, actor: str, stamp: datetime) -> int:
        """A new calculated run, version 1; its id."""

    def clear_run(self, run_id: int) -> None:
        """Before a recalculation: what its lines recovered given back, its lines removed (those
        re-issued into it stay)."""

    def go_live(self) -> date:
        """The month of the first run."""

    def exceptions(self, first: date, last: date) -> pl.DataFrame:
        """A supervisor's exceptions in force in some month from `first` to `last`, one read: person_id,
        programme, from_month, until_month, amount, exception_case."""

    def people(self, period: Period) -> pl.DataFrame:
        """The registry at the period's end with accounts and row ids (`person_key`), read Arrow-native."""

    def active_enrollments(self) -> pl.DataFrame:
        """person_id, programme, start_month, end_month of every person not merged into another."""

    def share_paid(self) -> pl.DataFrame:
        """person_id, month, paid: what each survivor whose shares were split again was paid a month
        (survivor lines and top-ups, less their debts): `shares.topups`' input."""

    def settle_shares(self, *, said: str, stamp: datetime) -> int:
        """The months of survivors whose shares were split again, exported or paid above what their
        share rows owe now, made debts (`shares.debts`): a line still pending when the shares changed; how many."""

    def awarded(self, period: Period) -> pl.DataFrame:
        """The insurance's approved awards started by the period's end (`awarded.award_months`' input):
        person_id, programme, start_month, end_month, amount, once, death_date."""

    def unpaid(self, month: Period, *, before: date) -> pl.DataFrame:
        """(person_id, programme) enrolled before `before`, in force in `month`, with no line for it."""

    def insert_lines(self, run_id: int, lines: pl.DataFrame) -> None:
        """Insert the lines (never a second for a person, programme and month) in one statement."""

    def waiting_lines(self) -> pl.DataFrame:
        """line_id, payee (civil number), iban of rejected, returned and held lines."""

    def reissue(self, run_id: int, moving: pl.DataFrame) -> None:
        """Move the lines (line_id, iban, bank_code, reason) into the run, pending again."""

    def overpaid(self) -> pl.DataFrame:
        """Sent lines for a month the beneficiary did not live to, not yet debts: line_id, amount,
        civil, died, month, payee_id, payee_died, head_id, head_died."""

    def add_debts(self, debts: pl.DataFrame, *, stamp: datetime) -> None:
        """Insert debts (line_id, amount, reason, debtor, status)."""

    def open_debts(self) -> pl.DataFrame:
        """debt_id, debtor, outstanding of every open debt with something left to recover."""

    def debtor_lines(self, run_id: int) -> pl.DataFrame:
        """line_id, payee, amount of the run's pending lines whose payee owes an open debt."""

    def recover(self, taken: pl.DataFrame) -> None:
        """Record the recoveries (debt_id, line_id, amount): debts, lines' deductions, in one statement each."""

    def summary(self, run_id: int) -> tuple[str, list[int]]:
        """The run's state and (lines, amount, exceptions, arrears, reissued, recovered, held)."""

    def sealed_lines(self, run_id: int) -> pl.DataFrame:
        """Every field of the run's lines a transfer is made of, in end-to-end order."""

    def figures(self, run_ids: Sequence[int] | None) -> dict[int, dict[str, int]]:
        """Per run (None: the runs not closed): lines, amounts and lines by status."""

    def move(self, run: Run, after: RunState, values: Mapping[str, Any]) -> bool:
        """Move the run to `after` if it is still at the version read; whether it was."""

    def runs(self) -> list[tuple[int, date, str, str | None, str | None, str | None]]:
        """id, period, state, submitted_by, approved_by, frozen figures (JSON) of every run, by period."""

    def settled_runs(self) -> list[Run]:
        """Exported runs with no line still waiting for the bank, by period."""

    # --- bank files and answers ---
    def batches(self, run_id: int, size: int) -> Iterator[tuple[str, int, pl.DataFrame]]:
        """(bank, batch number, transfers) of the run's pending lines, streamed, at most `size` a batch."""

    def sent_batches(self, message_ids: Sequence[str]) -> Iterator[tuple[str, pl.DataFrame]]:
        """(message id, transfers) of the lines sent in these messages, in the order they were sent, streamed."""

    def reads_elsewhere(self) -> bool:
        """Whether `batches` reads in another process or on another connection, leaving this one free meanwhile."""

    def mark_exported(self, run_id: int, prefix: str, size: int) -> None:
        """Mark the pending lines exported, each with the message id of its batch."""

    def exported(self, run_id: int) -> dict[str, tuple[int, int]]:
        """message id: (lines, baisa) of the run's exported lines."""

    def known_messages(self, message_ids: Sequence[str]) -> set[str]: ...

    def message_transfers(self, message_id: str | None) -> list[str]:
        """The end-to-end ids of the message's lines."""

    def apply_answer(self, statuses: pl.DataFrame, *, unit: str = "baisa") -> tuple[str, str] | dict[str, int]:
        """Stage the statuses; the first that does not fit (end-to-end id, problem, an amount named
        in `unit`: what the amounts count), changing nothing, or else the lines moved forward,
        counted by outcome."""

    # --- the reads of people, within the principal's branches (None: everyone, at the terminal) ---
    def report(self, period: Period, *, principal: Principal | None) -> pl.DataFrame:
        """programme, governorate, beneficiaries, amount (paid), recovered, exceptions of the run."""

    def regular_lines(self, period: Period, *, principal: Principal | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The regular lines of the month and the month before (month, person_id, programme, amount)
        and the enrollments' facts (person_id, programme, enrollment, death_date)."""

    def held(self, period: Period, *, principal: Principal | None) -> pl.DataFrame:
        """person_id, payee_id, programme, month, kind, amount, reason of the run's lines held."""


class PayrollUnitOfWork(UnitOfWork, Protocol):
    @property
    def payroll(self) -> PayrollStore: ...
