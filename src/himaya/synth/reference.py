"""The reference data the generator reads (see data/README.md for sources and licences)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import yaml

from himaya.policy.packs.oman.registry import wilayats

DATA = files("himaya.synth") / "data"
MAX_AGE = 104  # the open group 100+ is spread over 100-104

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@dataclass(frozen=True)
class Pyramid:
    """People by 5-year age group (row) and sex (column 0 male, 1 female)."""

    groups: tuple[str, ...]
    counts: np.ndarray  # float, shape (groups, 2)

    @property
    def lower_ages(self) -> np.ndarray:
        return np.array([int(g.split("-")[0].rstrip("+")) for g in self.groups])


@cache
def wpp_2025() -> Pyramid:
    """Residents of Oman (Omanis and expatriates) at mid-2025 (about 1 July: the mean of WPP's populations
    of 31 December 2024 and 2025), WPP 2024 medium variant; the synthetic population takes its shape."""
    rows = _rows("wpp2024_oman_2025_age5_sex.csv")
    counts = np.array([[float(r["male_thousands"]), float(r["female_thousands"])] for r in rows]) * 1000
    return Pyramid(tuple(r["age"] for r in rows), counts)


@cache
def omani_share() -> np.ndarray:
    """Assumed share of Omanis in each age group (rows as in `wpp_2025`) and sex."""
    rows = _rows("omani_share.csv")
    if tuple(r["age"] for r in rows) != wpp_2025().groups:
        raise ValueError("omani_share.csv and the WPP pyramid list different age groups")
    return np.array([[float(r["male"]), float(r["female"])] for r in rows])


@dataclass(frozen=True)
class Places:
    governorate_en: tuple[str, ...]
    governorate_ar: tuple[str, ...]
    wilayat_en: tuple[str, ...]
    wilayat_ar: tuple[str, ...]
    omani_weight: np.ndarray  # per wilayat, sums to 1
    expatriate_weight: np.ndarray


# The 2010 census total, to bring 2016 governorate totals back to 2010 when sharing them among
# wilayats whose only figure is from 2010; and Al Wusta's 2016 total, the only figure published.
_POPULATION_2010 = 2_773_479
_AL_WUSTA_2016 = 45_574


@cache
def places() -> Places:
    """Wilayats with the share of Omanis and of expatriates living in each (assumptions in docs/synth.md)."""
    rows = wilayats()
    omanis = {r["governorate_en"]: float(r["governorate_omanis_2016"] or 0) for r in rows}
    expats = {r["governorate_en"]: float(r["governorate_expatriates_2016"] or 0) for r in rows}
    national_omani_share = sum(omanis.values()) / (sum(omanis.values()) + sum(expats.values()))
    if not omanis.get("Al Wusta"):  # only its total was published
        omanis["Al Wusta"] = _AL_WUSTA_2016 * national_omani_share
        expats["Al Wusta"] = _AL_WUSTA_2016 * (1 - national_omani_share)
    population_2016 = sum(omanis.values()) + sum(expats.values())
    within = np.zeros(len(rows))
    for governorate, omani_count in omanis.items():
        members = [i for i, r in enumerate(rows) if r["governorate_en"] == governorate]
        known = {i: float(rows[i]["wilayat_population_2010"]) for i in members if rows[i]["wilayat_population_2010"]}
        total_2010 = (omani_count + expats[governorate]) * _POPULATION_2010 / population_2016
        unknown = [i for i in members if i not in known]
        rest = max(total_2010 - sum(known.values()), 0.1 * total_2010)
        weights = {**known, **{i: rest / len(unknown) for i in unknown}}
        share = np.array([weights[i] for i in members])
        within[members] = share / share.sum()
    governorate_of = [r["governorate_en"] for r in rows]
    omani = within * np.array([omanis[g] for g in governorate_of])
    expat = within * np.array([expats[g] for g in governorate_of])
    return Places(
        governorate_en=tuple(governorate_of),
        governorate_ar=tuple(r["governorate_ar"] for r in rows),
        wilayat_en=tuple(r["wilayat_en"] for r in rows),
        wilayat_ar=tuple(r["wilayat_ar"] for r in rows),
        omani_weight=omani / omani.sum(),
        expatriate_weight=expat / expat.sum(),
    )


@dataclass(frozen=True)
class NameList:
    arabic: tuple[str, ...]
    latin: tuple[str, ...]  # the registry's transliteration
    variants: tuple[tuple[str, ...], ...]  # other transliterations seen in practice


def _name_list(entries: list[list[str]]) -> NameList:
    return NameList(
        arabic=tuple(e[0] for e in entries),
        latin=tuple(e[1] for e in entries),
        variants=tuple(tuple(e[2:]) for e in entries),
    )


@dataclass(frozen=True)
class Names:
    male: NameList
    female: NameList
    tribes: NameList
    expatriates: dict[str, dict[str, NameList]]  # country -> male/female/family


@cache
def names() -> Names:
    document: dict[str, Any] = yaml.load((DATA / "names.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return Names(
        male=_name_list(document["male"]),
        female=_name_list(document["female"]),
        tribes=_name_list(document["tribes"]),
        expatriates={
            country: {kind: _name_list(entries) for kind, entries in lists.items()}
            for country, lists in document["expatriates"].items()
        },
    )


@dataclass(frozen=True)
class Banks:
    codes: tuple[str, ...]
    names_en: tuple[str, ...]
    share: np.ndarray


@cache
def banks() -> Banks:
    rows = _rows("banks.csv")
    share = np.array([float(r["share"]) for r in rows])
    return Banks(tuple(r["bank_code"] for r in rows), tuple(r["bank_en"] for r in rows), share / share.sum())


@cache
def calibration() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load((DATA / "calibration.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return document
