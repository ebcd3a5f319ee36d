"""The synthetic Iraq: determinism, the Iraq pack's contract, names, places, and the calibration."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.countries import country
from himaya.synth.generate import SynthError, SynthRequest
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.iraq.generate import for_file, generate, persons_at_scale
from himaya.synth.iraq.reference import DATA, governorate_shares, wpp_2025
from himaya.synth.iraq.report import calibration_table, governorate_table
from tests.conftest import SHARED, need_shared

PERSONS = 200_000
IRAQ = load_pack("iraq")


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return generate(SynthRequest(persons=PERSONS, seed=21)).people


@pytest.fixture(scope="module")
def table(population: pl.DataFrame) -> pl.DataFrame:
    checked = validate_table(for_file(population, "parquet"), IRAQ.schema, source="synthetic Iraq")
    return checked.join(population.select("person_id", "household_id"), on="person_id", how="left")


def test_the_same_seed_gives_the_same_file_and_another_seed_another(tmp_path: Path) -> None:
    first, second = (generate(SynthRequest(persons=4_000, seed=5)).people for _ in range(2))
    other = generate(SynthRequest(persons=4_000, seed=6)).people
    assert first.equals(second) and not first.equals(other)
    for kind in ("csv", "parquet"):
        a, b = tmp_path / f"a.{kind}", tmp_path / f"b.{kind}"
        for path, frame in ((a, first), (b, second)):
            data = for_file(frame, kind)
            data.write_csv(path) if kind == "csv" else data.write_parquet(path)
        assert a.read_bytes() == b.read_bytes()


def test_the_table_meets_the_iraq_people_and_registry_contracts(population: pl.DataFrame, table: pl.DataFrame) -> None:
    assert table.height == PERSONS
    registry = validate_table(for_file(population, "csv"), IRAQ.registry, source="synthetic Iraq")
    assert registry.height == PERSONS and {"district", "given_name_ar", "family_name_en"} <= set(registry.columns)
    ids = population["person_id"]
    assert ids.n_unique() == PERSONS and ids.str.contains(r"^[1-9][0-9]{11}$").all()
    for column in ("wage", "pension", "other_income", "state_employee", "state_pension", "school_level", "cares_for"):
        assert population[column].drop_nulls().len() > 0, column


def test_families_households_and_their_members(population: pl.DataFrame) -> None:
    heads = population.filter(pl.col("relationship") == "head")
    assert heads.height == population["family_id"].n_unique()
    per_household = population.height / population["household_id"].n_unique()
    assert 5.6 < per_household < 6.2  # SEFS 2024: 5.9
    within = population.group_by("household_id").agg(pl.col("governorate").n_unique(), pl.col("district").n_unique())
    assert (within["governorate"] == 1).all() and (within["district"] == 1).all()


def test_the_cared_for_is_a_disabled_member_of_the_carers_household(population: pl.DataFrame) -> None:
    carers = population.filter(pl.col("cares_for").is_not_null())
    cared = carers.join(population, left_on="cares_for", right_on="person_id", suffix="_cared")
    assert cared.height == carers.height > 0
    assert (cared["household_id"] == cared["household_id_cared"]).all()
    assert cared["disability_category_cared"].is_not_null().all()


def test_pupils_are_of_school_age_and_attendance_needs_enrolment(population: pl.DataFrame) -> None:
    assert not population.filter(pl.col("attending") & ~pl.col("enrolled")).height
    primary = population.filter(pl.col("school_level") == "primary")
    age = 2025 - primary["birth_date"].dt.year()
    assert age.min() >= 5 and age.max() <= 13


def test_names_in_both_scripts_and_a_child_carries_the_fathers_name(population: pl.DataFrame) -> None:
    assert population["given_name_ar"].str.contains(r"^[\u0600-\u06FF ]+$").all()
    assert population["given_name_en"].str.contains(r"^[A-Za-z' -]+$").all()
    children = population.filter(pl.col("relationship") == "child")
    fathers = population.filter((pl.col("relationship") == "head") & (pl.col("sex") == "M"))
    joined = children.join(fathers, on="family_id", suffix="_father")
    assert (joined["father_name_en"] == joined["given_name_en_father"]).mean() > 0.95  # type: ignore[operator]


def test_governorates_follow_their_reference_shares(population: pl.DataFrame) -> None:
    for row in governorate_table(population, IraqAssumptions()):
        assert abs(row.share - row.reference_share) < 0.02, row


def test_calibration_at_a_small_scale(table: pl.DataFrame) -> None:
    """Published against synthetic: the caseload within 15 %, the poverty rate within 2 points."""
    rows = {r.key: r for r in calibration_table(table, IRAQ, scale=PERSONS / IraqAssumptions().population)}
    for key in ("caseload_households", "caseload_persons", "caseload_women_heads", "household_size"):
        assert abs(rows[key].difference) <= 0.15, rows[key]
    assert abs(rows["poverty_rate"].synthetic - 0.175) <= 0.02
    assert abs(rows["federal_share"].synthetic - 0.86) <= 0.01


def test_scale_one_is_the_census_and_a_governorate_its_share() -> None:
    assumptions = IraqAssumptions()
    assert persons_at_scale(1.0, assumptions) == 46_118_793
    baghdad = governorate_shares(assumptions.kri_share)["Baghdad"]
    assert persons_at_scale(1.0, assumptions, "Baghdad") == round(46_118_793 * baghdad)
    people = generate(SynthRequest(persons=2_000, seed=1, governorate="Basra")).people
    assert set(people["governorate"]) == {"Basra"}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SynthRequest(persons=10, seed=1, governorate="Atlantis"), "unknown governorate 'Atlantis'"),
        (SynthRequest(persons=0, seed=1), "at least one person"),
        (SynthRequest(persons=10, seed=1, duplicates=0.1), "--duplicates is not available"),
    ],
)
def test_bad_requests(request_: SynthRequest, message: str) -> None:
    with pytest.raises(SynthError, match=message):
        generate(request_)


def test_a_pack_without_a_generator_is_refused() -> None:
    assert country("iraq").pack == "iraq" and country("oman").pack == "oman"
    with pytest.raises(SynthError, match="no synthetic population for pack 'atlantis'; one of: oman, iraq"):
        country("atlantis")


@pytest.mark.shared
def test_the_shipped_pyramid_is_the_wpp_extract() -> None:
    need_shared()  # skipped on a clone alone, required under CI=true
    source = SHARED / "external/wpp/iraq/iraq_wpp2024_pop_age5_sex_proj_2025_2100.csv"
    with source.open(encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if r["year"] == "2025"]
    expected = np.array([[float(r["popM"]), float(r["popF"])] for r in rows]) * 1000
    assert np.array_equal(wpp_2025().counts, expected)
    assert (DATA / "README.md").is_file()
