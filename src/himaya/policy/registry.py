"""What a pack declares about its registry beyond the people table: the time-bound facts it keeps
(which table, which columns, when a person holds one) and its places (wilayat -> governorate).

The store maps each declared fact to its table generically (`db/registry_facts.py`); a new fact
is a declaration in the pack and a table, not import code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Held(StrEnum):
    """When a person holds a fact, from the values of the registry record."""

    ALWAYS = "always"  # a row whatever the values (e.g. the situation)
    ANY = "any"  # a row when any column of `held_by` is set (not null; a flag true)
    POSITIVE = "positive"  # a row when the amount of `held_by` is above zero


@dataclass(frozen=True)
class RegistryFact:
    name: str
    table: str  # the store's table
    columns: Mapping[str, str]  # table column -> registry contract column
    held: Held = Held.ALWAYS
    held_by: tuple[str, ...] = ()  # contract columns that decide `held`
    fixed: Mapping[str, str] = field(default_factory=dict)  # constant columns, e.g. an income's kind


ATTRIBUTES = "person_attribute"  # the registry's table of a pack's own columns (one row a person, column, period)


def attribute(column: str) -> RegistryFact:
    """A contract column the registry keeps in its table of attributes, time-bound like any fact:
    for a pack's own column that has no table of its own (Iraq's exclusion flags, school attendance,
    measured welfare). A person holds it while it is set (a flag true, a value not empty)."""
    return RegistryFact(f"attribute.{column}", ATTRIBUTES, {"value": column}, Held.ANY, (column,), {"name": column})


def attribute_columns(facts: tuple[RegistryFact, ...] | list[RegistryFact]) -> tuple[str, ...]:
    """The contract columns `facts` keep as attributes, in their order."""
    return tuple(f.columns["value"] for f in facts if f.table == ATTRIBUTES)
