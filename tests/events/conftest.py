"""A tiny registry of three families on both databases, and the worker wired as the CLI wires it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.adapters.records import PackContract
from himaya.db.registry_import import import_people
from himaya.db.snapshot import people_query, read_people
from himaya.db.uow import SqlUnitOfWork
from himaya.events import actions
from himaya.events.model import LifeEvent, Processed, Received
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import people_frame
from tests.db.conftest import database_url, engine, postgres_problem  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 30)
REGISTERED = date(2024, 1, 1)


def person(pid: str, fid: str, rel: str, sex: str, born: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "person_id": pid, "family_id": fid, "relationship": rel, "sex": sex, "birth_date": born,
        "nationality": "OM", "resident": True, "marital_status": status, "wilayat": "Nizwa",
        "given_name_en": f"Name{pid[-2:]}", "family_name_en": "Test", **more,
    }  # fmt: skip


# F1: a couple and their son; F2: a man who turns 60 in November 2026; F3: a widow and her daughter.
PEOPLE = [
    person("71000001", "F1", "head", "M", "1980-05-01", "married", has_children=True),
    person("71000002", "F1", "spouse", "F", "1985-06-01", "married", has_children=True),
    person("71000003", "F1", "child", "M", "2015-07-01", "single"),
    person("71000010", "F2", "head", "M", "1966-11-12", "single"),
    person("71000020", "F3", "head", "F", "1960-01-20", "widowed", has_children=True),
    person("71000021", "F3", "child", "F", "2008-11-03", "single", father_deceased=True),
]


@pytest.fixture
def registry(engine: Engine, oman: PolicyPack) -> Engine:  # noqa: F811  (the fixture of tests/db)
    frame = validate_table(people_frame(PEOPLE), oman.registry, source="test")
    import_people(engine, frame, as_of=REGISTERED, actor="registrar", source={"file": "test"})
    return engine


@pytest.fixture
def contract(oman: PolicyPack) -> PackContract:
    return PackContract(oman, days_ahead=30)


def uow(store: Engine) -> SqlUnitOfWork:
    return bootstrap.unit_of_work(store)


def receive(store: Engine, *events: LifeEvent) -> Received:
    return actions.receive(uow(store), list(events), today=TODAY, actor="events:test")


def process(store: Engine, contract: PackContract, **options: Any) -> Processed:
    return actions.process(uow(store), contract, actor="events:worker", **options)


def inbox(store: Engine) -> pl.DataFrame:
    with store.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT id, source, source_event_id, kind, subject, state, reason, attempts FROM event_inbox ORDER BY id"
        ).all()
    schema = ["id", "source", "source_event_id", "kind", "subject", "state", "reason", "attempts"]
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def current(store: Engine, civil_number: str) -> dict[str, Any]:
    with store.connect() as connection:
        rows = read_people(connection, people_query(None, registry=True)).filter(pl.col("person_id") == civil_number)
    return rows.to_dicts()[0] if rows.height else {}


def birth(eid: str, child: str | None, mother: str, day: str, sex: str = "F", **facts: Any) -> LifeEvent:
    said = {"mother_id": mother, "sex": sex, "given_name_en": "Baby", **facts}
    if child:
        said["person_id"] = child
    return LifeEvent("crvs", eid, "birth", date.fromisoformat(day), said)


def death(eid: str, who: str, day: str, source: str = "crvs") -> LifeEvent:
    return LifeEvent(source, eid, "death", date.fromisoformat(day), {"person_id": who})
