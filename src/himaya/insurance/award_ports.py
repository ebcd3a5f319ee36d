"""What the awards' actions need from the store (`db/stores/awards.py` implements it on the unit of
work's connection); the decisions stay in `awards`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import polars as pl

from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.insurance.ports import InsuranceUnitOfWork
from himaya.registry.ports import RegistryUnitOfWork


class AwardStore(Protocol):
    def person_keys(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """civil_number, person_key, death_date, birth_date, disabled (a disability card now) of those
        registered and not merged into another record."""

    def awards(
        self, civil_number: str | None, award_id: int | None = None, *, principal: Principal | None = None
    ) -> pl.DataFrame:
        """id, civil_number, benefit, claim, day, amount, start_date, end_date, state, version,
        prepared_by, approved_by, ended_by, end_reason of the awards of the person (as the insured
        person or as a survivor), of one award, or of everyone, by id. With a `principal`, only the
        awards of a person of their branches (the insured person, or a survivor sharing in it)."""

    def parameters(self, award_id: int) -> str:
        """The parameters an award was computed with, as stored (JSON: the pack, the reform if any, each
        parameter's path, value, status and reference)."""

    def shares(self, award_ids: Sequence[int]) -> pl.DataFrame:
        """award_id, civil_number, group, share, amount, valid_from, valid_to of these survivor
        pensions' shares (each survivor's rows in time: a row ends when the shares are split again)."""

    def survivor_shares(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """award_id, civil_number, start_date, end_date (the share's months within the award's), state of
        the survivor pensions these people share in."""

    def open_of_dead(self) -> pl.DataFrame:
        """id, civil_number, benefit, state, start_date, end_date, version, death_date of the prepared
        or approved awards (not survivor pensions) of people recorded dead."""

    def shared_by_dead(self) -> list[int]:
        """The prepared or approved survivor pensions with a share not ended of a survivor recorded dead."""

    def open_shares(self, award_id: int) -> pl.DataFrame:
        """id, person_key, civil_number, group, share, amount, valid_from, birth_date, death_date,
        disabled, sex of the award's shares not ended, in the order the survivors were named."""

    def sharing(self, civil_numbers: Sequence[str]) -> list[int]:
        """The prepared or approved survivor pensions these people share in now (a share not ended)."""

    def split(self, award_id: int, ended: Sequence[tuple[int, date]], new: pl.DataFrame) -> bool:
        """End these share rows (id, last day) if still open, add the new ones (person_key, group, share,
        amount, valid_from, valid_to); False (the caller rolls back) if a row was ended meanwhile."""

    def settle(self, person_keys: Sequence[int], *, said: str) -> list[Change]:
        """Once these survivors' shares changed: the months the payroll paid them too much made debts
        (and their debts not recovered lowered where a month is now owed more: `payroll.shares`), in
        the caller's transaction; the audit entries. A month paid short is topped up by the next run."""

    def add(self, values: Mapping[str, Any], shares: pl.DataFrame) -> int:
        """A new award (person_key and the table's columns), version 1, with its shares (person_key,
        group, share, amount); its id."""

    def move(self, award_id: int, version: int, values: Mapping[str, Any]) -> bool:
        """Change the award if still at `version` (one more); whether it was."""


class AwardUnitOfWork(InsuranceUnitOfWork, RegistryUnitOfWork, Protocol):
    @property
    def awards(self) -> AwardStore: ...
