"""The maternity allowance's rules without a database: the batch is each birth alone, one more
month of maternity insurance never lowers the allowance's qualifying count, the parameters' checks,
and its ASSUMED parameters listed as such."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from himaya.cli.main import app
from himaya.core.periods import Period
from himaya.insurance.maternity import allowances, maternity_months, maternity_terms
from himaya.insurance.pension import pensionable
from himaya.policy.packs import load_pack
from himaya.policy.parameters import ParameterError
from himaya.policy.reforms import parse_reform

TREE = load_pack().parameters
BORN = date(2026, 3, 10)
SCHEMA = {"civil_number": pl.String, "month": pl.Date, "wage": pl.Int64, "days": pl.Int64, "omani": pl.Boolean}


def compute(careers: dict[str, list[int]]) -> pl.DataFrame:
    """Each person's allowance for a birth on BORN; wages of the months before it, the latest first."""
    last = Period(2026, 2)
    rows = [(c, last.shifted(-i).start, w, last.shifted(-i).end.day, True)
            for c, wages in careers.items() for i, w in enumerate(wages) if w]  # fmt: skip
    lines = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    months = maternity_months(TREE, lines["month"].unique().to_list(), BORN)
    births = pl.DataFrame({"civil_number": list(careers), "born_on": [BORN] * len(careers)})
    return allowances(births, pensionable(lines, months), maternity_terms(TREE, BORN)).sort("civil_number")


WAGES = st.lists(st.integers(0, 4_000_000), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(st.lists(WAGES, min_size=1, max_size=5))
def test_the_batch_is_each_birth_alone(careers: list[list[int]]) -> None:
    named = {f"p{i}": wages for i, wages in enumerate(careers)}
    together = compute(named)
    for name, wages in named.items():
        assert compute({name: wages}).row(0) == together.filter(pl.col("civil_number") == name).row(0)


@settings(max_examples=40, deadline=None)
@given(WAGES, st.integers(0, 19), st.integers(1, 4_000_000))
def test_one_more_month_never_lowers_the_qualifying_count(wages: list[int], at: int, wage: int) -> None:
    more = list(wages) + [0] * 20
    more[at] = more[at] or wage
    before, after = compute({"x": wages}).row(0, named=True), compute({"x": more}).row(0, named=True)
    assert after["qualifying"] >= before["qualifying"]
    assert not (before["status"] == "entitled" and after["status"] != "entitled")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"insurance.maternity.benefit.minimum_months": {date(2026, 1, 1): 13}}, "0 < minimum_months <= within"),
        ({"insurance.maternity.benefit.day_divisor": {date(2026, 1, 1): 0}}, "day_divisor and average_months >= 1"),
    ],
)
def test_broken_parameters_are_refused(changes: dict[str, dict[date, int]], message: str) -> None:
    tree = parse_reform({"name": "t", "changes": changes}, TREE, source="t").apply(TREE)
    with pytest.raises(ParameterError, match=message):
        maternity_terms(tree, BORN)


def test_the_unknowns_are_listed_as_assumed() -> None:
    listed = CliRunner().invoke(app, ["parameters", "--status", "ASSUMED", "--at", "2026-11-30"])
    assert listed.exit_code == 0, listed.stderr
    for path in (
        "days = 98",
        "rate = 1",
        "average_months = 6",
        "minimum_months = 6",
        "within = 12",
        "day_divisor = 30",
    ):
        assert f"insurance.maternity.benefit.{path}" in listed.stdout
