from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine

from himaya.db.registry_import import import_people
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest
from himaya.synth.iraq.generate import for_file, generate
from tests.db.conftest import database_url, engine, postgres_problem, synthetic  # noqa: F401


@pytest.fixture(scope="module")
def iraq() -> PolicyPack:
    return load_pack("iraq")


@pytest.fixture(scope="module")
def sample(iraq: PolicyPack) -> pl.DataFrame:
    """A synthetic Iraq of 1,500 persons, as the registry's contract reads it."""
    people = generate(SynthRequest(persons=1_500, seed=11, as_of=date(2025, 11, 1))).people
    return validate_table(for_file(people, "parquet"), iraq.registry, source="synthetic Iraq")


def imported(registry: Engine, sample: pl.DataFrame, iraq: PolicyPack, *, as_of: date = date(2025, 10, 1)) -> None:
    """The sample imported into the registry under the Iraq pack."""
    import_people(
        registry, sample, as_of=as_of, actor="registrar", source={"file": "iraq.parquet"}, facts=iraq.registry_facts,
        pack=iraq.name,
    )  # fmt: skip
