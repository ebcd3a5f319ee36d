"""A served registry for the front office's tests, on SQLite and on PostgreSQL: the API tests'
people and users (`tests/api/conftest.py`), served by `himaya.service` (the API with the pages)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.adapters.records import PackContract
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.db.snapshot import people_query, read_people
from himaya.events import actions
from himaya.events.model import LifeEvent
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.service import create_app
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.api.conftest import KEY, PASSWORD, _url, branch_users

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class Office:
    app: object
    engine: Engine
    inside: dict[str, str]  # a family head in the branch users' wilayat
    outside: dict[str, str]  # a family head in another governorate

    def client(self, https: bool = False) -> TestClient:
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver")  # type: ignore[arg-type]


def csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, user: str, password: str = PASSWORD) -> None:
    token = csrf(client.get("/office/login").text)
    response = client.post(
        "/office/login", data={"username": user, "password": password, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def build(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """Migrate, import a small synthetic registry, and create the users (two supervisors for maker-checker)."""
    upgrade(engine)
    pack = load_pack()
    people = validate_table(
        for_file(generate(SynthRequest(persons=300, seed=21)).people, "parquet"), pack.registry, source="synthetic"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    heads = people.filter(pl.col("relationship") == "head", pl.col("nationality") == "OM")
    inside = heads.row(0, named=True)
    outside = heads.filter(pl.col("governorate") != inside["governorate"]).row(0, named=True)
    users = branch_users(inside, outside)
    users["supervisor2"] = users["supervisor"]
    for user, (roles, scopes) in users.items():
        access.create_user(engine, user, hash_password(PASSWORD), actor="setup")
        access.grant(engine, user, roles=roles, scopes=scopes, actor="setup")
    access.create_user(engine, "partner", hash_password(PASSWORD), kind="client", actor="setup")
    access.grant(engine, "partner", roles=["partner"], scopes=[Scope("all")], actor="setup")
    return inside, outside


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    tmp = tmp_path_factory.mktemp("web")
    urls = _url(request.param, tmp)
    engine = connect(next(urls))
    inside, outside = build(engine)
    app = create_app(engine, tokens=TokenSettings(key=KEY), files=tmp / "bank-files")
    yield Office(app, engine, inside, outside)
    engine.dispose()
    for _ in urls:
        pass


def apply_event(engine: Engine, event: LifeEvent) -> int:
    """The event received and applied by the worker (the run's re-plan included): its inbox id."""
    pack = load_pack()
    uow = bootstrap.unit_of_work(engine)
    actions.receive(uow, [event], today=today(pack.timezone), actor="events:test")
    done = actions.process(uow, PackContract(pack, days_ahead=30), actor="events:worker")
    assert done.applied == 1, done
    return int(actions.states(uow, [event])[0]["id"])


def a_mother(engine: Engine, wilayat: str, *, besides: str | None = None) -> str:
    """An Omani wife or head of 20 to 45 in the wilayat (of another family than `besides`)."""
    with engine.connect() as connection:
        people = read_people(connection, people_query(None, registry=True))
    day = today(load_pack().timezone)
    found = people.filter(
        pl.col("wilayat") == wilayat, pl.col("sex") == "F", pl.col("nationality") == "OM",
        pl.col("marital_status") == "married", pl.col("relationship").is_in(["head", "spouse"]),
        pl.col("birth_date").is_between(day - timedelta(days=45 * 365), day - timedelta(days=20 * 365)),
        pl.col("family_id") != (besides or ""),
    )  # fmt: skip
    assert found.height, f"the synthetic registry has no mother in {wilayat}"
    return str(found["person_id"][0])
