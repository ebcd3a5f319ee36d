"""A served registry for the API tests, on SQLite and on PostgreSQL: a few hundred synthetic people,
a user per role at one branch (or every branch, for the roles that work country-wide), a registrar
at another branch, and a partner system."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.db.conftest import POSTGRES, _postgres_available, postgres_schema

PASSWORD = "correct-horse-battery-9"
KEY = "test-signing-key-" + "x" * 32


@dataclass
class World:
    client: TestClient
    engine: Engine
    people: pl.DataFrame
    inside: dict[str, str]  # a family head in the branch of the branch users
    outside: dict[str, str]  # a family head in another governorate
    tokens: dict[str, str]  # user -> access token

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def login(self, user: str, password: str = PASSWORD) -> dict[str, object]:
        response = self.client.post(
            "/auth/token", data={"grant_type": "password", "username": user, "password": password}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


def branch_users(inside: dict[str, str], outside: dict[str, str]) -> dict[str, tuple[list[str], list[Scope]]]:
    here, there = Scope("wilayat", inside["wilayat"]), Scope("wilayat", outside["wilayat"])
    everywhere = Scope("all")
    return {
        "registrar": (["registrar"], [here]),
        "case_worker": (["case_worker"], [here]),
        "supervisor": (["supervisor"], [Scope("governorate", inside["governorate"])]),
        "finance_officer": (["finance_officer"], [everywhere]),
        "payroll_approver": (["payroll_approver"], [everywhere]),
        "policy_analyst": (["policy_analyst"], [everywhere]),
        "auditor": (["auditor"], [everywhere]),
        "admin": (["admin"], [everywhere]),
        "other_registrar": (["registrar"], [there]),
        "nobody": ([], [here]),
    }


def _url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'api.db'}"
        return
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test on PostgreSQL, but {POSTGRES} does not answer: {problem}")
        pytest.skip(f"no PostgreSQL server: {problem}")
    with postgres_schema("himaya_api") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("api")
    urls = _url(request.param, tmp)
    engine = connect(next(urls))
    upgrade(engine)
    pack = load_pack()
    people = validate_table(
        for_file(generate(SynthRequest(persons=600, seed=21)).people, "parquet"), pack.registry, source="synthetic"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    heads = people.filter(pl.col("relationship") == "head", pl.col("nationality") == "OM")
    inside = heads.row(0, named=True)
    outside = heads.filter(pl.col("governorate") != inside["governorate"]).row(0, named=True)
    for user, (roles, scopes) in branch_users(inside, outside).items():
        access.create_user(engine, user, hash_password(PASSWORD), actor="setup")
        access.grant(engine, user, roles=roles, scopes=scopes, actor="setup")
    access.create_user(engine, "partner", hash_password(PASSWORD), kind="client", actor="setup")
    access.grant(engine, "partner", roles=["partner"], scopes=[Scope("all")], actor="setup")
    access.create_user(engine, "civil_registry", hash_password(PASSWORD), kind="client", actor="setup")
    access.grant(engine, "civil_registry", roles=["civil_registry"], scopes=[Scope("all")], actor="setup")
    app = create_app(engine, tokens=TokenSettings(key=KEY), files=tmp / "bank-files")
    client = TestClient(app)
    tokens = {}
    for user in branch_users(inside, outside):
        response = client.post("/auth/token", data={"grant_type": "password", "username": user, "password": PASSWORD})
        tokens[user] = response.json()["access_token"]
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "partner", "client_secret": PASSWORD}
    )
    tokens["partner"] = response.json()["access_token"]
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": "civil_registry", "client_secret": PASSWORD},
    )
    tokens["civil_registry"] = response.json()["access_token"]
    inside = {**inside, "case_number": _case(client, tokens["case_worker"], inside["person_id"])}
    outside = {**outside, "case_number": _case(client, tokens["other_registrar"], outside["person_id"])}
    yield World(client, engine, people, inside, outside, tokens)
    engine.dispose()
    for _ in urls:
        pass


def _case(client: TestClient, token: str, civil_number: str) -> str:
    """A grievance about the person, opened by a user of their branch: its number."""
    body = {"type": "grievance", "civil_number": civil_number, "category": "wrong_amount", "form": {"details": "less"}}
    response = client.post("/cases", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def expired_settings() -> TokenSettings:
    return TokenSettings(key=KEY, access_lifetime=timedelta(seconds=-60))


PAYER_IBAN = "OM930180000009876543210"  # a valid IBAN that is not the demonstration account


@pytest.fixture
def payer() -> Iterator[None]:
    """The Fund's account configured (HIMAYA_PAYER_IBAN and _BIC), for the length of one test."""
    before = bootstrap.settings()
    bootstrap.configure(replace(before, payer_iban=PAYER_IBAN, payer_bic="BMUSOMRXXXX"))
    yield
    bootstrap.configure(before)
