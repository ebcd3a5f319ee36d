"""The payroll's answers over HTTP, typed: every field with its type, its description and, for states
and changes, the values it may take, so that the OpenAPI document tells a client what each answer
holds. Amounts are decimal text in the registry's pack's currency, named by each answer's
`currency` field with its `decimals`: OMR with exactly 3 decimals (`257.148`), IQD in whole dinars
(`125000`); never floating point."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import polars as pl
from pydantic import BaseModel, Field

from himaya.core.money import Currency
from himaya.payroll.model import LineKind, RunState, RunSummary
from himaya.policy.table import money_text

AMOUNT_PATTERN = r"^-?\d+(\.\d+)?$"  # the currency's decimals: OMR 3 ("257.148"), IQD none ("125000")
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["257.148", "125000"])]
CurrencyCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        examples=["OMR", "IQD"],
        description="ISO 4217 code of every amount of this answer: the registry's pack's currency.",
    ),
]
Decimals = Annotated[
    int, Field(ge=0, le=5, examples=[3, 0], description="How many decimals its amounts have (OMR 3, IQD 0).")
]


class InCurrency(BaseModel):
    """An answer with amounts: the currency they are in, and its decimals."""

    currency: CurrencyCode
    decimals: Decimals


Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-01"], description="YYYY-MM.")]


class Change(StrEnum):
    NEW = "new"
    STOPPED = "stopped"
    CHANGED = "changed"


class RunOut(InCurrency):
    """A run's figures; amounts in `currency` (OMR with 3 decimals, IQD whole dinars)."""

    period: Month
    state: RunState
    lines: int = Field(description="Payment lines of the run.")
    amount: Amount = Field(description="Payable: what goes to the bank, after recoveries (`currency`).")
    held: Amount = Field(description="Held for want of a valid bank account (`currency`).")
    exceptions: int = Field(description="Lines held for want of a valid bank account.")
    arrears: int = Field(description="Lines for months owed before this one.")
    reissued: int = Field(description="Rejected or returned lines sent again in this run.")
    recovered: Amount = Field(description="Deducted from this run's lines for debts (`currency`).")


class RunStatus(BaseModel):
    """One run: who did what, its amounts and its lines by status."""

    period: date = Field(description="The first day of the month paid.")
    state: RunState
    submitted_by: str | None
    approved_by: str | None
    lines: int
    payable: Amount = Field(description="What goes to the bank (`currency`).")
    held: Amount = Field(description="Held for want of a valid bank account (`currency`).")
    paid_amount: Amount = Field(description="Confirmed paid by the bank (`currency`).")
    pending: int
    exception: int
    exported: int
    paid: int
    rejected: int
    returned: int


class StatusOut(InCurrency):
    runs: list[RunStatus]


class ExportOut(BaseModel):
    period: Month
    folder: str = Field(description="The folder on the server the files were written to.")
    files: list[str] = Field(description="The ISO 20022 pain.001.001.09 files written, one per bank and batch.")


class ReconcileOut(BaseModel):
    file: str
    kind: str = Field(description="The kind of bank answer read: pain.002, camt.054 or camt.053.")
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
    amount: Amount = Field(description="Paid after recoveries (`currency`).")
    recovered: Amount = Field(description="Recovered for debts (`currency`).")
    exceptions: int


class ReportOut(InCurrency):
    period: str
    rows: list[ReportRow]
    totals: ReportRow = Field(description='Programme "total": the sums of the rows.')


class DiffRow(BaseModel):
    person_id: str | None = Field(default=None, description="For a user who may identify people.")
    ref: str | None = Field(default=None, description="A pseudonym, for a user who may not identify people.")
    programme: str
    before: Amount | None = Field(description="The month before (`currency`); null for a new payment.")
    now: Amount | None = Field(description="This month (`currency`); null for a stopped payment.")
    change: Change
    reason: str | None
    unusual: bool = Field(description="The amount moved by more than half.")


class DiffOut(InCurrency):
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
    amount: Amount = Field(description="Held (`currency`).")
    reason: str | None


class HeldOut(InCurrency):
    period: str
    lines: int
    amount: Amount = Field(description="The total held (`currency`).")
    rows: list[HeldRow]


def in_currency(currency: Currency) -> dict[str, str | int]:
    """The `currency` and `decimals` fields of an answer whose amounts are in `currency`."""
    return {"currency": currency.code, "decimals": currency.decimals}


def run_out(summary: RunSummary, currency: Currency) -> RunOut:
    return RunOut(
        period=str(summary.period),
        state=RunState(summary.state),
        lines=summary.lines,
        amount=currency.format(summary.amount),
        held=currency.format(summary.held),
        exceptions=summary.exceptions,
        arrears=summary.arrears,
        reissued=summary.reissued,
        recovered=currency.format(summary.recovered),
        currency=currency.code,
        decimals=currency.decimals,
    )


def amounts_in(frame: pl.DataFrame, currency: Currency, *columns: str) -> pl.DataFrame:
    """The frame with its `columns` (the currency's smallest unit) as decimal text of the currency."""
    return frame.with_columns(money_text(pl.col(c), currency) for c in columns)
