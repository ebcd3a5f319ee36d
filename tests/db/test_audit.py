"""The audit trail from the attacker's side: edit or delete an entry directly, and verify finds it.
The attacks on its end (removing the newest entries or all of them and moving the head row back,
re-hashing the rest after an edit) are in test_audit_anchoring.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.db import audit
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.people import read_person, update_person
from himaya.db.registry_import import import_people
from himaya.db.tables import audit_entry, audit_head
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
    assert any(f"entry {ids[2]}" in str(p) and "content was changed" in str(p) for p in result.problems)


def test_rehashing_an_edited_entry_still_breaks_the_next_link(engine: Engine, synthetic: pl.DataFrame) -> None:
    """An attacker who edits an entry and recomputes its hash (even with the key) breaks the link
    to the entry after it."""
    ids = _history(engine, synthetic)
    with engine.begin() as connection:
        key = audit.current_key(connection)
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
            key=key,
        )
        connection.execute(
            sa.update(audit_entry)
            .where(audit_entry.c.id == ids[1])
            .values(after='{"mobile":"+96899999999"}', hash=forged)
        )
    result = _verify(engine)
    assert not result.intact
    assert any(f"entry {ids[2]}" in str(p) and "does not follow" in str(p) for p in result.problems)


def test_deleting_an_entry_is_detected(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id == ids[2]))
    result = _verify(engine)
    assert not result.intact
    assert any(f"entry {ids[3]}" in str(p) and "does not follow" in str(p) for p in result.problems)


def test_removing_the_newest_entries_is_caught_by_the_expected_head(engine: Engine, synthetic: pl.DataFrame) -> None:
    ids = _history(engine, synthetic)
    head = _verify(engine).head
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id == ids[-1]))
    result = _verify(engine)  # the chain's own head row still names the removed entry
    assert not result.intact and any("recorded head" in str(p) for p in result.problems)
    with engine.begin() as connection:  # an attacker who rewinds the head row too...
        connection.execute(sa.update(audit_head).values(hash=result.head))
        hashes = set(connection.execute(audit.select_hashes()).scalars())
    assert _verify(engine).intact  # ...leaves a shorter chain, consistent by itself...
    assert head not in hashes  # ...which no longer holds the head recorded elsewhere before


def test_a_chain_written_before_the_head_row_verifies_after_the_upgrade(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine, "0004")
    previous = audit.GENESIS
    with engine.begin() as connection:  # entries as the earlier code wrote them (hash scheme 1)
        for number in range(3):
            at = datetime(2026, 1, 1, 10, number, tzinfo=UTC)
            link = audit.entry_hash(
                previous,
                audit.utc_stamp(at),
                "officer",
                "person.update",
                f"person:{number}",
                None,
                None,
                "{}",
                scheme=1,
            )
            connection.execute(
                sa.insert(audit_entry).values(
                    at=at,
                    actor="officer",
                    action="person.update",
                    subject=f"person:{number}",
                    before=None,
                    after="{}",
                    previous_hash=previous,
                    hash=link,
                )
            )
            previous = link
    upgrade(engine)
    with engine.begin() as connection:  # an entry as the code before the keyed chain wrote it (scheme 2)
        at = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
        link = audit.entry_hash(
            previous, audit.utc_stamp(at), "officer", "read", "person:5", None, None, None, scheme=2
        )
        connection.execute(
            sa.insert(audit_entry).values(
                at=at, actor="officer", action="read", subject="person:5", previous_hash=previous, hash=link, scheme=2
            )
        )
        connection.execute(sa.update(audit_head).values(hash=link))
    with engine.begin() as connection:
        audit.record(connection, [audit.Change("person.update", "person:9", None, {})], actor="officer")
        audit.record(connection, [audit.Change("read", f"person:{n}", None, None) for n in range(3)], actor="auditor")
    result = _verify(engine)
    assert result.intact and result.entries == 8 and result.head_keyed
    with engine.connect() as connection:
        schemes = connection.execute(sa.select(audit_entry.c.scheme).order_by(audit_entry.c.id)).scalars().all()
    assert schemes == [1, 1, 1, 2, 3, 3, 3, 3]  # nothing converted: old entries keep their scheme
    engine.dispose()


def test_concurrent_appends_make_one_chain(engine: Engine) -> None:
    def append(worker: int) -> None:
        for number in range(15):
            with engine.begin() as connection:
                audit.record(connection, [audit.Change("read", f"person:{worker}-{number}", None, None)], actor="x")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(append, range(6)))
    result = _verify(engine)
    assert result.intact and result.entries == 90
