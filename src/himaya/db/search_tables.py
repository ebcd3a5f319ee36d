"""The name index (migration 0012): one row per person and normalised name token, so that a search
by name is an index range per query word, never a scan of the people (`registry/name_search.py`
makes the tokens; `db/name_index.py` keeps them in step with every write of a person's names); and
its pairs (migration 0050): one row per person and pair of their tokens of one script, keyed by the
two tokens' hashes (`registry/name_pairs.py`), so that two common words together find the few who
have both."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, String, Table

from himaya.db.metadata import metadata

# Tokens compare by code point (a prefix is a range): PostgreSQL's "C" collation; SQLite's BINARY does.
TOKEN = String(64).with_variant(String(64, collation="C"), "postgresql")

# No foreign key to `person` (migration 0053): the tokens are derived from the people's names and
# written with them (`db/name_index.py`), and a search joins every person it proposes with `person`.
# The index by person finds a person's tokens when their names change.
name_token = Table(
    "name_token",
    metadata,
    Column("token", TOKEN, nullable=False),
    Column("person_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("token", "person_id"),
    Index(None, "person_id"),
    sqlite_with_rowid=False,
)

# No foreign key and no index by person: the pairs only propose people, whom the search then joins
# with `person` and checks against `name_token` (which has both). Checking each of a million people's
# dozen pairs as it goes in would be a lookup per row on every import, and an index by person would
# double the pairs' room and writes: a person's pairs are found by their keys (`name_index._forget`).
name_pair = Table(
    "name_pair",
    metadata,
    Column("pair", BigInteger, nullable=False),
    Column("person_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("pair", "person_id"),
    sqlite_with_rowid=False,
)
