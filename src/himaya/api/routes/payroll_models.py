"""The payroll's answers over HTTP, typed: every field with its type, its description and, for states
and changes, the values it may take, so that the OpenAPI document tells a client what each answer
holds. Amounts are OMR text with exactly 3 decimals (never floating point)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import polars as pl
from pydantic import BaseModel, Field

from himaya.core.money import format_omr
from himaya.payroll.model import LineKind, RunState, RunSummary
from himaya.policy.engine import omr_text

OMR_PATTERN = r"^-?\d+\.\d{3}$"
Omr = Annotated[str, Field(pattern=OMR_PATTERN, examples=["257.148"])]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-01"], description="YYYY-MM.")]


class Change(StrEnum):
    NEW = "new"
    STOPPED = "stopped"
    CHANGED = "changed"


class RunOut(BaseModel):
    """A run's figures; amounts in OMR with 3 decimals."""

    period: Month
    state: RunState
    lines: int = Field(description="Payment lines of the run.")
    amount: Omr = Field(description="Payable: what goes to the bank, after recoveries (OMR).")
    held: Omr = Field(description="Held for want of a valid bank account (OMR).")
    exceptions: int = Field(description="Lines held for want of a valid bank account.")
    arrears: int = Field(description="Lines for months owed before this one.")
    reissued: int = Field(description="Rejected or returned lines sent again in this run.")
    recovered: Omr = Field(description="Deducted from this run's lines for debts (OMR).")


class RunStatus(BaseModel):
    """One run: who did what, its amounts and its lines by status."""

    period: date = Field(description="The first day of the month paid.")
    state: RunState
    submitted_by: str | None
    approved_by: str | None
    lines: int
    payable: Omr = Field(description="What goes to the bank (OMR).")
    held: Omr = Field(description="Held for want of a valid bank account (OMR).")
    paid_amount: Omr = Field(description="Confirmed paid by the bank (OMR).")
    pending: int
    exception: int
    exported: int
    paid: int
    rejected: int
    returned: int


class StatusOut(BaseModel):
    runs: list[RunStatus]


class ExportOut(BaseModel):
    period: Month
    folder: str = Field(description="The folder on the server the files were written to.")
    files: list[str] = Field(description="The ISO 20022 pain.001.001.09 files written, one per bank and batch.")


class ReconcileOut(BaseModel):
    file: str
    kind: str = Field(description="The kind of bank answer read: pain.002 or camt.054.")
    paid: int
    rejected: int
    returned: int
    pending: int
    reconciled_runs: list[str] = Field(description="The runs (YYYY-MM) this answer reconciled.")
    unchanged: int = Field(description="Statuses that changed nothing (already applied).")


class ReportRow(BaseModel):
    programme: str
    governorate: str | None
    beneficiaries: int
    amount: Omr = Field(description="Paid after recoveries (OMR).")
    recovered: Omr = Field(description="Recovered for debts (OMR).")
    exceptions: int


class ReportOut(BaseModel):
    period: str
    rows: list[ReportRow]
    totals: ReportRow = Field(description='Programme "total": the sums of the rows.')


class DiffRow(BaseModel):
    person_id: str | None = Field(default=None, description="For a user who may identify people.")
    ref: str | None = Field(default=None, description="A pseudonym, for a user who may not identify people.")
    programme: str
    before: Omr | None = Field(description="The month before (OMR); null for a new payment.")
    now: Omr | None = Field(description="This month (OMR); null for a stopped payment.")
    change: Change
    reason: str | None
    unusual: bool = Field(description="The amount moved by more than half.")


class DiffOut(BaseModel):
    period: str
    counts: dict[Change, int] = Field(description="Rows by change, before `unusual_only` and `limit`.")
    rows: list[DiffRow]


class HeldRow(BaseModel):
    person_id: str | None = Field(default=None, description="For a user who may identify people.")
    payee_id: str | None = Field(default=None, description="For a user who may identify people.")
    ref: str | None = Field(default=None, description="A pseudonym, for a user who may not identify people.")
    programme: str
    month: date = Field(description="The first day of the month the line pays.")
    kind: LineKind
    amount: Omr = Field(description="Held (OMR).")
    reason: str | None


class HeldOut(BaseModel):
    period: str
    lines: int
    amount: Omr = Field(description="The total held (OMR).")
    rows: list[HeldRow]


def run_out(summary: RunSummary) -> RunOut:
    return RunOut(
        period=str(summary.period),
        state=RunState(summary.state),
        lines=summary.lines,
        amount=format_omr(summary.amount, grouped=False),
        held=format_omr(summary.held, grouped=False),
        exceptions=summary.exceptions,
        arrears=summary.arrears,
        reissued=summary.reissued,
        recovered=format_omr(summary.recovered, grouped=False),
    )


def in_omr(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """The frame with its baisa `columns` as OMR text."""
    return frame.with_columns(omr_text(pl.col(c)) for c in columns)
