"""`himaya synth --report`: the generator's result against the published figures it is calibrated to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.synth.reference import calibration, wpp_2025

CALIBRATION_LABELS = {
    "child": "Child benefit (recipients)",
    "elderly": "Elderly benefit (recipients)",
    "disability": "Disability benefit (recipients)",
    "orphan_widow": "Orphan and widow benefits (recipients)",
    "family_income_support": "Family Income Support (families)",
}


@dataclass(frozen=True)
class CalibrationRow:
    key: str
    label: str
    target: float  # scaled to the size of the table
    result: int

    @property
    def difference(self) -> float:
        return (self.result - self.target) / self.target if self.target else 0.0


def calibration_table(people: pl.DataFrame, pack: PolicyPack, *, scale: float) -> list[CalibrationRow]:
    """Beneficiaries the engine finds in the published month, against the published counts x scale."""
    document = calibration()
    period = Period.parse(str(document["period"]))
    result = entitlements(people, pack, pack.parameters, period)
    by_programme = dict(result.group_by("programme").agg(pl.len()).iter_rows())
    orphan_widow = result.filter(pl.col("programme").is_in(["orphan", "widow"]))["person_id"].n_unique()
    found = {**by_programme, "orphan_widow": orphan_widow}
    return [
        CalibrationRow(key, CALIBRATION_LABELS[key], target * scale, int(found.get(key, 0)))
        for key, target in document["targets"].items()
    ]


@dataclass(frozen=True)
class PyramidRow:
    group: str
    male_share: float  # of the whole table
    female_share: float
    wpp_male_share: float
    wpp_female_share: float


def age_pyramid(people: pl.DataFrame, on: date) -> list[PyramidRow]:
    """Shares of the population by 5-year group and sex, against WPP 2024 (residents, mid-2025)."""
    wpp = wpp_2025()
    shares = wpp.counts / wpp.counts.sum()
    age = (on.year - pl.col("birth_date").dt.year()) - (
        pl.lit(on.month * 100 + on.day)
        < pl.col("birth_date").dt.month().cast(pl.Int32) * 100 + pl.col("birth_date").dt.day().cast(pl.Int32)
    ).cast(pl.Int32)
    counted = people.select((age.clip(0, 100) // 5).alias("group"), (pl.col("sex") == "F").alias("female"))
    table = np.zeros_like(shares)
    for group, female, n in counted.group_by("group", "female").agg(pl.len()).iter_rows():
        table[min(group, len(wpp.groups) - 1), int(female)] += n
    table /= max(table.sum(), 1)
    return [
        PyramidRow(g, float(table[i, 0]), float(table[i, 1]), float(shares[i, 0]), float(shares[i, 1]))
        for i, g in enumerate(wpp.groups)
    ]
