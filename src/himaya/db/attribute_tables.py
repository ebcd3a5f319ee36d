"""The registry's tables for a pack's own columns and for what the registry is (migration 0046)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, String, Table, Text

from himaya.db.metadata import ID, metadata

# The columns of a pack's contract that have no table of their own (Iraq's flags, school attendance,
# measured welfare...), time-bound like the others, one row per person, column and period; the value
# as text (`db/registry_facts.attribute_text`), typed back by the snapshot (migration 0046).
person_attribute = Table(
    "person_attribute",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("name", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("source", String(32), nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Index(None, "person_id", "name", "valid_to"),
)

# What the registry is: `pack`, the policy pack whose people it holds (recorded by its first import).
registry_setting = Table(
    "registry_setting",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)
