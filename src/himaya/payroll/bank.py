"""What the payroll needs from bank files, whatever their format (ISO 20022 in `himaya.adapters`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

import polars as pl


@dataclass(frozen=True)
class Payer:
    """The Fund's own account, debited by every transfer, and the currency it pays in (the pack's:
    its ISO 4217 code and decimals, an amount being an integer of its smallest unit)."""

    name: str
    iban: str
    bic: str
    currency: str = "OMR"
    decimals: int = 3


TRANSFER_SCHEMA = {
    "end_to_end_id": pl.String(),
    "amount": pl.Int64(),
    "creditor": pl.String(),
    "iban": pl.String(),
    "remittance": pl.String(),
}


class Transfer(NamedTuple):
    """One credit transfer of a payment file (a tuple: an export makes a million and a half)."""

    end_to_end_id: str
    amount: int  # the currency's smallest unit (baisa, dinars)
    creditor: str
    iban: str
    remittance: str


@dataclass(frozen=True)
class Status:
    """What the bank says of one transfer, with what it says was moved (where the answer says it)."""

    end_to_end_id: str  # "*" stands for every transfer of the message
    outcome: str  # paid, rejected, returned, pending (`payroll.model.Outcome`)
    reason: str | None
    message_id: str | None = None  # the message the transfer was sent in, where the answer names it
    amount: int | None = None  # the currency's smallest unit (baisa, dinars)
    currency: str | None = None
    iban: str | None = None  # the creditor's account


@dataclass(frozen=True)
class BankReply:
    kind: str  # e.g. pain.002.001.10
    message_ids: list[str]
    statuses: list[Status] = field(default_factory=list)
    account: str | None = None  # the Fund's account the answer is about (camt.054, camt.053)


class PaymentFileWriter(Protocol):
    def __call__(
        self,
        path: Path,
        *,
        message_id: str,
        created: datetime,
        payer: Payer,
        execution: date,
        count: int,
        total: int,
        transfers: pl.DataFrame | Iterable[Transfer],
    ) -> None:
        """Write (and check) one payment file; `transfers` as Transfers or as a frame of their
        fields (`TRANSFER_SCHEMA`), which a writer can format column by column."""
