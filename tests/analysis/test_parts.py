"""A simulation in parts (issue 18): the same people as one table or as the files of a dataset, in any
order, give the same figures to the last bit; the deciles rank families of equal income by their id."""

from __future__ import annotations

import random
import zlib
from datetime import date

import polars as pl
import pytest

from himaya.analysis.measures import deciles, gini, poverty
from himaya.analysis.parts import simulate_part
from himaya.analysis.simulate import SimulationError, analysis_inputs, combine, simulate
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree
from himaya.policy.reforms import parse_reform

PERIOD = Period(2025, 1)


@pytest.fixture(scope="module")
def reform(oman: PolicyPack) -> ParameterTree:
    changes = {"child.amount": {date(2024, 1, 1): "15.000"}}
    return parse_reform({"name": "test", "changes": changes}, oman.parameters, source="test").apply(oman.parameters)


def split(people: pl.DataFrame, parts: int, seed: int) -> list[pl.DataFrame]:
    """Whole families in `parts` tables, the tables and the families in each in a shuffled order (a
    family's own rows keep their order)."""
    bucket = people["family_id"].map_elements(lambda f: zlib.crc32(f"{seed}{f}".encode()) % parts, pl.Int64)
    tables = [t for _, t in people.with_columns(bucket.alias("b")).group_by("b", maintain_order=True)]
    random.Random(seed).shuffle(tables)
    shuffled = []
    for table in tables:
        order = table["family_id"].unique().shuffle(seed=seed).to_frame().with_row_index("o")
        shuffled.append(table.join(order, on="family_id", maintain_order="left").sort("o", maintain_order=True))
    return [t.drop("b", "o") for t in shuffled]


def test_the_parts_of_a_population_give_its_figures_to_the_last_bit(
    oman: PolicyPack, population: pl.DataFrame, reform: ParameterTree
) -> None:
    whole = simulate(population, oman, oman.parameters, reform, PERIOD).as_dict()
    for parts, seed in ((2, 1), (4, 2), (7, 3)):
        pieces = split(population, parts, seed)
        assert len(pieces) == parts and sum(p.height for p in pieces) == population.height
        results = [simulate_part(p, oman, analysis_inputs(oman), oman.parameters, reform, PERIOD) for p in pieces]
        assert combine(results, oman, reform, PERIOD, reform_name="reform").as_dict() == whole, parts
    assert whole["deciles"] and whole["gini"]["before"] > 0


def test_a_family_in_two_parts_is_refused(oman: PolicyPack, population: pl.DataFrame) -> None:
    family = population["family_id"][0]
    again = population.filter(pl.col("family_id") == family)
    parts = [
        simulate_part(t, oman, analysis_inputs(oman), oman.parameters, oman.parameters, PERIOD)
        for t in (population, again)
    ]
    with pytest.raises(SimulationError, match=f"family {family} is in two parts of the population"):
        combine(parts, oman, oman.parameters, PERIOD)
    with pytest.raises(SimulationError, match="no people to simulate"):
        combine([], oman, oman.parameters, PERIOD)


def frame(rows: list[tuple[str, int, int, int, int]]) -> pl.DataFrame:
    """(family, size, income before, baseline transfers, reform transfers), one row per family."""
    return pl.DataFrame(rows, schema=["family", "size", "before", "baseline", "reform"], orient="row")


def test_families_of_equal_income_are_ranked_by_their_id_whatever_their_order() -> None:
    # Ten persons of equal income (zero) in four families: the cut between deciles falls among them.
    rows = [("F3", 3, 0, 0, 30), ("F1", 1, 0, 0, 0), ("F2", 2, 0, 10, 10), ("F4", 4, 0, 0, 40)]
    rows += [(f"G{i}", 1, 1000 * (i + 1), 0, 0) for i in range(10)]
    tables = [
        deciles(frame(order), before="before", baseline="baseline", reform="reform", elasticity=0.5)
        for order in (rows, rows[::-1], sorted(rows, key=lambda r: r[0][::-1]))
    ]
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    # By id, F1 (1 person), F2 (2), F3 (3), F4 (4): their middle members are the 0.5th, 2nd, 4.5th and
    # 8th of 20 persons, in the first, second, third and fifth tenths; the ten others two by two after.
    table = tables[0]
    assert table["decile"].to_list() == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert table["persons"].to_list() == [1, 2, 3, 4, 2, 2, 2, 2, 2]
    assert table["change_baisa"].to_list()[:4] == [0.0, 0.0, 10.0, 10.0]
    assert table["gainers"].to_list()[:4] == [0.0, 0.0, 1.0, 1.0]
    # Ranked the other way (F4 first), the same families would fall elsewhere: the rule matters.
    other = frame([(f"Z{9 - int(f[1:])}" if f.startswith("F") else f, *rest) for f, *rest in rows])
    moved = deciles(other, before="before", baseline="baseline", reform="reform", elasticity=0.5)
    assert moved["persons"].to_list()[:4] != table["persons"].to_list()[:4]


def test_poverty_and_gini_do_not_depend_on_the_order_of_families() -> None:
    draw = random.Random(5)
    incomes = [0, 0, 7_919, 30_001, 123_457]
    rows = [(f"F{i:04d}", draw.randint(1, 9), draw.choice(incomes), draw.choice(incomes), 0) for i in range(500)]
    forward, backward = frame(rows), frame(rows[::-1])
    for income in ("before", "baseline"):
        measured = [poverty(f, income, line=100_000.0, elasticity=0.5) for f in (forward, backward)]
        assert measured[0] == measured[1] and measured[0].poor > 0
        assert gini(forward, income, elasticity=0.5) == gini(backward, income, elasticity=0.5) > 0
