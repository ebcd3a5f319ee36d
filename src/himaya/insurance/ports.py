"""What the insurance's actions need from the store: `db/stores/insurance.py` implements it on the
unit of work's connection, each method a set-based statement or a few (staging tables, INSERT ...
SELECT); the decisions stay in `actions`, `rules` and `arrears`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import polars as pl

from himaya.core.uow import UnitOfWork


class InsuranceStore(Protocol):
    # --- the employer register ---
    def employers(self) -> pl.DataFrame:
        """cr_number, name, sector, wilayat, version of every employer, by cr_number."""

    def add_employers(self, rows: pl.DataFrame, *, stamp: datetime) -> None:
        """Insert employers (cr_number, name, sector, wilayat), version 1."""

    def update_employers(self, rows: pl.DataFrame, *, stamp: datetime) -> int:
        """Update name, sector and wilayat of the employers (cr_number, ..., version) still at the
        version read; how many were."""

    def employer_ids(self, cr_numbers: Sequence[str]) -> dict[str, int]:
        """The row id of each registered employer among `cr_numbers`."""

    # --- declarations ---
    def insured(self, civil_numbers: pl.Series) -> pl.DataFrame:
        """civil_number, person_key, nationality, birth_date, death_date, merged_into (the surviving
        record's civil number) of those of `civil_numbers` that are registered."""

    def declarations(self, employer_ids: Sequence[int], month: date) -> pl.DataFrame:
        """employer_id, revision, insured, wages, due of the employers' declarations of `month`."""

    def add_declarations(self, headers: pl.DataFrame, *, month: date, actor: str, stamp: datetime, source: str) -> None:
        """New declarations (employer_id, insured, wages, due), revision 1."""

    def correct_declarations(
        self, headers: pl.DataFrame, *, month: date, actor: str, stamp: datetime, source: str
    ) -> int:
        """Move the declarations (employer_id, revision read, insured, wages, due) to their next
        revision if still at the revision read; how many were."""

    def current_lines(self, employer_ids: Sequence[int], month: date) -> pl.DataFrame:
        """employer_id, person_key, wage, basic_wage, days of the employers' current revision of `month`."""

    def add_lines(self, lines: pl.DataFrame, dues: pl.DataFrame, *, month: date) -> None:
        """The lines (employer_id, person_key, wage, basic_wage, days) and the dues by branch
        (employer_id, branch, insured, employee, employer) of the employers' current revision."""

    # --- payments and reads ---
    def payment_reference(self, employer_id: int, reference: str) -> str | None:
        """The reference of the employer's payment whose reference is `reference` but for case and
        surrounding spaces, or None; the employer is locked until the transaction ends."""

    def add_payment(
        self, employer_id: int, *, received_on: date, amount: int, reference: str, actor: str, stamp: datetime
    ) -> None:
        """Record a payment; a reference the employer used before is a ConflictError."""

    def dues(self, month: date | None, employer: str | None) -> pl.DataFrame:
        """cr_number, name, month, branch, insured, employee, employer of the current revisions."""

    def month_totals(self, employer: str | None) -> pl.DataFrame:
        """cr_number, month, amount: each declaration's total due (current revision)."""

    def payments(self, employer: str | None) -> pl.DataFrame:
        """cr_number, received_on, amount, reference of the payments received."""

    def career(self, civil_number: str) -> pl.DataFrame:
        """month, cr_number, name, wage, days of the person's current declaration lines, by month."""

    # --- benefits ---
    def pension_people(self, civil_number: str | None) -> pl.DataFrame:
        """civil_number, sex, nationality, birth_date, death_date, merged_into (the surviving record's
        civil number) of the person (empty if not registered), or without one of every person with a
        declared month."""

    def pension_lines(self, civil_number: str | None) -> pl.DataFrame:
        """civil_number, month, wage, days of the current declaration lines of the person, or of everyone."""


class InsuranceUnitOfWork(UnitOfWork, Protocol):
    @property
    def insurance(self) -> InsuranceStore: ...
