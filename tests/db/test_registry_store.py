"""The registry store: import, history, snapshots, locking, merge; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.adapters.records import PackContract
from himaya.core.access import Principal, Scope
from himaya.core.errors import NotFoundError, StaleRecordError
from himaya.core.periods import Period
from himaya.db import audit
from himaya.db import registry_import as importer
from himaya.db.migrate import current_revision, head_revision, upgrade
from himaya.db.people import merge_people, read_person, update_person
from himaya.db.registry_import import import_people
from himaya.db.scoped import family_table
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import audit_entry, income, metadata, person
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.registry import actions
from himaya.registry.dedup import find_duplicates
from himaya.registry.model import Fact

FIRST = date(2026, 1, 15)
LATER = date(2026, 6, 1)


def _import(engine: Engine, people: pl.DataFrame, as_of: date = FIRST) -> importer.ImportSummary:
    return import_people(engine, people, as_of=as_of, actor="test", source={"file": "people.parquet"})


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_migrations_create_every_table_and_are_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    upgrade(engine)  # a second upgrade changes nothing
    names = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= names


def test_import_reads_back_as_the_same_table(engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack) -> None:
    summary = _import(engine, synthetic)
    assert (summary.rows, summary.created, summary.updated) == (synthetic.height, synthetic.height, 0)
    assert summary.families_created == synthetic["family_id"].n_unique()
    with engine.connect() as connection:
        back = read_people(connection, people_query(None, registry=True))
    expected = synthetic.select(back.columns).sort("family_id", "person_id")
    assert back.sort("family_id", "person_id").equals(expected)


def test_the_arrow_native_snapshot_equals_the_one_read_through_python_rows(
    engine: Engine, synthetic: pl.DataFrame
) -> None:
    """The payroll reads the registry Arrow-native (ADBC on SQLite, COPY on PostgreSQL), in parts,
    with explicit types: it must give the very table the driver's rows give."""
    _import(engine, synthetic)
    for day in (date(2024, 3, 31), date(2026, 1, 31), None):
        with engine.connect() as connection:
            query = people_query(day, accounts=True, keys=True)
            fast, rows = read_people(connection, query, committed=True), read_people(connection, query)
        assert fast.schema == rows.schema
        assert fast.equals(rows.sort("family_id", "person_id", maintain_order=True))
        assert fast.height == synthetic.height


def test_entitlements_from_the_registry_equal_those_from_the_file(
    engine: Engine, synthetic: pl.DataFrame, oman: PolicyPack
) -> None:
    _import(engine, synthetic)
    for period in (Period(2024, 3), Period(2025, 12), Period(2026, 1)):
        with engine.connect() as connection:
            snapshot = read_people(connection, people_query(period.end))
        from_file = entitlements(synthetic.select(oman.schema.names), oman, oman.parameters, period)
        assert entitlements(snapshot, oman, oman.parameters, period).equals(from_file)


def test_reimport_updates_by_civil_number_and_keeps_history(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    worker = synthetic.filter(pl.col("wage") > 0)["person_id"][0]
    married = synthetic.filter(pl.col("marital_status") == "married")["person_id"][0]
    changed = synthetic.with_columns(
        pl.when(pl.col("person_id") == worker).then(pl.col("wage") + 50_000).otherwise(pl.col("wage")).alias("wage"),
        pl.when(pl.col("person_id") == married)
        .then(pl.lit("widowed"))
        .otherwise(pl.col("marital_status"))
        .alias("marital_status"),
    )
    summary = _import(engine, changed, as_of=LATER)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, synthetic.height - 2)
    assert summary.rows_closed["income.wage"] == 1 and summary.rows_opened["income.wage"] == 1
    with engine.connect() as connection:
        before = read_people(connection, people_query(date(2026, 5, 31))).sort("person_id")
        after = read_people(connection, people_query(LATER)).sort("person_id")
        entries = (
            connection.execute(sa.select(audit_entry).where(audit_entry.c.action == "person.update")).mappings().all()
        )
    assert before.equals(synthetic.select(before.columns).sort("person_id"))
    assert after.equals(changed.select(after.columns).sort("person_id"))
    subjects = {e["subject"]: e for e in entries}
    assert set(subjects) == {f"person:{worker}", f"person:{married}"}
    assert '"marital_status":"widowed"' in subjects[f"person:{married}"]["after"]
    assert '"marital_status":"married"' in subjects[f"person:{married}"]["before"]


def test_importing_the_same_file_again_changes_nothing(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    rows = _count(engine, income)
    summary = _import(engine, synthetic, as_of=LATER)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, synthetic.height)
    assert sum(summary.rows_opened.values()) == sum(summary.rows_closed.values()) == 0
    assert _count(engine, income) == rows


def test_a_failed_import_writes_nothing(
    engine: Engine, synthetic: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the people were inserted rolls everything back: all or nothing."""

    def broken(*_: object, **__: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "open_rows", broken)  # the known people's rows (SQLite: everyone's)
    monkeypatch.setattr(importer, "copy_new", broken)  # the new people's rows (PostgreSQL)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(engine, synthetic)
    assert _count(engine, person) == 0
    assert _count(engine, audit_entry) == 0


def test_optimistic_locking_refuses_a_stale_update(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    civil = synthetic["person_id"][0]
    version = read_person(engine, civil).person["version"]
    assert update_person(engine, civil, {"mobile": "+96891234567"}, expected_version=version, actor="a") == version + 1
    with pytest.raises(StaleRecordError, match=f"is at version {version + 1}, not {version}"):
        update_person(engine, civil, {"mobile": "+96899999999"}, expected_version=version, actor="b")
    assert read_person(engine, civil).person["mobile"] == "+96891234567"
    with pytest.raises(NotFoundError):
        update_person(engine, "99999999", {"mobile": "+96891234567"}, expected_version=1, actor="a")


def test_concurrent_writers_lose_no_update(engine: Engine, synthetic: pl.DataFrame) -> None:
    """Writers read, change and write back in a loop; every refused write is retried; in the end
    the version counts every write and the audit trail holds each one."""
    _import(engine, synthetic)
    civil = synthetic["person_id"][0]
    writers, writes = 6, 5

    def write(number: int) -> None:
        done = 0
        while done < writes:
            record = read_person(engine, civil).person
            try:
                update_person(
                    engine,
                    civil,
                    {"mobile": f"+9689{number:03d}{done:04d}"},
                    expected_version=record["version"],
                    actor=f"w{number}",
                )
                done += 1
            except StaleRecordError:
                continue

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert read_person(engine, civil).person["version"] == 1 + writers * writes
    with engine.connect() as connection:
        updates = connection.execute(
            sa.select(sa.func.count()).select_from(audit_entry).where(audit_entry.c.action == "person.update")
        ).scalar_one()
        assert updates == writers * writes
        assert audit.verify(connection).intact


def test_merge_moves_what_the_kept_record_lacks(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    keep, drop = (
        synthetic.filter(pl.col("wage") == 0)["person_id"][0],
        synthetic.filter(pl.col("wage") > 0)["person_id"][0],
    )
    moved = merge_people(engine, keep, drop, actor="supervisor", as_of=LATER)
    assert moved["incomes"] >= 1
    record = read_person(engine, drop)
    assert record.person["merged_into"] == read_person(engine, keep).person["id"]
    with engine.connect() as connection:
        now = read_people(connection, people_query(None))
    assert drop not in now["person_id"].to_list()
    assert now.filter(pl.col("person_id") == keep)["wage"][0] > 0
    with pytest.raises(Exception, match="already merged"):
        merge_people(engine, keep, drop, actor="supervisor", as_of=LATER)
    # Importing the same file again does not bring the merged record back.
    again = _import(engine, synthetic, as_of=date(2026, 7, 1))
    assert again.skipped_merged == 1 and again.created == 0
    with engine.connect() as connection:
        assert drop not in read_people(connection, people_query(None))["person_id"].to_list()


def test_an_import_cannot_be_dated_before_changes_already_recorded(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    worker = synthetic.filter(pl.col("wage") > 0)["person_id"][0]
    changed = synthetic.with_columns(
        pl.when(pl.col("person_id") == worker).then(pl.col("wage") + 1).otherwise(pl.col("wage")).alias("wage")
    )
    _import(engine, changed, as_of=LATER)
    with pytest.raises(importer.RegistryImportError, match=f"already holds changes effective {LATER}"):
        _import(engine, synthetic, as_of=date(2026, 3, 1))
    with engine.connect() as connection:  # nothing changed: still one current wage row
        assert (
            read_people(connection, people_query(None)).filter(pl.col("person_id") == worker)["wage"][0]
            == changed.filter(pl.col("person_id") == worker)["wage"][0]
        )


def test_an_import_does_not_clear_a_recorded_death(engine: Engine, synthetic: pl.DataFrame) -> None:
    """A death recorded since (the civil registry's event, an officer) is not erased by the next
    import of a file that gives none: refused, naming the person (outside attack: it was cleared
    silently, and the payments would restart)."""
    _import(engine, synthetic)
    alive = synthetic.filter(pl.col("death_date").is_null(), pl.col("relationship") == "spouse")["person_id"][0]
    died = synthetic.with_columns(
        pl.when(pl.col("person_id") == alive).then(pl.lit(date(2026, 2, 1))).otherwise("death_date").alias("death_date")
    )
    _import(engine, died, as_of=LATER)
    with pytest.raises(importer.RegistryImportError, match=f"{alive} \\(died 2026-02-01\\)"):
        _import(engine, synthetic, as_of=date(2026, 3, 1))
    with engine.connect() as connection:
        kept = read_people(connection, people_query(None)).filter(pl.col("person_id") == alive)
    assert kept["death_date"][0] == date(2026, 2, 1)
    _import(engine, died, as_of=date(2026, 3, 1))  # the same death given again: accepted


def test_an_import_that_would_leave_two_heads_is_refused(engine: Engine, synthetic: pl.DataFrame) -> None:
    _import(engine, synthetic)
    spouse = (
        synthetic.filter(pl.col("relationship") == "spouse").head(1).with_columns(pl.lit("head").alias("relationship"))
    )
    with pytest.raises(importer.RegistryImportError, match="would not have exactly one head"):
        _import(engine, spouse, as_of=LATER)
    with engine.connect() as connection:
        heads = read_people(connection, people_query(None)).filter(pl.col("family_id") == spouse["family_id"][0])
    assert (heads["relationship"] == "head").sum() == 1


def test_dedup_never_pairs_a_man_with_a_woman() -> None:
    base = {
        "given_name_ar": "علي",
        "father_name_ar": "سالم",
        "grandfather_name_ar": "سعيد",
        "family_name_ar": "البلوشي",
        "given_name_en": "Ali",
        "father_name_en": "Salim",
        "grandfather_name_en": "Said",
        "family_name_en": "Al Balushi",
        "birth_date": date(1990, 1, 1),
    }
    people = pl.DataFrame(
        [
            {**base, "key": 1, "civil_number": "12345678", "sex": "M"},
            {**base, "key": 2, "civil_number": "12345679", "sex": "F"},
        ]
    )
    assert find_duplicates(people).is_empty()


def test_one_familys_read_equals_its_rows_of_the_whole_snapshot(engine: Engine, synthetic: pl.DataFrame) -> None:
    """The service reads one family with a prepared statement and the statement's own types; the
    engine must see exactly the rows and types of the country-wide snapshot."""
    import_people(engine, synthetic, as_of=FIRST, actor="registrar", source={"file": "people.parquet"})
    everyone = Principal("x", frozenset(), frozenset(), (Scope("all"),))
    day = date(2026, 1, 31)
    with engine.connect() as connection:
        whole = read_people(connection, people_query(day, registry=True))
        for family in synthetic["family_id"].unique(maintain_order=True).to_list()[:25]:
            one = family_table(connection, everyone, family, day)
            expected = whole.filter(pl.col("family_id") == family)
            assert one.schema == expected.schema
            assert one.sort("person_id").equals(expected.sort("person_id")), family


# --- the registry's actions at once, on PostgreSQL (SQLite queues writers: nothing to race) -------

EVERYWHERE = Principal("officer", frozenset(), frozenset(), (Scope("all"),))
HEAD = {
    "person_id": "93000001",
    "family_id": "F93000001",
    "relationship": "head",
    "sex": "F",
    "birth_date": "1980-02-03",
    "nationality": "OM",
    "resident": "true",
    "marital_status": "married",
    "given_name_en": "Muna",
    "wilayat": "Nizwa",
}


def _at_once(engine: Engine, action: Callable[[SqlUnitOfWork], object], n: int = 2) -> list[object]:
    """Run `action` in `n` threads released together; what each returned or raised."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is raced on PostgreSQL; SQLite serialises writers")
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        uow = SqlUnitOfWork(engine)
        barrier.wait()
        try:
            results[i] = action(uow)
        except Exception as error:  # the outcome is what the test inspects
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return list(results)


def _entries(engine: Engine, action: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(audit_entry).where(audit_entry.c.action == action)
        ).scalar_one()


def test_two_registrations_of_one_civil_number_at_once_register_it_once(engine: Engine, oman: PolicyPack) -> None:
    contract = PackContract(oman, days_ahead=366)
    outcomes = _at_once(
        engine, lambda uow: actions.register(uow, contract, HEAD, valid_from=None, principal=EVERYWHERE)
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "Written"], outcomes
    assert _count(engine, person) == 1 and _entries(engine, "person.create") == 1


def test_two_changes_from_one_version_at_once_one_wins(engine: Engine, oman: PolicyPack) -> None:
    contract = PackContract(oman, days_ahead=366)
    if engine.dialect.name == "postgresql":
        actions.register(SqlUnitOfWork(engine), contract, HEAD, valid_from=None, principal=EVERYWHERE)
    changes = _at_once(
        engine,
        lambda uow: actions.update(
            uow, contract, "93000001", {"mobile": "+96891234567"}, expected_version=1, principal=EVERYWHERE
        ),
    )
    assert sorted(type(o).__name__ for o in changes) == ["StaleRecordError", "Written"], changes
    assert _entries(engine, "person.update") == 1
    facts = _at_once(
        engine,
        lambda uow: actions.record_facts(
            uow,
            contract,
            "93000001",
            Fact.INCOMES,
            {"wage": "300"},
            expected_version=2,
            valid_from=None,
            principal=EVERYWHERE,
        ),
    )
    assert sorted(type(o).__name__ for o in facts) == ["StaleRecordError", "Written"], facts
    assert _entries(engine, "person.incomes") == 1
    with engine.connect() as connection:
        assert audit.verify(connection).intact
