"""What the registry's actions need from the store and from the pack's contract."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

import polars as pl

from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.uow import UnitOfWork
from himaya.registry.model import Presence, Search, SearchTerms

Cells = Mapping[str, str | None]  # one registry record as the text cells of a file


class RecordContract(Protocol):
    """The pack's registry contract with the registry's rules (places, dates): one validation
    for every write path."""

    names: tuple[str, ...]  # the columns of a record, in order
    places: Mapping[str, str]  # place (the pack's: a wilayat, Iraq's district) -> governorate
    place: str  # the column of a record that names its place: `wilayat`, Iraq's `district`
    days_ahead: int  # how far ahead an effective date may lie

    def validate(self, records: list[dict[str, str | None]], *, source: str) -> pl.DataFrame:
        """The records typed and checked (contract, places, dates), governorate derived; else InputTableError."""

    def validate_frame(self, frame: pl.DataFrame, *, source: str) -> pl.DataFrame:
        """Typed registry rows (money in baisa), validated as the same rows written as text would be."""

    def cells(self, row: Mapping[str, Any]) -> dict[str, str | None]:
        """A typed registry row as the text cells of a record."""

    def today(self) -> date: ...


class RegistryStore(Protocol):
    def presence(self, principal: Principal, civil_number: str, family_number: str) -> Presence: ...

    def visible_id(self, principal: Principal, civil_number: str) -> int | None:
        """The person's key if they are registered in the user's branches (merged records excluded)."""

    def current_row(self, person_key: int) -> dict[str, Any] | None:
        """The person's current registry row (typed, the contract's columns), None without a current family."""

    def import_rows(
        self,
        rows: pl.DataFrame,
        *,
        as_of: date,
        expected_version: tuple[str, int] | None,
        source: str = "import",
        actor: str = "registry",
        before: pl.DataFrame | None = None,
    ) -> tuple[int, int, int, list[Change]]:
        """Import validated rows (created, updated, families created, per-person changes); rows with
        an `as_of` column are each dated by it (life events), the others by `as_of`. `source`: what
        the rows opened say they come from, where their table keeps it (a case: `case C-2026-000002`).
        A death written ends what it ends elsewhere (`after_deaths`), by `actor`: its changes included.
        `before`: the current rows of (at least) the known people among them, as `people_query`
        reads them, read by the caller in this transaction: not read again."""

    def after_deaths(self, *, actor: str) -> list[Change]:
        """The consequences of the deaths written in this transaction in the other capabilities' records
        (an insurance award of the dead ended, a survivor pension shared again), done by `actor`, as
        audit entries for the caller to record."""

    def version(self, civil_number: str) -> int: ...

    def update_person(self, person_key: int, changes: Mapping[str, Any], *, expected_version: int) -> bool:
        """Apply changes if the record is still at the version; False otherwise (nothing written)."""

    def person_row(self, person_key: int) -> dict[str, Any]: ...

    def family_of(self, person_key: int) -> tuple[str, str] | None:
        """(family number, relationship) of the person's current membership."""

    def merge(self, keep: str, drop: str, *, as_of: date) -> dict[str, Any]: ...

    def record(self, principal: Principal, civil_number: str) -> Any:
        """The person's record with its history (a read: committed without waiting for the disk), or None."""

    def search(
        self, principal: Principal, wanted: Search, *, limit: int, offset: int, terms: SearchTerms | None = None
    ) -> list[dict[str, Any]]:
        """People in the user's branches matching every filter (names and phones by their `terms`)."""

    def family_table(self, principal: Principal, family_number: str, day: date) -> pl.DataFrame | None:
        """The family's people table on `day`, None if the family is not in the user's branches."""


class RegistryUnitOfWork(UnitOfWork, Protocol):
    @property
    def registry(self) -> RegistryStore: ...
