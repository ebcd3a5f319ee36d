"""The synthetic population: determinism, validity, distributions against their targets, calibration."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from himaya.synth.assumptions import Assumptions
from himaya.synth.generate import SynthError, SynthRequest, for_file, generate, persons_at_scale
from himaya.synth.identity import is_valid_iban
from himaya.synth.reference import places, wpp_2025
from himaya.synth.report import age_pyramid, calibration_table

PERSONS = 300_000


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return generate(SynthRequest(persons=PERSONS, seed=11)).people


@pytest.fixture(scope="module")
def table(population: pl.DataFrame, oman: PolicyPack) -> pl.DataFrame:
    return validate_table(for_file(population, "parquet"), oman.schema, source="synthetic")


def test_the_same_seed_gives_the_same_table_and_another_seed_another(tmp_path: Path) -> None:
    first = generate(SynthRequest(persons=5_000, seed=3)).people
    second = generate(SynthRequest(persons=5_000, seed=3)).people
    other = generate(SynthRequest(persons=5_000, seed=4)).people
    assert first.equals(second)
    assert not first.equals(other)
    for kind in ("csv", "parquet"):
        a, b = tmp_path / f"a.{kind}", tmp_path / f"b.{kind}"
        for path, frame in ((a, first), (b, second)):
            data = for_file(frame, kind)
            data.write_csv(path) if kind == "csv" else data.write_parquet(path)
        assert a.read_bytes() == b.read_bytes()


def test_the_table_meets_the_people_contract(table: pl.DataFrame) -> None:
    assert table.height == PERSONS


def test_the_table_meets_the_registry_contract(population: pl.DataFrame, oman: PolicyPack) -> None:
    """Civil numbers, IBAN check digits, phones, wilayats: what `himaya registry import` checks."""
    registry = validate_table(for_file(population, "csv"), oman.registry, source="synthetic")
    assert registry.height == PERSONS and "iban" in registry.columns


def test_civil_numbers_are_unique_and_well_formed(population: pl.DataFrame) -> None:
    ids = population["person_id"]
    assert ids.n_unique() == ids.len()
    assert ids.str.contains(r"^[1-9][0-9]{7}$").all()


def test_every_iban_is_valid_omani(population: pl.DataFrame) -> None:
    accounts = population.filter(pl.col("iban").is_not_null())
    assert accounts.height > 0.6 * PERSONS
    assert accounts["iban"].str.contains(r"^OM[0-9]{2}[0-9]{3}[0-9]{16}$").all()
    assert (accounts["iban"].str.slice(4, 3) == accounts["bank_code"]).all()
    assert all(is_valid_iban(iban) for iban in accounts["iban"].sample(20_000, seed=1))
    assert not is_valid_iban("OM00" + accounts["iban"][0][4:])  # a wrong check digit is caught


def test_mobiles_are_omani_numbers(population: pl.DataFrame) -> None:
    mobiles = population["mobile"].drop_nulls()
    assert mobiles.str.contains(r"^\+968[79][0-9]{7}$").all()


def test_names_are_built_the_omani_way(population: pl.DataFrame) -> None:
    omanis = population.filter(pl.col("nationality") == "OM")
    for part in ("given_name", "father_name", "grandfather_name", "family_name"):
        assert omanis[f"{part}_ar"].null_count() == 0 and omanis[f"{part}_en"].null_count() == 0
        assert omanis[f"{part}_ar"].str.contains(r"^[\u0600-\u06ff ]+$").all()
    # A child in a family headed by the father carries his given name and his tribe.
    heads = omanis.filter(pl.col("relationship") == "head").select(
        "family_id", "sex", head_given="given_name_en", head_tribe="family_name_en"
    )
    kids = (
        omanis.filter(pl.col("relationship") == "child").join(heads, on="family_id").filter(pl.col("sex_right") == "M")
    )
    assert (kids["father_name_en"] == kids["head_given"]).mean() > 0.99
    assert (kids["family_name_en"] == kids["head_tribe"]).mean() > 0.99


def test_age_pyramid_follows_wpp(population: pl.DataFrame) -> None:
    for row in age_pyramid(population, SynthRequest(1, 1).as_of):
        assert abs(row.male_share - row.wpp_male_share) < 0.003, row
        assert abs(row.female_share - row.wpp_female_share) < 0.003, row


def test_citizens_and_expatriates(population: pl.DataFrame) -> None:
    omani = population["nationality"] == "OM"
    expected = Assumptions().omanis / (Assumptions().omanis + Assumptions().expatriates)
    assert abs(omani.mean() - expected) < 0.002
    expats = population.filter(~omani).with_columns(age=2025 - pl.col("birth_date").dt.year())
    assert 0.78 < (expats["sex"] == "M").mean() < 0.84  # about 82 % male
    assert 0.92 < expats["age"].is_between(15, 64).mean() < 0.98  # about 95 % of working age
    wpp = wpp_2025().counts
    assert abs((population["sex"] == "M").mean() - wpp[:, 0].sum() / wpp.sum()) < 0.01


def test_disability_share_and_its_age_gradient(population: pl.DataFrame) -> None:
    omanis = population.filter(pl.col("nationality") == "OM").with_columns(age=2025 - pl.col("birth_date").dt.year())
    disabled = omanis["disability_category"].is_not_null()
    assert abs(disabled.mean() - 0.0155) < 0.0015
    young = omanis.filter(pl.col("age") < 45)["disability_category"].is_not_null().mean()
    old = omanis.filter(pl.col("age") >= 60)["disability_category"].is_not_null().mean()
    assert old > 2.5 * young


def test_family_sizes_and_roles(population: pl.DataFrame) -> None:
    omanis = population.filter(pl.col("nationality") == "OM")
    sizes = omanis.group_by("family_id").len()["len"]
    assert 3.2 < sizes.mean() < 5.5
    assert sizes.max() >= 10
    assert 0.05 < (sizes == 1).mean() < 0.35
    spouses = omanis.filter(pl.col("relationship") == "spouse").group_by("family_id").len()["len"]
    assert 0.005 < (spouses >= 2).mean() < 0.04  # a few polygamous families
    assert (omanis["relationship"] == "other").sum() > 0  # some elderly parents live with a child


def test_orphans_are_consistent_with_a_parents_death(population: pl.DataFrame) -> None:
    heads = population.filter(pl.col("relationship") == "head").select(
        "family_id", head_sex="sex", head_status="marital_status"
    )
    orphans = population.filter(pl.col("father_deceased") | pl.col("mother_deceased")).join(heads, on="family_id")
    assert orphans.height > 0
    fatherless = orphans.filter(pl.col("father_deceased"))
    assert ((fatherless["head_sex"] == "F") & (fatherless["head_status"] == "widowed")).mean() > 0.95
    assert not (orphans["father_deceased"] & orphans["mother_deceased"]).any()


def test_incomes_go_to_the_right_people(population: pl.DataFrame) -> None:
    data = population.with_columns(age=2025 - pl.col("birth_date").dt.year())
    assert (data.filter(pl.col("wage") > 0)["employed"]).all()
    assert data.filter((pl.col("nationality") == "OM") & pl.col("employed"))["wage"].min() >= 325_000  # minimum wage
    assert (
        data.filter(pl.col("survivor_pension") > 0)
        .select((pl.col("marital_status") == "widowed") | pl.col("father_deceased") | pl.col("mother_deceased"))
        .to_series()
    ).all()
    assert (data.filter(pl.col("alimony") > 0)["marital_status"] == "divorced").all()
    capacity = data.filter(pl.col("earning_capacity") > 0)
    assert (~capacity["employed"]).all() and capacity["age"].is_between(18, 60).all()


def test_wilayats_follow_the_reference_shares(population: pl.DataFrame) -> None:
    geography = places()
    assert population["wilayat"].n_unique() == 61
    omanis = population.filter(pl.col("nationality") == "OM")
    muscat = (omanis["governorate"] == "Muscat").mean()
    expected = sum(w for g, w in zip(geography.governorate_en, geography.omani_weight, strict=True) if g == "Muscat")
    assert abs(muscat - expected) < 0.01
    assert population.group_by("family_id").agg(pl.col("wilayat").n_unique())["wilayat"].max() == 1


def test_calibration_at_a_small_scale(table: pl.DataFrame, oman: PolicyPack) -> None:
    national = Assumptions().omanis + Assumptions().expatriates
    for row in calibration_table(table, oman, scale=PERSONS / national):
        assert abs(row.difference) <= 0.10, f"{row.label}: target {row.target:.0f}, result {row.result}"


def test_one_governorate() -> None:
    people = generate(SynthRequest(persons=20_000, seed=5, governorate="Ad Dakhiliyah")).people
    assert set(people["governorate"].unique()) == {"Ad Dakhiliyah"}
    assert people.height == 20_000
    # Ad Dakhiliyah is mostly Omani (2016: 338,420 Omanis and 116,386 expatriates).
    assert 0.70 < (people["nationality"] == "OM").mean() < 0.78
    assert persons_at_scale(1.0, Assumptions(), "Ad Dakhiliyah") < persons_at_scale(1.0, Assumptions())


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SynthRequest(persons=10, seed=1, governorate="Atlantis"), "unknown governorate 'Atlantis'"),
        (SynthRequest(persons=0, seed=1), "at least one person"),
        (SynthRequest(persons=10, seed=1, duplicates=0.9), "between 0 and 0.5"),
    ],
)
def test_bad_requests(request_: SynthRequest, message: str) -> None:
    with pytest.raises(SynthError, match=re.escape(message)):
        generate(request_)


def test_duplicates_with_ground_truth(oman: PolicyPack) -> None:
    result = generate(SynthRequest(persons=20_000, seed=9, duplicates=0.02))
    people, pairs = result.people, result.duplicate_pairs
    assert pairs is not None and pairs.height == 400
    assert people.height == 20_400
    validate_table(for_file(people, "parquet"), oman.schema, source="with duplicates")  # still a valid table
    by_id = {r["person_id"]: r for r in people.to_dicts()}
    kinds = set()
    for original_id, duplicate_id, variations in pairs.iter_rows():
        original, duplicate = by_id[original_id], by_id[duplicate_id]
        assert original_id != duplicate_id
        assert any(v not in ("civil_number_slip", "new_civil_number") for v in variations.split(";")), variations
        assert original["sex"] == duplicate["sex"]
        assert abs((original["birth_date"] - duplicate["birth_date"]).days) <= 1
        names_ar = [original[f"{p}_ar"] for p in ("given_name", "father_name", "grandfather_name", "family_name")]
        names_ar_dup = [duplicate[f"{p}_ar"] for p in ("given_name", "father_name", "grandfather_name", "family_name")]
        if "arabic_" in variations:
            assert names_ar != names_ar_dup
        if "civil_number_slip" in variations:
            assert sum(a != b for a, b in zip(original_id, duplicate_id, strict=True)) == 1
        kinds |= {v.split(":")[0] for v in variations.split(";")}
    assert {
        "civil_number_slip",
        "new_civil_number",
        "latin_variant",
        "birth_date+1",
        "birth_date-1",
        "arabic_alef_hamza",
        "arabic_ta_marbuta",
        "arabic_abd_spacing",
    } <= kinds


def test_reference_weights_sum_to_one() -> None:
    geography = places()
    assert np.isclose(geography.omani_weight.sum(), 1) and np.isclose(geography.expatriate_weight.sum(), 1)
    assert len(geography.wilayat_en) == 61 and len(set(geography.governorate_en)) == 11
