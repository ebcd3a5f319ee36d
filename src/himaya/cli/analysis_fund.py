"""`himaya project --insurance`: the social insurance fund's projection beside the non-contributory
benefits' (both sides of the Social Protection Fund), its general average premium and the
sensitivity of its cost; reported in English and Arabic, written as JSON, CSV, Parquet and a chart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table

from himaya import bootstrap
from himaya.analysis.fund import BENEFIT_NAMES, BENEFITS, FundProjection, Levers, both_sides
from himaya.analysis.fund_inputs import CONTRIBUTING
from himaya.analysis.fund_sensitivity import sensitivity
from himaya.analysis.project import Projection, project
from himaya.analysis.scenario import Scenario
from himaya.analysis.targeting import in_currency
from himaya.analysis.variants import VARIANTS
from himaya.bootstrap.fund import fund_projection
from himaya.cli.analysis_report import millions, show
from himaya.cli.app import out
from himaya.core.errors import UsageError
from himaya.core.money import Currency
from himaya.insurance.model import Branch
from himaya.policy.pack import PolicyPack

SENSITIVITY_YEAR = 2050


def check(scenarios: list[Scenario], first: int, last: int, variant: str) -> None:
    """What `--insurance` accepts, refused before anything runs."""
    if len(scenarios) != 1:
        raise UsageError("--insurance projects one scenario at a time: give --scenario once")
    if first != 2025:
        raise UsageError(f"--from {first}: the fund's projection starts from its reserve on 1 January 2025")
    if not 2025 < last < 2100:
        raise UsageError(f"--to {last}: the fund's projection runs from 2025 to a year between 2026 and 2099")
    if variant not in VARIANTS:
        raise UsageError(f"--variant {variant!r}: unknown WPP variant; known: {', '.join(VARIANTS)}")


def run(
    pack: PolicyPack, scenario: Scenario, last: int, *, variant: str, with_sensitivity: bool
) -> tuple[FundProjection, Projection, pl.DataFrame | None]:
    """The fund's projection, the benefits' projection over the same years, and the sensitivity."""
    inputs = bootstrap.projection_inputs(pack.name)
    share = inputs.citizen_share

    def fund(levers: Levers) -> FundProjection:
        chosen = levers if levers.variant != "medium" else replace(levers, variant=variant)
        return fund_projection(pack, scenario, last, citizen_share=share, levers=chosen)

    central = fund(Levers())  # first: a pack without the insurance's parameters is refused before the long work
    benefits = project(scenario, pack, pack.parameters, 2025, last, inputs=inputs)
    table = sensitivity(fund, min(SENSITIVITY_YEAR, last)) if with_sensitivity else None
    return central, benefits, table


def _column(table: Table, heading: str, width: int = 10) -> None:
    """A right-aligned column never narrower than its heading's longest line or `width`."""
    table.add_column(heading, justify="right", min_width=max(width, *(len(line) for line in heading.split("\n"))))


def _money(value: float, money: Currency) -> str:
    return millions(value, money)


def report(fund: FundProjection, benefits: Projection, every: int, money: Currency, table: pl.DataFrame | None) -> None:
    scenario = benefits.scenario
    out.print(
        f"\nThe fund's projection / إسقاط صندوق التأمين: {scenario.name}, WPP {fund.levers.variant}",
        style="bold",
        markup=False,
    )
    years = [y for y in fund.years if (y - fund.years[0]) % every == 0 or y == fund.years[-1]]
    rows = {row["year"]: row for row in fund.table.to_dicts()}
    accounts = Table(title=f"Accounts, {money.code} million / الحسابات، مليون {money.code}")
    for heading in ("year\nالسنة", "insured\nالمؤمَّن عليهم", "pensioners\nأصحاب المعاشات", "contributions\nالاشتراكات",
                    "benefits\nالمنافع", "admin.\nالإدارة", "income\nعائد الاستثمار", "reserve\nالاحتياطي",
                    "reserve ratio\nنسبة الاحتياطي", "PAYG cost rate\nمعدل تكلفة التوزيع"):  # fmt: skip
        _column(accounts, heading)
    for year in years:
        r = rows[year]
        pensioners = r["old_age_pensioners"] + r["disability_pensioners"] + r["survivor_pensions"]
        accounts.add_row(
            str(year), f"{r['insured']:,}", f"{pensioners:,}",
            *[_money(r[k], money) for k in ("contributions_baisa", "benefits_baisa", "administration_baisa",
                                            "investment_income_baisa", "reserve_baisa")],
            f"{r['reserve_ratio']:.1f}", f"{r['payg_cost_rate']:.2%}",
        )  # fmt: skip
    show(accounts)
    branches = Table(title=f"Benefit expenditure by branch, {money.code} million / الإنفاق على المنافع حسب الفرع")
    _column(branches, "year\nالسنة")
    for key in BENEFITS:
        _column(branches, f"{BENEFIT_NAMES[key].en}\n{BENEFIT_NAMES[key].ar}")
    for year in years:
        branches.add_row(str(year), *[_money(rows[year][f"benefit_{k}_baisa"], money) for k in BENEFITS])
    show(branches)
    for end in sorted({min(2050, fund.years[-1]), fund.years[-1]}):
        out.print(
            f"General average premium / متوسط القسط العام {fund.years[0]}-{end}: {fund.gap(end):.2%} of insurable wages"
            f" (contributions today: {rows[fund.years[0]]['contribution_rate']:.2%})",
            markup=False,
        )
    _both(both_sides(_costs(benefits), fund), years, money)
    if table is not None:
        _sensitivity(table, money)


def _costs(benefits: Projection) -> pl.DataFrame:
    return benefits.totals().join(benefits.population.select("year", "gdp_baisa"), on="year")


def _both(frame: pl.DataFrame, years: list[int], money: Currency) -> None:
    table = Table(title="Both sides of the Social Protection Fund, % of GDP / جانبا صندوق الحماية الاجتماعية")
    for heading in ("year\nالسنة", "non-contributory\nالمنافع غير القائمة على الاشتراكات",
                    "insurance\nالتأمين الاجتماعي", "total\nالمجموع", f"total, {money.code} m\nالمجموع"):  # fmt: skip
        _column(table, heading)
    for r in frame.filter(pl.col("year").is_in(years)).to_dicts():
        table.add_row(
            str(r["year"]), f"{r['non_contributory_share_of_gdp']:.2%}", f"{r['insurance_share_of_gdp']:.2%}",
            f"{r['total_share_of_gdp']:.2%}", _money(r["non_contributory_baisa"] + r["insurance_baisa"], money),
        )  # fmt: skip
    show(table)


def _sensitivity(frame: pl.DataFrame, money: Currency) -> None:
    """One row a setting: the central projection first, then each assumption moved down and up."""
    year = int(frame["year"][0]) if len(frame) else SENSITIVITY_YEAR
    table = Table(title=f"Sensitivity of the {year} cost / حساسية تكلفة {year}")
    headings = (
        "assumption\nالافتراض", "setting\nالقيمة", f"PAYG cost rate {year}\nمعدل تكلفة التوزيع",
        "change, points\nالتغير بالنقاط", f"expenditure, {money.code} m\nالإنفاق", "reserve ratio\nنسبة الاحتياطي",
        f"GAP 2025-{year}\nمتوسط القسط العام",
    )  # fmt: skip
    for number, heading in enumerate(headings):
        _column(table, heading, 34 if number == 0 else 12)
    rows = frame.to_dicts()
    if rows:
        table.add_row("central / المركزي", "", *_setting(rows[0], "central", money))
    for r in rows:
        for side in ("low", "high"):
            table.add_row(f"{r['name_en']}\n{r['name_ar']}", r[side], *_setting(r, side, money))
    show(table)


def _setting(r: dict[str, Any], side: str, money: Currency) -> list[str]:
    change = (r[f"payg_cost_rate_{side}"] - r["payg_cost_rate_central"]) * 100
    return [
        f"{r[f'payg_cost_rate_{side}']:.2%}",
        f"{change:+.2f}",
        _money(r[f"expenditure_baisa_{side}"], money),
        f"{r[f'reserve_ratio_{side}']:.1f}",
        f"{r[f'gap_{side}']:.2%}",
    ]


def document(fund: FundProjection, benefits: Projection, table: pl.DataFrame | None, money: Currency) -> str:
    end = fund.years[-1]
    plain: dict[str, Any] = {
        "scenario": benefits.scenario.name,
        "variant": fund.levers.variant,
        "initial_reserve_baisa": fund.initial_reserve,
        "general_average_premium": {f"{fund.years[0]}-{y}": fund.gap(y) for y in sorted({min(2050, end), end})},
        "branches": {b: Branch(b).name_text.en for b in CONTRIBUTING},
        "years": fund.table.to_dicts(),
        "both_sides": both_sides(_costs(benefits), fund).to_dicts(),
        "sensitivity": table.to_dicts() if table is not None else None,
    }
    return json.dumps(in_currency(plain, money), ensure_ascii=False, indent=2)


def tables(fund: FundProjection, benefits: Projection, table: pl.DataFrame | None) -> dict[str, pl.DataFrame]:
    """The files of `--output`: the accounts (CSV and Parquet), both sides, the sensitivity."""
    found = {"insurance.csv": fund.table, "insurance.parquet": fund.table}
    found["both-sides.csv"] = both_sides(_costs(benefits), fund)
    if table is not None:
        found["sensitivity.csv"] = table
    return found


# Every file `write` may put in the folder; those a run does not write are removed from it, so the
# folder never mixes files of two runs (a sensitivity of an earlier run beside new accounts).
OWN_FILES = ("insurance.json", "insurance.csv", "insurance.parquet", "both-sides.csv", "sensitivity.csv",
             "insurance-fund.svg", "insurance-fund.png")  # fmt: skip


def write(folder: Path, fund: FundProjection, benefits: Projection, table: pl.DataFrame | None, text: str,
          kind: str, writer: Any) -> list[str]:  # fmt: skip
    """Every file into `folder` through `writer(path, text)` (renamed into place), then the command's
    own files (`OWN_FILES`) that this run did not write removed; the names written."""
    names: list[str] = []
    writer(folder / "insurance.json", text + "\n")
    for name, frame in tables(fund, benefits, table).items():
        if name.endswith(".parquet"):
            partial = folder / f".{name}.partial"
            frame.write_parquet(partial)
            partial.replace(folder / name)
        else:
            writer(folder / name, frame.write_csv())
        names.append(name)
    from himaya.adapters import charts as drawing  # noqa: PLC0415  (matplotlib, only when drawing)

    written = drawing.write_charts([drawing.fund_chart(fund.table)], folder, kind)
    names = ["insurance.json", *names, *(p.name for p in written)]
    for stale in set(OWN_FILES) - set(names):
        (folder / stale).unlink(missing_ok=True)
    return names
