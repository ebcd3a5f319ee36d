"""The pack's registry contract as the registry's actions use it (`registry.ports.RecordContract`):
the contract of `policy/table.py`, then the registry's own rules (places, dates, a card's category). The import of a
file and every officer's change go through it: one validation for every write path."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from himaya.core.clock import today
from himaya.core.errors import InputTableError
from himaya.core.money import OMR, Currency
from himaya.policy.pack import PolicyPack
from himaya.policy.table import money_text, validate_table
from himaya.registry.rules import assessment_problems, cell_text, date_problems, derive_places, place_problems


class PackContract:
    def __init__(self, pack: PolicyPack, *, days_ahead: int) -> None:
        self.pack = pack
        self.names = pack.registry.names
        self.places = pack.places
        self.place = pack.place_column
        self.days_ahead = days_ahead
        # One record is not a whole family: the one-head rule is checked by the import, on the
        # family as it will stand in the registry, not on the records given.
        self._one_record = dataclasses.replace(pack.registry, one_per_group=())

    def today(self) -> date:
        return today(self.pack.timezone)

    def validate(self, records: list[dict[str, str | None]], *, source: str) -> pl.DataFrame:
        frame = given_governorate(pl.DataFrame(records, schema=dict.fromkeys(self.names, pl.String)), self)
        return self.checked(validate_table(frame, self._one_record, source=source), source=source)

    def validate_frame(self, frame: pl.DataFrame, *, source: str) -> pl.DataFrame:
        """Typed registry rows (as read back from the store, money in the currency's smallest unit)
        through the same validation as text records: written as a file would hold them, then checked."""
        text = as_text(frame, self.names, self.pack.registry.money, self.pack.currency)
        return self.checked(validate_table(text, self._one_record, source=source), source=source)

    def checked(self, table: pl.DataFrame, *, source: str) -> pl.DataFrame:
        """A table that passed the contract, through the registry's rules (for a file's import too)."""
        problems = (
            place_problems(table, self.places, self.pack.place_column)
            + date_problems(table, today=self.today())
            + assessment_problems(table)
        )
        if problems:
            raise InputTableError(source, problems)
        return derive_places(table, self.places, self.pack.place_column)

    def cells(self, row: Mapping[str, Any]) -> dict[str, str | None]:
        money = set(self.pack.registry.money)
        return {
            name: (self.pack.currency.format(int(row[name])) if row.get(name) else None)
            if name in money
            else cell_text(row.get(name))
            for name in self.names
        }


def given_governorate(frame: pl.DataFrame, contract: PackContract) -> pl.DataFrame:
    """Records with an empty governorate given their place's before the contract reads them: the
    officer gives the place only (a pack that requires the governorate, Iraq's, would refuse it
    otherwise); a governorate given is kept, and checked against the place after (`place_problems`)."""
    place, places = contract.place, contract.places
    if not places or place not in frame.columns or "governorate" not in frame.columns:
        return frame
    derived = pl.col(place).replace_strict(places, default=None, return_dtype=pl.String)
    return frame.with_columns(pl.coalesce(pl.col("governorate"), derived).alias("governorate"))


def as_text(
    frame: pl.DataFrame,
    names: tuple[str, ...],
    money: tuple[str, ...] | frozenset[str],
    currency: Currency = OMR,
) -> pl.DataFrame:
    """Typed rows as the text cells of a file, all at once: money in the currency's smallest unit as
    its decimal text (OMR with 3 decimals, IQD whole dinars), dates as YYYY-MM-DD, booleans as
    true/false; a column the frame lacks is empty."""
    columns = []
    for name in names:
        if name not in frame.columns:
            columns.append(pl.lit(None, pl.String).alias(name))
            continue
        value, dtype = pl.col(name), frame.schema[name]
        if name in money and dtype.is_integer():
            text = money_text(value, currency)
            columns.append(pl.when(value > 0).then(text).otherwise(None).alias(name))
        elif dtype == pl.Boolean:
            columns.append(pl.when(value).then(pl.lit("true")).when(~value).then(pl.lit("false")).alias(name))
        elif dtype == pl.Date:
            columns.append(value.dt.strftime("%Y-%m-%d").alias(name))
        else:
            columns.append(value.cast(pl.String).alias(name))
    return frame.select(columns)
