"""The import written as a bulk load (PostgreSQL: foreign keys and secondary indexes dropped and made
again in the import's transaction), the binary COPY it loads with, and the row ids it decides
before writing; the same refusals and the same all-or-nothing as the everyday path."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.db import bulk, registry_keys, staging
from himaya.db import registry_import as importer
from himaya.db.registry_import import import_people, written
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import audit_entry, family, membership, person
from himaya.policy.pack import PolicyPack

FIRST = date(2026, 1, 15)


@pytest.fixture
def as_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports of the tests' few hundred people written as a bulk load (on PostgreSQL)."""
    monkeypatch.setattr(importer, "BULK", 10)


def _import(engine: Engine, people: pl.DataFrame, as_of: date = FIRST) -> importer.ImportSummary:
    return import_people(engine, people, as_of=as_of, actor="test", source={"file": "people.parquet"})


@pytest.fixture
def tables(oman: PolicyPack) -> list[sa.Table]:
    return written(oman.registry_facts)


def _catalog(engine: Engine, tables: list[sa.Table]) -> set[tuple[str, ...]]:
    """Every index and constraint of `tables`, as the server defines them (and whether validated)."""
    if engine.dialect.name != "postgresql":
        inspector = sa.inspect(engine)
        return {(t.name, str(i["name"]), str(i["column_names"])) for t in tables for i in inspector.get_indexes(t.name)}
    names = [t.name for t in tables]
    with engine.connect() as connection:
        indexes = connection.execute(
            sa.text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = ANY(CAST(:names AS regclass[]))"
            ),
            {"names": names},
        ).all()
        constraints = connection.execute(
            sa.text(
                "SELECT conname, pg_get_constraintdef(oid), convalidated::text FROM pg_constraint"
                " WHERE conrelid = ANY(CAST(:names AS regclass[]))"
            ),
            {"names": names},
        ).all()
    return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.mark.usefixtures("as_bulk")
def test_a_bulk_import_reads_back_as_the_file_and_leaves_every_index_and_key(
    engine: Engine, synthetic: pl.DataFrame, tables: list[sa.Table]
) -> None:
    catalog = _catalog(engine, tables)
    summary = _import(engine, synthetic)
    assert (summary.created, summary.families_created) == (synthetic.height, synthetic["family_id"].n_unique())
    with engine.connect() as connection:
        back = read_people(connection, people_query(None, registry=True))
    assert back.sort("family_id", "person_id").equals(synthetic.select(back.columns).sort("family_id", "person_id"))
    assert _catalog(engine, tables) == catalog  # the same indexes and constraints, the foreign keys validated
    again = _import(engine, synthetic, as_of=date(2026, 6, 1))  # now an everyday import: nothing changes
    assert (again.created, again.updated, again.unchanged) == (0, 0, synthetic.height)


@pytest.mark.usefixtures("as_bulk")
def test_a_failed_bulk_import_writes_nothing_and_keeps_the_indexes(
    engine: Engine, synthetic: pl.DataFrame, tables: list[sa.Table], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = _catalog(engine, tables)

    def broken(*_: object, **__: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "open_rows", broken)  # the known people's rows (SQLite: everyone's)
    monkeypatch.setattr(importer, "copy_new", broken)  # the new people's rows (PostgreSQL)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(engine, synthetic)
    assert _count(engine, person) == _count(engine, family) == _count(engine, audit_entry) == 0
    assert _catalog(engine, tables) == catalog


@pytest.mark.parametrize("bulk_load", [False, True], ids=["everyday", "bulk"])
def test_a_new_family_with_two_heads_or_none_is_refused_before_anything_is_written(
    engine: Engine, synthetic: pl.DataFrame, bulk_load: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if bulk_load:
        monkeypatch.setattr(importer, "BULK", 10)
    spouse = synthetic.filter(pl.col("relationship") == "spouse").head(1)
    number = spouse["family_id"][0]
    headless = synthetic.filter((pl.col("relationship") == "head") & (pl.col("family_id") != number))["family_id"][0]
    broken = synthetic.with_columns(
        pl.when(pl.col("person_id") == spouse["person_id"][0])
        .then(pl.lit("head"))
        .when((pl.col("family_id") == headless) & (pl.col("relationship") == "head"))
        .then(pl.lit("child"))
        .otherwise(pl.col("relationship"))
        .alias("relationship")
    )
    with pytest.raises(importer.RegistryImportError, match="would not have exactly one head") as refused:
        _import(engine, broken)
    assert f"{number} (2 heads)" in str(refused.value) and f"{headless} (0 heads)" in str(refused.value)
    assert "nothing was written" in str(refused.value)
    assert _count(engine, person) == _count(engine, membership) == _count(engine, audit_entry) == 0


def test_staging_loads_every_type_as_given(engine: Engine) -> None:
    """PostgreSQL loads in binary COPY (`pgcopy`): integers, dates before and after 2000, booleans,
    text in any script, empty text and NULLs come back as they went in."""
    frame = pl.DataFrame(
        {
            "n": [1, None, -5, 2**40],
            "t": ["x", None, "خديجة", ""],
            "d": [date(2000, 1, 1), date(1969, 12, 31), None, date(2026, 5, 1)],
            "b": [True, False, None, True],
            "empty": pl.Series([None] * 4, dtype=pl.String),
        }
    )
    with engine.begin() as connection:
        s = staging.load(connection, "typed_staging", frame)
        back = connection.execute(sa.select(s).order_by(sa.func.coalesce(s.c.n, 0))).all()
    assert sorted(back, key=lambda r: r[0] or 0) == sorted(frame.rows(), key=lambda r: r[0] or 0)


def test_row_ids_are_fresh_and_the_sequence_moves_past_them(engine: Engine) -> None:
    """Ids taken for an import (one step under lock, or one per row) are never handed out again."""
    ids: list[int] = []
    with engine.begin() as connection:
        for locked in (False, True):
            taken = registry_keys.allocate(connection, family, 3, locked=locked).to_list()
            for key in taken:
                connection.execute(sa.insert(family).values(id=key, family_number=f"F{key}", created_at=sa.func.now()))
            ids += taken
        after = connection.execute(
            sa.insert(family).values(family_number="LATER", created_at=sa.func.now()).returning(family.c.id)
        ).scalar_one()
    assert len(set(ids)) == 6 and after > max(ids)


def test_bulk_loading_restores_what_it_dropped(engine: Engine, tables: list[sa.Table]) -> None:
    catalog = _catalog(engine, tables)
    with engine.begin() as connection, bulk.loading(connection, tables):
        if engine.dialect.name == "postgresql":
            assert _dropped(connection) == 0  # inside: no foreign key left on the tables
    assert _catalog(engine, tables) == catalog


def _dropped(connection: sa.Connection) -> int:
    return connection.execute(
        sa.text("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = CAST('membership' AS regclass)")
    ).scalar_one()
