"""The synthetic careers against the published counts (`data/insurance.yaml`), their files as
`himaya insurance employers` and `himaya insurance declare` read them, and the note written beside
them that cites where each count comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import polars as pl
import yaml

from himaya.policy.engine import omr_text
from himaya.synth.careers import Careers
from himaya.synth.reference import DATA


@cache
def published() -> dict[str, Any]:
    with (DATA / "insurance.yaml").open(encoding="utf-8") as file:
        loaded: dict[str, Any] = yaml.safe_load(file)
    return loaded


@dataclass(frozen=True)
class CareerRow:
    label: str
    target: float  # the published count scaled to the table's size (a share: as published)
    result: float
    source: str
    share: bool = False

    @property
    def difference(self) -> float:
        return (self.result - self.target) / self.target if self.target else 0.0

    def shown(self, value: float) -> str:
        """A count with thousands separators, or a share in per cent."""
        return f"{value:.1%}" if self.share else f"{value:,.0f}"


def calibration(people: pl.DataFrame, careers: Careers, *, scale: float) -> list[CareerRow]:
    """The last month's insured persons by nationality, sector and sex, the private sector's low
    wages, and the pensioners of the people table, against the published counts x `scale`."""
    facts = published()
    omanis, expatriates = facts["insured_omanis"], facts["expatriate_workers"]
    last = careers.lines.filter(pl.col("month") == pl.col("month").max())
    seen = (
        last.join(careers.employers.select("cr_number", "sector"), on="cr_number")
        .join(people.select(pl.col("person_id").alias("civil_number"), "nationality", "sex"), on="civil_number")
        .unique("civil_number")  # a person with two jobs is one insured person
    )
    omani = seen.filter(pl.col("nationality") == "OM")
    private = omani.filter(pl.col("sector") == "private")
    low = private.filter(pl.col("wage") < 400_000).height / max(private.height, 1)
    pensioners = people.filter(pl.col("pension").fill_null(0) > 0).height
    say = omanis["source"]
    return [
        CareerRow("Insured Omanis", omanis["total"] * scale, omani.height, say),
        CareerRow("  in government", omanis["government"] * scale, omani.height - private.height, say),
        CareerRow("  in the private sector", omanis["private"] * scale, private.height, say),
        CareerRow("  women", omanis["women"] * scale, omani.filter(pl.col("sex") == "F").height, say),
        CareerRow(
            "Private-sector Omanis under RO 400", omanis["private_under_400"] / omanis["private"], low, say, True
        ),
        CareerRow(
            "Expatriate workers", expatriates["total"] * scale, seen.height - omani.height, expatriates["source"]
        ),
        CareerRow(
            "Pensioners (the people table's)",
            facts["pensioners"]["total"] * scale,
            pensioners,
            facts["pensioners"]["source"],
        ),
    ]


def declaration_files(careers: Careers) -> dict[str, pl.DataFrame]:
    """Each month's batch declaration (cr_number, civil_number, wage in OMR, days), by YYYY-MM."""
    lines = careers.lines.with_columns(omr_text(pl.col("wage")).alias("wage"))
    return {
        f"{month:%Y-%m}": part.select("cr_number", "civil_number", "wage", "days")
        for (month,), part in lines.partition_by("month", as_dict=True, maintain_order=True).items()
    }


def note(rows: list[CareerRow], careers: Careers, *, seed: int, as_of: date) -> str:
    """The README written beside the files: what they are, how to load them, the counts and sources."""
    month = pl.col("month").dt.strftime("%Y-%m")
    first, last = (str(v) for v in careers.lines.select(month.min(), month.max().alias("last")).row(0))
    table = ["| count | published (scaled) | synthetic | difference | source |", "|---|---|---|---|---|"]
    for row in rows:
        cells = (row.label.strip(), row.shown(row.target), row.shown(row.result), f"{row.difference:+.1%}", row.source)
        table.append("| " + " | ".join(cells) + " |")
    return "\n".join(
        [
            "# Synthetic careers",
            "",
            f"Made by `himaya synth --insurance` (seed {seed}, as of {as_of}): {careers.employers.height:,} employers"
            f" and {careers.lines.height:,} declaration lines, {first} to {last}. Synthetic: no real employer"
            " or person. Load them after the people table:",
            "",
            "```console",
            "$ himaya insurance employers employers.csv",
            "$ for file in declarations/*.csv; do himaya insurance declare $file --month $(basename $file .csv); done",
            "```",
            "",
            "The counts the careers are calibrated against, scaled to the people table's size (docs/synth.md):",
            "",
            *table,
            "",
            "No count of pensioners after 2017 was found, nor the Social Protection Fund's own release of",
            "insured persons: the figures are NCSI's and the Fund's as the press reported them.",
            "",
        ]
    )
