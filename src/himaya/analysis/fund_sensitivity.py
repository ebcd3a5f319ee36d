"""The sensitivity of the fund's cost in one year (2050 by default) to each assumption, one at a time:
WPP's fertility variants and its 80 % and 95 % intervals, wage growth, the investment return and
take-up (the insured's coverage), each moved down and up from the central projection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from himaya.analysis.fund import FundProjection, Levers
from himaya.analysis.project import ProjectionError
from himaya.core.text import Text


@dataclass(frozen=True)
class Factor:
    key: str
    name: Text
    low: Levers
    high: Levers
    low_label: str
    high_label: str


FACTORS = (
    Factor("fertility", Text("fertility (WPP variants)", "الخصوبة (متغيرات الأمم المتحدة)"),
           Levers(variant="low"), Levers(variant="high"), "low variant", "high variant"),
    Factor("population_80", Text("population, WPP 80 % interval", "السكان، فترة الأمم المتحدة 80٪"),
           Levers(variant="80l"), Levers(variant="80u"), "lower bound", "upper bound"),
    Factor("population_95", Text("population, WPP 95 % interval", "السكان، فترة الأمم المتحدة 95٪"),
           Levers(variant="95l"), Levers(variant="95u"), "lower bound", "upper bound"),
    Factor("wage_growth", Text("wage growth", "نمو الأجور"),
           Levers(wage_growth=-0.01), Levers(wage_growth=0.01), "-1 point", "+1 point"),
    Factor("returns", Text("investment return", "عائد الاستثمار"),
           Levers(returns=-0.01), Levers(returns=0.01), "-1 point", "+1 point"),
    Factor("take_up", Text("take-up (coverage of the insured)", "الإقبال (تغطية المؤمَّن عليهم)"),
           Levers(take_up=0.9), Levers(take_up=1.1), "x 0.9", "x 1.1"),
)  # fmt: skip


def _figures(projection: FundProjection, year: int) -> dict[str, float]:
    row = projection.row(year)
    return {
        "payg_cost_rate": row["payg_cost_rate"],
        "expenditure_baisa": row["benefits_baisa"] + row["administration_baisa"],
        "reserve_ratio": row["reserve_ratio"],
        "gap": projection.gap(year),
    }


def sensitivity(run: Callable[[Levers], FundProjection], year: int = 2050) -> pl.DataFrame:
    """One row a factor: its low and high settings, and for each the PAYG cost rate, expenditure
    (benefits + administration, baisa), reserve ratio of `year` and the GAP to `year`, beside the
    central projection's."""
    central = run(Levers())
    if year not in central.years:
        raise ProjectionError(
            f"the sensitivity's year {year} is outside the projection {central.years[0]}-{central.years[-1]}"
        )
    middle = _figures(central, year)
    rows: list[dict[str, object]] = []
    for factor in FACTORS:
        low, high = _figures(run(factor.low), year), _figures(run(factor.high), year)
        rows.append(
            {
                "year": year,
                "factor": factor.key,
                "name_en": factor.name.en,
                "name_ar": factor.name.ar,
                "low": factor.low_label,
                "high": factor.high_label,
                **{f"{key}_low": value for key, value in low.items()},
                **{f"{key}_central": value for key, value in middle.items()},
                **{f"{key}_high": value for key, value in high.items()},
            }
        )
    return pl.DataFrame(rows)
