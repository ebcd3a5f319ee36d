"""The pension rules without a database: properties over random careers (more months of
contributions never lower a pension; the batch is the persons one by one), the survivors' shares
summing exactly, and the sharing table's checks."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.core.errors import InvalidInputError
from himaya.core.money import round_half_up
from himaya.core.periods import Period
from himaya.insurance.pension import Kind, Status, pensionable, pensions
from himaya.insurance.pension_terms import GROUPS, month_table, pension_terms, sharing_table
from himaya.insurance.survivors import shares, table_key
from himaya.policy.packs import load_pack
from himaya.policy.parameters import ParameterError
from himaya.policy.reforms import parse_reform

TREE = load_pack().parameters
DAY = date(2026, 3, 1)
TERMS = pension_terms(TREE, DAY)
PEOPLE_SCHEMA = {"civil_number": pl.String, "sex": pl.String, "birth_date": pl.Date, "death_date": pl.Date}
LINE_SCHEMA = {"civil_number": pl.String, "month": pl.Date, "wage": pl.Int64, "days": pl.Int64, "omani": pl.Boolean}


def compute(people: list[tuple[str, str, date]], lines: list[tuple[str, date, int]], kind: Kind = Kind.OLD_AGE):
    persons = pl.DataFrame([(c, s, b, None) for c, s, b in people], schema=PEOPLE_SCHEMA, orient="row")
    rows = [(c, m, w, Period(m.year, m.month).end.day, True) for c, m, w in lines]
    frame = pl.DataFrame(rows, schema=LINE_SCHEMA, orient="row")
    months = month_table(TREE, frame["month"].unique().to_list(), DAY)
    return pensions(persons, pensionable(frame, months), TERMS, kind, DAY)


def career(wages: list[int], person: str = "x") -> list[tuple[str, date, int]]:
    last = Period(2026, 2)
    return [(person, last.shifted(-i).start, w) for i, w in enumerate(wages)]


WAGES = st.lists(st.integers(1, 4_000_000), min_size=0, max_size=560)


@settings(max_examples=60, deadline=None)
@given(wages=WAGES, extra=st.integers(1, 4_000_000), sex=st.sampled_from("FM"), age=st.integers(50, 70))
def test_one_more_month_of_contributions_never_lowers_a_pension(
    wages: list[int], extra: int, sex: str, age: int
) -> None:
    born = date(2026 - age, 3, 1)
    before = compute([("x", sex, born)], career(wages)).row(0, named=True)
    after = compute([("x", sex, born)], career([*wages, extra])).row(0, named=True)
    held = before["capped"] < before["accrued"] and extra < before["average"]  # the maximum is on the average
    assert after["pension"] >= before["pension"] or held
    assert after["accrued"] >= before["accrued"]


@settings(max_examples=20, deadline=None)
@given(careers=st.lists(st.tuples(st.sampled_from("FM"), st.integers(40, 70), WAGES), min_size=1, max_size=6))
def test_the_batch_is_each_person_alone(careers: list[tuple[str, int, list[int]]]) -> None:
    people = [(str(i), sex, date(2026 - age, 2, 10)) for i, (sex, age, _) in enumerate(careers)]
    lines = [line for i, (_, _, wages) in enumerate(careers) for line in career(wages, str(i))]
    batch = compute(people, lines).sort("civil_number")
    for i, person in enumerate(people):
        alone = compute([person], [line for line in lines if line[0] == str(i)])
        assert batch.filter(pl.col("civil_number") == str(i)).rows() == alone.rows()


def test_an_empty_career_is_no_pension() -> None:
    row = compute([("x", "M", date(1960, 1, 1))], []).row(0, named=True)
    assert (row["months"], row["average"], row["pension"], row["status"]) == (0, 0, 0, Status.TOO_FEW_MONTHS)


@settings(max_examples=200, deadline=None)
@given(
    pension=st.integers(0, 5_000_000),
    widows=st.integers(0, 4),
    children=st.integers(0, 30),
    parents=st.integers(0, 2),
)
def test_the_survivors_shares_sum_to_the_pension(pension: int, widows: int, children: int, parents: int) -> None:
    counts = {"widows": widows, "children": children, "parents": parents}
    if not widows + children + parents:
        with pytest.raises(InvalidInputError, match="no survivor"):
            shares(pension, counts, sharing_table(TREE, DAY))
        return
    split = shares(pension, counts, sharing_table(TREE, DAY))
    paid = sum((Fraction(s) for s in split["share"]), Fraction(0))
    assert int(split["amount"].sum()) == round_half_up(pension * paid)
    assert paid == (
        Fraction(1) if parents != 1 else 1 - sharing_table(TREE, DAY).rows[table_key(counts)]["parents"] / 2
    )
    assert split["amount"].max() - split.filter(pl.col("group") == split["group"][0])["amount"].min() <= pension


def test_every_row_of_the_sharing_table_sums_to_one_and_a_broken_one_is_refused() -> None:
    table = sharing_table(TREE, DAY)
    assert len(table.rows) == 7 and all(sum(row.values()) == 1 for row in table.rows.values())
    assert set(table.rows["widows_children_parents"]) == set(GROUPS)
    changes = {"insurance.survivors.widows_children.widows": {date(2026, 1, 1): "0.6"}}
    broken = parse_reform({"name": "t", "changes": changes}, TREE, source="t").apply(TREE)
    sharing_table(broken, date(2025, 12, 31))  # before the change: still whole
    with pytest.raises(
        ParameterError, match=r"insurance.survivors.widows_children on 2026-01-01: .* sum to 11/10, not 1"
    ):
        sharing_table(broken, date(2026, 1, 1))


@pytest.mark.parametrize(
    ("counts", "message"),
    [({"widows": 5}, "widows: 5 is not from 0 to 4"), ({"parents": 3}, "parents: 3 is not from 0 to 2"),
     ({"children": -1}, "children: -1 is not from 0 to 30"), ({}, "no survivor")],
)  # fmt: skip
def test_survivor_counts_out_of_range(counts: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        table_key(counts)


def test_a_rate_parameter_of_the_wrong_unit_is_refused() -> None:
    changes = {"insurance.pension.minimum_months": {date(2026, 1, 1): "0.5"}}
    with pytest.raises(ParameterError, match=r"minimum_months.*is not a whole number"):
        parse_reform({"name": "t", "changes": changes}, TREE, source="t")


def test_job_security_terms_and_claims_are_checked() -> None:
    from himaya.insurance.job_security import benefits, job_security_terms  # noqa: PLC0415

    terms = job_security_terms(TREE, DAY)
    assert terms.qualifying == ((12, 36), (18, 42), (24, 48), (36, 60)) and terms.rule(7) == (36, 60)
    broken = {"insurance.job_security.benefit.qualifying": {date(2026, 1, 1): [["40", "36"]]}}
    tree = parse_reform({"name": "t", "changes": broken}, TREE, source="t").apply(TREE)
    with pytest.raises(ParameterError, match=r"qualifying on 2026-03-01: each pair is \[months, within months\]"):
        job_security_terms(tree, DAY)
    words = {"insurance.job_security.benefit.qualifying": {date(2026, 1, 1): [["twelve", "36"]]}}
    tree = parse_reform({"name": "t", "changes": words}, TREE, source="t").apply(TREE)
    with pytest.raises(ParameterError, match="is not pairs of whole numbers"):
        job_security_terms(tree, DAY)
    claims = pl.DataFrame({"civil_number": ["x"], "lost_on": [DAY], "claim": [0]})
    career = pl.DataFrame(schema={"civil_number": pl.String, "month": pl.Date, "wage": pl.Int64, "revalued": pl.Int64})
    with pytest.raises(InvalidInputError, match="the first claim is 1"):
        benefits(claims, career, terms)


def test_no_job_security_for_a_person_dead_before_the_job_was_lost() -> None:
    """A death recorded before the day the job was lost is no claim (outside attack: it was paid)."""
    from himaya.insurance.job_security import benefits, job_security_terms  # noqa: PLC0415

    terms = job_security_terms(TREE, DAY)
    months = [date(2024 + (m // 12), 1 + m % 12, 1) for m in range(24)]  # 2024-01 to 2025-12
    career = pl.DataFrame(
        {"civil_number": ["x"] * 24, "month": months, "wage": [500_000] * 24, "revalued": [500_000] * 24}
    )
    lost = date(2026, 1, 10)
    claims = pl.DataFrame(
        {"civil_number": ["x", "x"], "lost_on": [lost, lost], "claim": [1, 2],
         "death_date": [date(2026, 1, 1), None]},
        schema_overrides={"death_date": pl.Date},
    )  # fmt: skip
    found = benefits(claims, career, terms).sort("claim")
    assert found["status"].to_list() == [Status.DEAD.value, Status.ENTITLED.value]
    assert found["total"].to_list()[0] == 0 and found["total"].to_list()[1] > 0


def test_the_benefits_unknowns_are_listed_as_assumed() -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from himaya.cli.main import app  # noqa: PLC0415

    listed = CliRunner().invoke(app, ["parameters", "--status", "ASSUMED", "--at", "2026-11-30"])
    assert listed.exit_code == 0, listed.stderr
    for path in (
        "insurance.pension.minimum_months = 180",
        "insurance.pension.minimum = 100.000 OMR",
        "insurance.pension.maximum = 0.8",
        "insurance.pension.reduction = 0.05",
        "insurance.pension.revaluation = 0",
        "insurance.invalidity.minimum_months = 12",
        "insurance.invalidity.credited = true",
        "insurance.survivors.widows_children_parents.widows = 0.375",
        "insurance.survivors.one_parent = 0.5",
    ):
        assert path in listed.stdout, path
    assert "insurance.pension.age = 60" not in listed.stdout  # CONFIRMED (RD 52/2023 art. 75)
