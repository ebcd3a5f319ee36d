"""The registry's value objects: what a write says it did, and where a record or family stands for a user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from himaya.core.errors import ConflictError
from himaya.registry.name_search import Term, numeric


class Fact(StrEnum):
    """The kinds of facts an officer records about a person, each its own use case."""

    ASSESSMENT = "assessment"
    INCOMES = "incomes"
    BANK_ACCOUNT = "bank_account"


@dataclass(frozen=True)
class Presence:
    """What the registry holds under a civil number and a family number, and whether the acting
    user's branches reach it. Found by the same statements whatever the answer, so that the time
    a request takes does not tell where a record lives."""

    person: bool  # the civil number is registered (in any branch)
    person_visible: bool  # ... in the user's branches
    family: bool
    family_visible: bool


@dataclass(frozen=True)
class Written:
    """The outcome of one write: the record, its new version, and what changed."""

    civil_number: str
    version: int
    created: int = 0
    updated: int = 0
    subjects: tuple[str, ...] = field(default=())  # the audit subjects written, e.g. person:…, family:…


@dataclass(frozen=True)
class Place:
    """Where a record lives: a wilayat, and the governorate the pack's places put it in."""

    wilayat: str | None
    governorate: str | None


@dataclass(frozen=True)
class Search:
    """What a user searches the people of their branches by (every filter given must hold)."""

    family_number: str | None = None
    wilayat: str | None = None
    name: str | None = None  # name parts in any order, either script, each the beginning of a name part
    birth_date: date | None = None
    civil_number: str | None = None
    phone: str | None = None  # a mobile number, with its country code or without
    number: str | None = None  # a civil number or a mobile number: either matches

    @classmethod
    def parse(cls, query: str) -> Search:
        """What one search box holds: a number (civil or mobile, with spaces, dashes or a leading +)
        or names."""
        digits = numeric(query)
        return cls(number=digits) if digits is not None else cls(name=query)


@dataclass(frozen=True)
class SearchTerms:
    """A search's filters as the store compiles them: each name word's terms (every word must
    match one token of the person), and the stored forms of a phone number."""

    names: tuple[tuple[Term, ...], ...] = ()
    phones: tuple[str, ...] = ()
    number_phones: tuple[str, ...] = ()


class FamilyTakenError(ConflictError):
    """A new family's number is held by a family already (in any branch: the answer is the same)."""
