"""A search of common words driven by the pairs of name tokens finds exactly the people, in the
same order, that the words alone find; the pairs are kept in step with every write of names (import,
registration, change of name, reindex, migration); on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from himaya.adapters.records import PackContract
from himaya.core.access import Principal, Scope
from himaya.db import name_index, name_match
from himaya.db.migrate import alembic_config, upgrade
from himaya.db.registry_import import import_people
from himaya.db.search_tables import name_pair
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.pack import PolicyPack
from himaya.registry import actions
from himaya.registry.model import Search
from himaya.registry.name_search import name_terms

EVERYWHERE = Principal("officer", frozenset(), frozenset(), (Scope("all"),))
PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
# Namesakes, a name held twice, prefixes shared by two names, the article, عبد الله, Arabic only
# (found in Latin by the skeleton), Latin only.
PEOPLE = [
    ("خديجة سالم علي الشبلي", None),
    (None, "Khadija _ _ Al-Shibli"),
    ("محمد سالم علي البلوشي", "Mohammed Salim Ali Al-Balushi"),
    ("محمد سالم حمد البلوشي", "Muhammad Salem Hamad Al_Balushi"),
    ("محمود محمد محمد البلوشي", None),
    ("عبد_الله سالم محمد البلوشي", "Abdullah Salim Mohammed Balushi"),
    ("وفاء سعيد خلفان آل_سعيد", None),
    ("محمد علي سالم المحمدي", "Mohamed Ali Salem Al-Mohammadi"),
]
QUERIES = [
    "محمد البلوشي",
    "البلوشي محمد",
    "محمد بن سالم البلوشي",
    "محمد بن سالم بن علي البلوشي",
    "محم البلو",
    "محمد محم",
    "محمد محمدي",
    "خديجه الشبلى",
    "خديجة شبلي",
    "خديج سال",
    "آل سعيد وفاء",
    "وفا سعيد",
    "عبد الله البلوشي",
    "عبدالله سالم",
    "Khadija Al Shibli",
    "Khadijah Shibli",
    "Shibli Khad",
    "Mohammed Salim",
    "Muhammad Al Balushi",
    "mohamed salem al-balushi",
    "Mahmoud Mohammed",
    "Abdullah Balushi",
    "خديجة Shibli",
]


def _named(name: str, spelt: str | None) -> dict[str, str | None]:
    """The name columns of one person: Arabic parts, Latin parts (`_` a part left empty)."""
    values: dict[str, str | None] = {}
    for script, text in (("ar", name), ("en", spelt)):
        words = text.split(" ") if text else [None] * 4
        for part, word in zip(PARTS, words, strict=True):
            values[f"{part}_{script}"] = None if word in (None, "_") else word.replace("_", " ")
    return values


@pytest.fixture
def registry(engine: Engine, synthetic: pl.DataFrame) -> tuple[Engine, list[str]]:
    """The synthetic registry with its first people renamed as `PEOPLE`."""
    ids = synthetic["person_id"].head(len(PEOPLE)).to_list()
    people = synthetic
    for number, (name, spelt) in zip(ids, PEOPLE, strict=True):
        people = people.with_columns(
            pl.when(pl.col("person_id") == number).then(pl.lit(v, pl.String)).otherwise(pl.col(k)).alias(k)
            for k, v in _named(name or "", spelt).items()
        )
    import_people(engine, people, as_of=date(2026, 1, 15), actor="test", source={"file": "people.parquet"})
    return engine, ids


def _ids(engine: Engine, query: str, *, pairs: bool) -> tuple[set[int], bool]:
    """The people the name query finds, driven by the pairs wherever they can answer (every word
    counts as common), or by the rarest word; and whether the pairs drove."""
    words = name_terms(query)
    with engine.connect() as connection:
        keys, _ = name_match.plan(connection, words, rare_enough=1, pairs=pairs)
        found = connection.execute(name_match.named(connection, words, rare_enough=1, pairs=pairs)).scalars()
        return set(found), keys is not None


def _drawn(people: pl.DataFrame, count: int) -> list[str]:
    """The searches a clerk types for people drawn at random (as `bench/search.py` does)."""
    rng, queries = random.Random(7), []
    for _ in range(count):
        row = people.row(rng.randrange(people.height), named=True)
        n = {k: str(row.get(k) or "") for k in row}
        queries += [
            f"{n['given_name_ar']} {n['family_name_ar']}",
            f"{n['family_name_ar']} {n['given_name_ar']} {n['father_name_ar']}",
            f"{n['given_name_ar']} بن {n['father_name_ar']} {n['grandfather_name_ar']} {n['family_name_ar']}",
            f"{n['given_name_ar'][:3]} {n['family_name_ar'].removeprefix('ال')[:4]}",
            f"{n['given_name_en']} {n['family_name_en']}",
            f"{n['given_name_en']} {n['father_name_en']}",
        ]
    return [q for q in queries if name_terms(q)]


def test_the_pairs_find_what_the_words_find(registry: tuple[Engine, list[str]], synthetic: pl.DataFrame) -> None:
    engine, _ = registry
    driven = 0
    for query in QUERIES + _drawn(synthetic, 30):
        through_pairs, used = _ids(engine, query, pairs=True)
        through_words, _ = _ids(engine, query, pairs=False)
        assert through_pairs == through_words, query
        driven += used
    assert driven > len(QUERIES)  # most queries of two words or more went through the pairs


TRICKY = [
    ("محمد البلوشي", {2, 3, 4, 5}, True),
    ("محمد بن سالم بن علي البلوشي", {2}, True),
    ("محم البلو", {2, 3, 4, 5}, True),  # prefixes: محمد, محمود (and more)
    ("Khadija Al Shibli", {0, 1}, True),  # Latin, and Arabic only through the skeleton
    ("Mohammed Salim", {2}, True),  # not Muhammad Salem: Latin spellings on record are not skeletons
    ("وفا سعيد", {6}, True),  # the article, a final hamza
    ("عبد الله البلوشي", {5}, True),
    ("محمد محمدي", {7}, False),  # محمد matches the token محمدي too: no pair holds it with itself
    ("Mahmoud Mohammed", {4}, False),  # both are the skeleton #mhmd: one token matching both words
    ("خديجة Shibli", {0}, False),  # two scripts: Arabic and Latin tokens are not paired
]


def test_tricky_queries(registry: tuple[Engine, list[str]]) -> None:
    """Each finds the people it must, the same through the pairs as through the words, and goes
    through the pairs exactly where they can answer."""
    engine, ids = registry
    with engine.connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT civil_number, id FROM person")).all())
    for query, expected, paired in TRICKY:
        found, used = _ids(engine, query, pairs=True)
        assert {rows[ids[e]] for e in expected} <= found, query
        assert found == _ids(engine, query, pairs=False)[0], query
        assert used is paired, query


@pytest.mark.parametrize("scope", [Scope("all"), None])
def test_the_search_pages_scope_and_audit_are_the_same(
    registry: tuple[Engine, list[str]], synthetic: pl.DataFrame, monkeypatch: pytest.MonkeyPatch, scope: Scope | None
) -> None:
    engine, ids = registry
    wilayat = synthetic.filter(pl.col("person_id") == ids[2])["wilayat"][0]
    principal = Principal("officer", frozenset(), frozenset(), (scope or Scope("wilayat", wilayat),))

    def search(query: str, rare_enough: int) -> list[dict[str, object]]:
        monkeypatch.setattr(name_match, "RARE_ENOUGH", rare_enough)
        uow = SqlUnitOfWork(engine)
        return actions.search(uow, Search(name=query), limit=3, offset=1, principal=principal, dialling_code="968")

    for query in ("محمد البلوشي", "Mohammed Salim", "محم البلو", *_drawn(synthetic, 5)):
        assert search(query, 1) == search(query, 10**9), query
    with engine.connect() as connection:
        audited = connection.execute(sa.text("SELECT count(*) FROM audit_entry WHERE subject = 'people:search'"))
        assert audited.scalar_one() >= 2 * 8  # each search audited, whichever way it went


def _pairs(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return sorted((int(p), int(i)) for p, i in connection.execute(sa.select(name_pair)).all())


def test_the_pairs_follow_a_change_of_name(registry: tuple[Engine, list[str]], oman: PolicyPack) -> None:
    engine, ids = registry
    version = actions.read(SqlUnitOfWork(engine), ids[2], "record", principal=EVERYWHERE).person["version"]
    changes = {"family_name_ar": "العبري", "family_name_en": "Al-Abri"}
    contract = PackContract(oman, days_ahead=366)
    actions.update(SqlUnitOfWork(engine), contract, ids[2], changes, expected_version=version, principal=EVERYWHERE)
    assert ids[2] not in _search(engine, "محمد بن سالم بن علي البلوشي", rare_enough=1)
    assert ids[2] in _search(engine, "Mohammed Salim Abri", rare_enough=1)
    written = _pairs(engine)
    with engine.begin() as connection:
        name_index.rebuild(connection)
    assert _pairs(engine) == written  # what a reindex writes from the names as they are now


def _search(engine: Engine, query: str, *, rare_enough: int) -> set[str]:
    uow = SqlUnitOfWork(engine)
    previous, name_match.RARE_ENOUGH = name_match.RARE_ENOUGH, rare_enough
    try:
        rows = actions.search(uow, Search(name=query), limit=500, offset=0, principal=EVERYWHERE, dialling_code="968")
    finally:
        name_match.RARE_ENOUGH = previous
    return {str(r["civil_number"]) for r in rows}


def test_a_registration_is_paired(engine: Engine, oman: PolicyPack) -> None:
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
    contract = PackContract(oman, days_ahead=366)
    actions.register(SqlUnitOfWork(engine), contract, record, valid_from=None, principal=EVERYWHERE)
    assert _search(engine, "وفا سعيد", rare_enough=1) == {"93000001"}
    assert _search(engine, "Wafa Said", rare_enough=1) == {"93000001"}
    assert len(_pairs(engine)) == 2  # وفاء with سعيد, and their skeletons


def test_the_migration_fills_the_pairs_of_people_registered_before_it(registry: tuple[Engine, list[str]]) -> None:
    engine, _ = registry
    imported = _pairs(engine)
    assert len(imported) > 5_000
    command.downgrade(alembic_config(engine), "0046")
    upgrade(engine)  # 0050 again: it pairs the tokens the name index holds
    assert _pairs(engine) == imported


@pytest.mark.parametrize("listed", [1_000, 2])  # the renamed people in a list, or staged
def test_a_reimport_replaces_the_pairs_of_the_renamed(
    registry: tuple[Engine, list[str]], synthetic: pl.DataFrame, monkeypatch: pytest.MonkeyPatch, listed: int
) -> None:
    engine, ids = registry
    monkeypatch.setattr(name_index, "LISTED", listed)
    renamed = synthetic.filter(pl.col("person_id").is_in(ids[2:6])).with_columns(
        pl.lit("الهنائي").alias("family_name_ar"), pl.lit("Al-Hinai").alias("family_name_en")
    )
    import_people(engine, renamed, as_of=date(2026, 2, 1), actor="test", source={"file": "renamed.parquet"})
    for row in renamed.iter_rows(named=True):
        was = _named(*PEOPLE[ids.index(row["person_id"])])
        assert row["person_id"] not in _search(engine, f"{was['given_name_ar']} {was['family_name_ar']}", rare_enough=1)
        now = f"{row['given_name_ar']} الهنائي" if row["given_name_ar"] else f"{row['given_name_en']} Hinai"
        assert row["person_id"] in _search(engine, now, rare_enough=1)
    written = _pairs(engine)
    with engine.begin() as connection:
        name_index.rebuild(connection)
    assert _pairs(engine) == written  # none of the old pairs left, every new one there
