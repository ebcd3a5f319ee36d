"""The audit trail from the attacker's side: edit or delete an entry directly, and verify finds it."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.db import audit
from himaya.db.people import read_person, update_person
from himaya.db.registry_import import import_people
from himaya.db.tables import audit_entry
from tests.db.test_registry_store import FIRST


def _history(engine: Engine, synthetic: pl.DataFrame) -> list[int]:
    import_people(engine, synthetic, as_of=FIRST, actor="registrar", source={"file": "people.parquet"})
    civil = synthetic["person_id"][0]
    for n in range(4):
        version = read_person(engine, civil).person["version"]
        update_person(engine, civil, {"mobile": f"+96890000{n:03d}"}, expected_version=version, actor="officer")
    with engine.connect() as connection:
        return list(connection.execute(sa.select(audit_entry.c.id).order_by(audit_entry.c.id)).scalars())


def _verify(engine: Engine) -> audit.Verification:
    with engine.connect() as connection:
        return audit.verify(connection)


def test_an_untouched_chain_verifies(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    result = _verify(engine)
    assert result.intact and result.entries == len(ids) == 5
    assert len(result.head) == 64


def test_editing_an_entry_is_detected(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    with engine.begin() as connection:
        connection.execute(sa.update(audit_entry).where(audit_entry.c.id == ids[2]).values(actor="someone else"))
    result = _verify(engine)
    assert not result.intact
    assert any(f"entry {ids[2]}" in p and "content was changed" in p for p in result.problems)


def test_rehashing_an_edited_entry_still_breaks_the_next_link(engine: Engine, synthetic: pl.DataFrame) -> None:
    """An attacker who edits an entry and recomputes its hash breaks the link to the entry after it."""
    ids = _history(engine, synthetic)
    with engine.begin() as connection:
        row = connection.execute(sa.select(audit_entry).where(audit_entry.c.id == ids[1])).mappings().one()
        forged = audit.entry_hash(
            row["previous_hash"],
            audit.utc_stamp(row["at"]),
            row["actor"],
            row["action"],
            row["subject"],
            row["request_id"],
            row["before"],
            '{"mobile":"+96899999999"}',
        )
        connection.execute(
            sa.update(audit_entry)
            .where(audit_entry.c.id == ids[1])
            .values(after='{"mobile":"+96899999999"}', hash=forged)
        )
    result = _verify(engine)
    assert not result.intact
    assert any(f"entry {ids[2]}" in p and "does not follow" in p for p in result.problems)


def test_deleting_an_entry_is_detected(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id == ids[2]))
    result = _verify(engine)
    assert not result.intact
    assert any(f"entry {ids[3]}" in p and "does not follow" in p for p in result.problems)


def test_removing_the_newest_entries_is_caught_by_the_expected_head(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    head = _verify(engine).head
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id == ids[-1]))
        hashes = set(connection.execute(audit.select_hashes()).scalars())
    assert _verify(engine).intact  # a shorter chain is consistent by itself...
    assert head not in hashes  # ...but no longer holds the head recorded before
