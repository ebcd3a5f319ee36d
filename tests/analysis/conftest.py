"""Fixtures of the analysis tests: the projection's inputs and a small synthetic population."""

from __future__ import annotations

import polars as pl
import pytest

from himaya import bootstrap
from himaya.analysis.project import Inputs
from himaya.policy.pack import PolicyPack
from himaya.synth.generate import SynthRequest, generate


@pytest.fixture(scope="session")
def inputs() -> Inputs:
    return bootstrap.projection_inputs("oman")


@pytest.fixture(scope="session")
def programmes(oman: PolicyPack) -> tuple[str, ...]:
    return tuple(p.key for p in oman.programmes)


@pytest.fixture(scope="session")
def population(oman: PolicyPack) -> pl.DataFrame:
    """20,000 synthetic persons, typed like a validated people table, with their governorate."""
    return generate(SynthRequest(persons=20_000, seed=7)).people.select(*oman.schema.names, "governorate")
