"""What the awards' actions need from the store (`db/stores/awards.py` implements it on the unit of
work's connection); the decisions stay in `awards`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import polars as pl

from himaya.insurance.ports import InsuranceUnitOfWork


class AwardStore(Protocol):
    def person_keys(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """civil_number, person_key, death_date of those registered and not merged into another record."""

    def awards(self, civil_number: str | None, award_id: int | None = None) -> pl.DataFrame:
        """id, civil_number, benefit, claim, day, amount, start_date, end_date, state, version,
        prepared_by, approved_by, ended_by, end_reason of the awards of the person (as the insured
        person or as a survivor), of one award, or of everyone, by id."""

    def shares(self, award_ids: Sequence[int]) -> pl.DataFrame:
        """award_id, civil_number, group, share, amount of these survivor pensions' shares."""

    def survivor_shares(self, civil_numbers: Sequence[str]) -> pl.DataFrame:
        """award_id, civil_number, start_date, end_date, state of the survivor pensions these people share in."""

    def add(self, values: Mapping[str, Any], shares: pl.DataFrame) -> int:
        """A new award (person_key and the table's columns), version 1, with its shares (person_key,
        group, share, amount); its id."""

    def move(self, award_id: int, version: int, values: Mapping[str, Any]) -> bool:
        """Change the award if still at `version` (one more); whether it was."""


class AwardUnitOfWork(InsuranceUnitOfWork, Protocol):
    @property
    def awards(self) -> AwardStore: ...
