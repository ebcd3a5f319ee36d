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


def test_months_asked_together_are_each_explained_as_alone(oman: PolicyPack) -> None:
    """A page asks for this month and the next at once: one call to the engine, each month's answer
    exactly its own (the rules of January 2026 and of December 2025 differ)."""
    people = validate_table(
        for_file(generate(SynthRequest(persons=600, seed=11)).people, "parquet"), oman.registry, source="synthetic"
    )
    families = people["family_id"].unique(maintain_order=True).to_list()[:40]
    months = (Period(2025, 12), Period(2026, 1))
    batcher = ExplainBatcher(oman)
    frames = {f: people.filter(pl.col("family_id") == f) for f in families}
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda f: batcher.submit_all([(frames[f], m, f) for m in months]), families))
    for family, futures in zip(families, answers, strict=True):
        for month, future in zip(months, futures, strict=True):
            alone = explain(people, oman, oman.parameters, month, family_id=family)
            assert future.result() == alone
            assert render(future.result(), "ar") == render(alone, "ar")


def test_a_month_in_error_does_not_fail_the_other(oman: PolicyPack) -> None:
    people = validate_table(
        for_file(generate(SynthRequest(persons=200, seed=5)).people, "parquet"), oman.registry, source="synthetic"
    )
    family = people["family_id"][0]
    good = people.filter(pl.col("family_id") == family)
    early, fine = ExplainBatcher(oman).submit_all([(good, Period(2019, 1), family), (good, Period(2026, 1), family)])
    assert fine.result() == explain(people, oman, oman.parameters, Period(2026, 1), family_id=family)
    error = early.exception()
    assert error is not None and "2019-01" in str(error)
