"""Attacks on the audit chain's end and on its hashes, by someone who can write the database but
holds neither the audit key nor the checkpoint file (issue 12, item 5): each passed `verify` before
the chain was keyed and anchored by signed checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.core.errors import ConflictError
from himaya.db import audit, audit_checkpoints
from himaya.db.tables import audit_entry, audit_head, service_setting
from tests.db.test_audit import _history


@pytest.fixture(autouse=True)
def _no_configured_key() -> Iterator[None]:
    audit.use_keys(None)
    yield
    audit.use_keys(None)


def _anchored(engine: Engine, synthetic: pl.DataFrame, tmp_path: Path) -> tuple[list[int], Path]:
    ids = _history(engine, synthetic)
    path = tmp_path / "checkpoints.jsonl"
    with engine.begin() as connection:
        audit_checkpoints.make(connection, path, start=True)
    return ids, path


def _problems(engine: Engine, path: Path) -> tuple[audit.Verification, list[str]]:
    with engine.connect() as connection:
        return audit.verify(connection), audit_checkpoints.check(connection, audit_checkpoints.read(path))


def _rewrite(engine: Engine, from_id: int, *, scheme: int, key: bytes | None, edit: dict[str, str]) -> None:
    """Edit the entry `from_id` and re-hash it and every entry after it, moving the head row."""
    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(audit_entry).where(audit_entry.c.id >= from_id).order_by(audit_entry.c.id)
        ).mappings()
        rows = [dict(r) for r in rows]
        previous = rows[0]["previous_hash"]
        for number, row in enumerate(rows):
            fields = {**row, **edit} if number == 0 else row
            digest = audit.entry_hash(
                previous,
                audit.utc_stamp(fields["at"]),
                *(fields[c] for c in ("actor", "action", "subject", "request_id", "before", "after")),
                scheme=scheme,
                key=key,
            )
            # the unique hashes: move each row out of the way first
            connection.execute(
                sa.update(audit_entry)
                .where(audit_entry.c.id == row["id"])
                .values(
                    **{**edit, "previous_hash": previous, "hash": digest, "scheme": scheme}
                    if number == 0
                    else {"previous_hash": previous, "hash": digest, "scheme": scheme}
                )
            )
            previous = digest
        connection.execute(sa.update(audit_head).values(hash=previous))


def test_removing_the_newest_entries_and_moving_the_head_is_caught_by_a_checkpoint(
    engine: Engine, synthetic: pl.DataFrame, tmp_path: Path
) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id >= ids[-2]))
        last = connection.execute(sa.select(audit_entry.c.hash).where(audit_entry.c.id == ids[-3])).scalar_one()
        connection.execute(sa.update(audit_head).values(hash=last))
    chain, anchored = _problems(engine, path)
    assert chain.intact and chain.entries == len(ids) - 2  # the chain alone cannot tell
    assert any(f"no longer holds entry {ids[-1]}" in p for p in anchored)


def test_deleting_everything_and_resetting_the_head_is_caught_by_a_checkpoint(
    engine: Engine, synthetic: pl.DataFrame, tmp_path: Path
) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry))
        connection.execute(sa.update(audit_head).values(hash=audit.GENESIS))
    chain, anchored = _problems(engine, path)
    assert chain.intact and chain.entries == 0
    assert any(f"no longer holds entry {ids[-1]}" in p for p in anchored)


def test_editing_an_entry_and_rehashing_the_rest_without_the_key_is_detected(
    engine: Engine, synthetic: pl.DataFrame, tmp_path: Path
) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    _rewrite(engine, ids[1], scheme=audit.SCHEME, key=b"a guess at the key" * 2, edit={"actor": "someone else"})
    chain, anchored = _problems(engine, path)
    assert any(f"entry {ids[1]}" in str(p) and "content was changed" in str(p) for p in chain.problems)
    assert anchored  # the checkpointed head is gone too


def test_downgrading_the_rest_to_unkeyed_hashes_is_detected(
    engine: Engine, synthetic: pl.DataFrame, tmp_path: Path
) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    _rewrite(engine, ids[1], scheme=2, key=None, edit={"actor": "someone else"})
    chain, _ = _problems(engine, path)
    assert any(f"entry {ids[1]}" in str(p) and "unkeyed after keyed" in str(p) for p in chain.problems)
    _rewrite(engine, ids[0], scheme=2, key=None, edit={"actor": "someone else"})  # the whole chain, then
    chain, anchored = _problems(engine, path)
    assert chain.intact  # consistent by itself...
    assert any(f"no longer holds entry {ids[-1]}" in p for p in anchored)  # ...but not what was checkpointed


def test_a_forged_or_edited_checkpoint_is_reported(engine: Engine, synthetic: pl.DataFrame, tmp_path: Path) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "entry": ids[-2]}) + "\n")
    _, anchored = _problems(engine, path)
    assert any("signature does not match" in p for p in anchored)


def test_a_tampered_chain_is_not_checkpointed(engine: Engine, synthetic: pl.DataFrame, tmp_path: Path) -> None:
    ids, path = _anchored(engine, synthetic, tmp_path)
    with engine.begin() as connection:
        connection.execute(sa.delete(audit_entry).where(audit_entry.c.id == ids[-1]))
        connection.execute(
            sa.update(audit_head).values(
                hash=sa.select(audit_entry.c.hash).where(audit_entry.c.id == ids[-2]).scalar_subquery()
            )
        )
    with engine.begin() as connection, pytest.raises(ConflictError, match="no longer holds"):
        audit_checkpoints.make(connection, path)
    assert len(audit_checkpoints.read(path)) == 1


def test_the_configured_key_and_its_rotation(engine: Engine, synthetic: pl.DataFrame) -> None:
    """Entries keyed with the stored key, then HIMAYA_AUDIT_KEY, then a rotated one all verify while
    the earlier keys are known; without them, the entries they keyed are reported."""
    first, second = "first-audit-key-" + "x" * 32, "second-audit-key-" + "y" * 32
    _history(engine, synthetic)  # the stored key, made on first use
    with engine.connect() as connection:
        stored = connection.execute(sa.select(service_setting.c.value).where(service_setting.c.name == "audit_key"))
        assert stored.scalar() is not None
    for current, previous in ((first, ()), (second, (first,))):
        audit.use_keys(current, previous)
        with engine.begin() as connection:
            audit.record(connection, [audit.Change("read", "person:1", None, None)], actor=current[:5])
        with engine.connect() as connection:
            assert audit.verify(connection).intact
    audit.use_keys(second)  # the first configured key forgotten
    with engine.connect() as connection:
        result = audit.verify(connection)
    assert [p.entry for p in result.problems if "content was changed" in str(p)] == [result.last_id - 1]


def test_a_key_made_in_a_transaction_that_rolls_back_is_not_used(engine: Engine) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        audit.record(connection, [audit.Change("read", "person:1", None, None)], actor="x")
        audit.record(connection, [audit.Change("read", "person:2", None, None)], actor="x")
        transaction.rollback()
    for number in range(2):
        with engine.begin() as connection:
            audit.record(connection, [audit.Change("read", f"person:{number}", None, None)], actor="y")
    with engine.connect() as connection:
        result = audit.verify(connection)
    assert result.intact and result.entries == 2
