"""The reference data the synthetic Iraq reads (see data/README.md for sources and licences)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import yaml

from himaya.policy.packs.iraq.places import rows as pack_places
from himaya.synth.reference import NameList, Names, Pyramid

DATA = files("himaya.synth.iraq") / "data"

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@cache
def wpp_2025() -> Pyramid:
    """Iraq's population (federal Iraq and the Kurdistan Region) at about 1 July 2025 by 5-year group
    and sex, WPP 2024 medium variant: the synthetic population takes its shape."""
    rows = _rows("wpp2024_iraq_2025_age5_sex.csv")
    counts = np.array([[float(r["male_thousands"]), float(r["female_thousands"])] for r in rows]) * 1000
    return Pyramid(tuple(r["age"] for r in rows), counts)


def iraqi_share() -> np.ndarray:
    """The share of Iraqis in each age group (rows as in `wpp_2025`) and sex: all of them (the
    synthetic Iraq draws no foreigners; WPP counts the few there are, about 0.5 %, among them)."""
    return np.ones_like(wpp_2025().counts)


@dataclass(frozen=True)
class Districts:
    governorate_en: tuple[str, ...]  # per district
    district_en: tuple[str, ...]
    federal: np.ndarray  # per district: the federal scheme reaches it
    weight: np.ndarray  # per district, sums to 1


@cache
def governorate_shares(kri_share: float) -> dict[str, float]:
    """Each governorate's share of Iraq: the CSO's 2010 projections within federal Iraq and within
    the Kurdistan Region, the two parts weighted by the 2024 census (`kri_share` in the Region)."""
    rows = _rows("governorates.csv")
    region = {r["governorate_en"]: r["federal_scheme"] == "true" for r in pack_places()}
    population = {r["governorate_en"]: float(r["population_2010"]) for r in rows}
    missing = set(region) ^ set(population)
    if missing:
        raise ValueError(f"governorates.csv and the Iraq pack's places differ: {sorted(missing)}")
    federal_total = sum(v for g, v in population.items() if region[g])
    kri_total = sum(v for g, v in population.items() if not region[g])
    return {
        g: (1 - kri_share) * v / federal_total if region[g] else kri_share * v / kri_total
        for g, v in population.items()
    }


@cache
def districts(kri_share: float) -> Districts:
    """Every district of the pack's places, with its governorate's share spread equally over its
    districts (no district populations are published: ESTIMATED)."""
    rows = pack_places()
    shares = governorate_shares(kri_share)
    count = {g: sum(1 for r in rows if r["governorate_en"] == g) for g in shares}
    weight = np.array([shares[r["governorate_en"]] / count[r["governorate_en"]] for r in rows])
    return Districts(
        governorate_en=tuple(r["governorate_en"] for r in rows),
        district_en=tuple(r["district_en"] for r in rows),
        federal=np.array([r["federal_scheme"] == "true" for r in rows]),
        weight=weight / weight.sum(),
    )


def _name_list(entries: list[list[str]]) -> NameList:
    return NameList(
        arabic=tuple(e[0] for e in entries),
        latin=tuple(e[1] for e in entries),
        variants=tuple(tuple(e[2:]) for e in entries),
    )


@cache
def names() -> Names:
    document: dict[str, Any] = yaml.load((DATA / "names.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return Names(
        male=_name_list(document["male"]),
        female=_name_list(document["female"]),
        tribes=_name_list(document["family"]),
        expatriates={},
    )


@cache
def calibration() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load((DATA / "calibration.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return document
