"""Search by name (Arabic and Latin spellings, any order), civil number and phone, through the name
index kept in step with every write; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from himaya.adapters.records import PackContract
from himaya.core.access import Principal, Scope
from himaya.core.errors import InvalidInputError
from himaya.db import name_index
from himaya.db.migrate import alembic_config, upgrade
from himaya.db.registry_import import import_people
from himaya.db.scoped import person_in_branches, person_visible
from himaya.db.search_tables import name_token
from himaya.db.tables import person
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.pack import PolicyPack
from himaya.registry import actions
from himaya.registry.model import Search

EVERYWHERE = Principal("officer", frozenset(), frozenset(), (Scope("all"),))
KHADIJA = {
    "given_name_ar": "خديجة",
    "father_name_ar": "سالم",
    "grandfather_name_ar": "علي",
    "family_name_ar": "الشبلي",
    "given_name_en": None,  # registered in Arabic only: found by a Latin spelling through the skeleton
    "father_name_en": None,
    "grandfather_name_en": None,
    "family_name_en": None,
    "mobile": "+96891234567",
}


@pytest.fixture
def registry(engine: Engine, synthetic: pl.DataFrame) -> tuple[Engine, str, str]:
    """The synthetic registry with its first person renamed خديجة سالم علي الشبلي (Arabic only)
    and its second Khadija Al Shibli in Latin only."""
    first, second = synthetic["person_id"][0], synthetic["person_id"][1]
    people = synthetic.with_columns(
        *(
            pl.when(pl.col("person_id") == first).then(pl.lit(v, pl.String)).otherwise(pl.col(k)).alias(k)
            for k, v in KHADIJA.items()
        )
    ).with_columns(
        *(
            pl.when(pl.col("person_id") == second).then(pl.lit(v, pl.String)).otherwise(pl.col(k)).alias(k)
            for k, v in {"given_name_en": "Khadija", "family_name_en": "Al-Shibli", "given_name_ar": None}.items()
        )
    )
    import_people(engine, people, as_of=date(2026, 1, 15), actor="test", source={"file": "people.parquet"})
    return engine, first, second


def _found(engine: Engine, wanted: Search, principal: Principal = EVERYWHERE) -> set[str]:
    rows = actions.search(SqlUnitOfWork(engine), wanted, limit=500, offset=0, principal=principal, dialling_code="968")
    return {r["civil_number"] for r in rows}


@pytest.mark.parametrize(
    "query",
    [
        "خديجه",
        "خديجة الشبلي",
        "الشبلي خديجة",
        "خَدِيجَة بنت سالم الشبلى",
        "خدیجه\u200f شبلي",
        "خديج علي سال",
        "Khadija Al Shibli",
    ],
)
def test_a_name_is_found_however_it_is_spelt(registry: tuple[Engine, str, str], query: str) -> None:
    engine, first, _ = registry
    assert first in _found(engine, Search(name=query))


@pytest.mark.parametrize("query", ["Khadija Al Shibli", "khadijah al-shibli", "Shibli Khad", "Alshibli Khadija"])
def test_latin_names_are_found_in_latin(registry: tuple[Engine, str, str], query: str) -> None:
    engine, _, second = registry
    assert second in _found(engine, Search(name=query))


def test_every_word_must_match(registry: tuple[Engine, str, str]) -> None:
    engine, first, _ = registry
    assert first not in _found(engine, Search(name="خديجة البلوشي"))
    assert _found(engine, Search(name="خديجة زززز")) == set()


def test_a_query_of_connectors_only_is_refused(registry: tuple[Engine, str, str]) -> None:
    engine, _, _ = registry
    with pytest.raises(InvalidInputError, match="no name to search by"):
        _found(engine, Search(name="بن ال"))


@pytest.mark.parametrize("number", ["91234567", "+968 9123 4567", "0096891234567", "968-91234567"])
def test_a_phone_with_or_without_the_country_code(registry: tuple[Engine, str, str], number: str) -> None:
    engine, first, _ = registry
    assert first in _found(engine, Search(phone=number))
    assert first in _found(engine, Search.parse(number))


def test_a_civil_number(registry: tuple[Engine, str, str]) -> None:
    engine, first, _ = registry
    assert _found(engine, Search.parse(first)) == {first}
    assert _found(engine, Search(civil_number=first)) == {first}


def test_a_search_stays_within_the_branches(registry: tuple[Engine, str, str]) -> None:
    engine, first, _ = registry
    elsewhere = Principal("far", frozenset(), frozenset(), (Scope("wilayat", "Nowhere"),))
    assert _found(engine, Search(name="خديجة الشبلي"), elsewhere) == set()
    assert _found(engine, Search.parse(first), elsewhere) == set()


def test_a_change_of_name_is_searchable_in_the_same_transaction(
    registry: tuple[Engine, str, str], oman: PolicyPack
) -> None:
    engine, first, _ = registry
    contract = PackContract(oman, days_ahead=366)
    version = actions.read(SqlUnitOfWork(engine), first, "record", principal=EVERYWHERE).person["version"]
    actions.update(
        SqlUnitOfWork(engine),
        contract,
        first,
        {"family_name_ar": "العبري"},
        expected_version=version,
        principal=EVERYWHERE,
    )
    assert first not in _found(engine, Search(name="خديجة الشبلي"))
    assert first in _found(engine, Search(name="خديجة عبري"))


def test_a_registration_is_searchable(engine: Engine, oman: PolicyPack) -> None:
    record = {
        "person_id": "93000001",
        "family_id": "F93000001",
        "relationship": "head",
        "sex": "F",
        "birth_date": "1980-02-03",
        "nationality": "OM",
        "resident": "true",
        "marital_status": "married",
        "given_name_ar": "وفاء",
        "family_name_ar": "آل سعيد",
        "wilayat": "Nizwa",
    }
    actions.register(
        SqlUnitOfWork(engine), PackContract(oman, days_ahead=366), record, valid_from=None, principal=EVERYWHERE
    )
    assert _found(engine, Search(name="وفا سعيد")) == {"93000001"}


def test_the_migration_fills_the_index_of_people_registered_before_it(registry: tuple[Engine, str, str]) -> None:
    engine, first, _ = registry
    with engine.connect() as connection:
        before = sorted(connection.execute(sa.select(name_token)).all())
    with engine.begin() as connection:
        connection.execute(sa.delete(name_token))
    assert first not in _found(engine, Search(name="خديجة"))
    command.downgrade(alembic_config(engine), "0011")
    upgrade(engine)  # 0012 again: it builds the index from the people's names
    with engine.connect() as connection:
        assert sorted(connection.execute(sa.select(name_token)).all()) == before
    with engine.begin() as connection:
        assert name_index.rebuild(connection) == len(before)


def test_the_name_index_has_no_foreign_key_since_0053_and_keeps_its_tokens(registry: tuple[Engine, str, str]) -> None:
    """Migration 0053 drops the tokens' key to `person` (derived rows, as the pairs'); its downgrade
    adds it back, every token checked; neither loses a token."""
    engine, first, _ = registry

    def keys() -> list[str | None]:
        return [k["name"] for k in sa.inspect(engine).get_foreign_keys("name_token")]

    with engine.connect() as connection:
        before = sorted(connection.execute(sa.select(name_token)).all())
    assert keys() == []
    command.downgrade(alembic_config(engine), "0052")
    assert keys() == ["fk_name_token_person_id_person"]
    upgrade(engine)
    assert keys() == []
    with engine.connect() as connection:
        assert sorted(connection.execute(sa.select(name_token)).all()) == before
    assert first in _found(engine, Search(name="خديجة"))


def test_the_scope_checked_person_by_person_is_the_scope(registry: tuple[Engine, str, str]) -> None:
    """The search's correlated branch check selects exactly the people `person_visible` does."""
    engine, _, _ = registry
    with engine.connect() as connection:
        places = connection.execute(sa.select(person.c.wilayat, person.c.governorate).distinct().limit(3)).all()
        principals = [Principal("n", frozenset(), frozenset(), ())]
        for wilayat, governorate in places:
            principals.append(Principal("w", frozenset(), frozenset(), (Scope("wilayat", wilayat),)))
            principals.append(Principal("g", frozenset(), frozenset(), (Scope("governorate", governorate),)))
        seen = 0
        for principal in principals:
            as_set = connection.execute(sa.select(person.c.civil_number).where(person_visible(principal))).scalars()
            each = connection.execute(sa.select(person.c.civil_number).where(person_in_branches(principal))).scalars()
            visible = set(as_set)
            assert visible == set(each)
            seen += len(visible)
        assert seen > 0
