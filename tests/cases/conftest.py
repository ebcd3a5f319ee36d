"""Fixtures of the case tests: the database fixtures of tests/db, and acting users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from himaya.core.access import DEFAULT_GRANTS, Principal, Role, Scope
from himaya.db import access
from himaya.db.registry_import import import_people
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401


def user(name: str, *roles: Role, scopes: tuple[Scope, ...] = (Scope("all"),), kind: str = "person") -> Principal:
    """An acting user holding the default grants of their roles."""
    granted = frozenset(p.value for r in roles for p in DEFAULT_GRANTS[r])
    return Principal(name, frozenset(r.value for r in roles), granted, scopes, kind)


@dataclass
class Branches:
    """A small registry on a migrated store: a family head of one branch and one of another governorate."""

    engine: Engine
    here: dict[str, Any]
    there: dict[str, Any]

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()]


@pytest.fixture
def branches(engine: Engine) -> Branches:  # noqa: F811  (the fixture of tests/db)
    people = validate_table(
        for_file(generate(SynthRequest(persons=60, seed=13)).people, "parquet"), load_pack().registry, source="synth"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    heads = people.filter(pl.col("relationship") == "head", pl.col("wilayat").is_not_null())
    here = heads.row(0, named=True)
    there = heads.filter(pl.col("governorate") != here["governorate"]).row(0, named=True)
    here_only = [Scope("wilayat", here["wilayat"])]  # an account to assign the branch's cases to
    access.create_user(engine, "wafa", "not-a-hash", actor="setup", roles=["case_worker"], scopes=here_only)
    return Branches(engine, here, there)
