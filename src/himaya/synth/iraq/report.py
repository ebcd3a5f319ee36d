"""`himaya synth --pack iraq --report`: the synthetic Iraq against the published figures it is
calibrated to (`data/calibration.yaml`), and its governorates against their reference shares."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.iraq.reference import calibration, governorate_shares

LABELS = {
    "federal_share": "Share of persons in federal Iraq (outside the Kurdistan Region)",
    "household_size": "Persons per household",
    "poverty_rate": "Poverty rate (persons below the poverty line)",
    "caseload_households": "Social protection subsidy: families paid",
    "caseload_persons": "Social protection subsidy: persons in families paid",
    "caseload_women_heads": "Social protection subsidy: families headed by a woman",
}
COUNTS = ("caseload_households", "caseload_persons", "caseload_women_heads")


@dataclass(frozen=True)
class CalibrationRow:
    key: str
    label: str
    published: float  # counts scaled to the size of the table; shares and means as published
    synthetic: float
    source: str

    @property
    def difference(self) -> float:
        return (self.synthetic - self.published) / self.published if self.published else 0.0

    @property
    def is_count(self) -> bool:
        return self.key in COUNTS


def _measured(people: pl.DataFrame, pack: PolicyPack, period: Period) -> dict[str, float]:
    line = pack.parameters.at(period.start).poverty_line.per_person
    income = pl.col("wage").fill_null(0) + pl.col("pension").fill_null(0) + pl.col("other_income").fill_null(0)
    per_person = income.sum().over("household_id") // pl.len().over("household_id")
    federal = ~pl.col("governorate").is_in(list(pack.parameters.at(period.start).territory.excluded_governorates))
    shares = people.select(
        (per_person < line).mean().alias("poverty_rate"),
        federal.mean().alias("federal_share"),
        (pl.len() / pl.col("household_id").n_unique()).alias("household_size"),
    ).row(0, named=True)
    paid = entitlements(people, pack, pack.parameters, period).filter(pl.col("programme") == "sp_cash")
    families = people.filter(pl.col("family_id").is_in(paid["family_id"].implode()))
    counted = families.filter(pl.col("resident") & pl.col("death_date").is_null())
    heads = families.filter((pl.col("relationship") == "head") & (pl.col("sex") == "F"))
    return {
        **shares,
        "caseload_households": paid["family_id"].n_unique(),
        "caseload_persons": counted.height,
        "caseload_women_heads": heads.height,
    }


def calibration_table(people: pl.DataFrame, pack: PolicyPack, *, scale: float) -> list[CalibrationRow]:
    """Published against synthetic; counts are the published ones times `scale` (the table's share
    of Iraq's census population)."""
    document = calibration()
    period = Period.parse(str(document["period"]))
    found = _measured(people, pack, period)
    return [
        CalibrationRow(
            key,
            label,
            float(document[key]["value"]) * (scale if key in COUNTS else 1.0),
            float(found[key]),
            str(document[key]["source"]),
        )
        for key, label in LABELS.items()
    ]


@dataclass(frozen=True)
class GovernorateRow:
    governorate: str
    share: float
    reference_share: float


def governorate_table(people: pl.DataFrame, assumptions: IraqAssumptions) -> list[GovernorateRow]:
    """Each governorate's share of the persons, against the reference (data/README.md: the CSO's
    2010 projections within federal Iraq and the Region, weighted by the 2024 census)."""
    reference = governorate_shares(assumptions.kri_share)
    counts = dict(people.group_by("governorate").agg(pl.len()).iter_rows())
    total = max(people.height, 1)
    return [GovernorateRow(g, counts.get(g, 0) / total, share) for g, share in reference.items()]
