"""Families explained in a batch are explained exactly as alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from himaya.api.batching import ExplainBatcher
from himaya.core.periods import Period
from himaya.policy.explain import explain, render
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate


def test_a_batch_explains_each_family_as_alone(oman: PolicyPack) -> None:
    people = validate_table(
        for_file(generate(SynthRequest(persons=1500, seed=5)).people, "parquet"), oman.registry, source="synthetic"
    )
    families = people["family_id"].unique(maintain_order=True).to_list()[:120]
    period = Period(2026, 1)
    batcher = ExplainBatcher(oman)
    frames = {f: people.filter(pl.col("family_id") == f) for f in families}
    with ThreadPoolExecutor(max_workers=32) as pool:  # many at once: they are batched
        batched = list(pool.map(lambda f: batcher.explain(frames[f], period, f), families))
    for family, explanation in zip(families, batched, strict=True):
        alone = explain(people, oman, oman.parameters, period, family_id=family)
        assert explanation == alone
        assert render(explanation, "ar") == render(alone, "ar")


def test_an_error_reaches_only_its_request(oman: PolicyPack) -> None:
    batcher = ExplainBatcher(oman)
    people = validate_table(
        for_file(generate(SynthRequest(persons=200, seed=5)).people, "parquet"), oman.registry, source="synthetic"
    )
    family = people["family_id"][0]
    good = people.filter(pl.col("family_id") == family)
    try:
        batcher.explain(good, Period(2019, 1), family)  # before the pack's first month
    except Exception as error:
        assert "2019-01" in str(error)
    else:
        raise AssertionError("a month before the pack was explained")
    assert batcher.explain(good, Period(2026, 1), family).family_id == family
