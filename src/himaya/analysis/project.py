"""Cost projections: the projected population combined with the rules, year by year.

1. The population (`demography`): residents and citizens by single age and sex on 1 January of
   every year, from the WPP 2024 rates.
2. Who is entitled, and to how much, at each age (`profile`): the engine runs the rules in force in
   July of the year (or in each of the months the pack's analysis inputs name, averaged: Iraq's
   student grant is paid October to June) on the pack's synthetic population (`himaya.synth`, the
   scenario's sample) whose birth dates are moved forward to that year, so each age is seen under
   that year's rules. For each
   cell (citizen or not, single age, sex) we keep the share receiving each programme and the mean
   amount per person. Only citizens are eligible to the individual benefits; Family Income Support
   is counted in the cell of the family's head. The engine runs once per distinct set of parameter
   values, not once per year.
3. Each year: beneficiaries = person-years in each cell (the mean of the 1 January populations of
   the year and the next) x the cell's share x take-up; cost = 12 x person-years x mean amount x
   take-up x the indexation factor (1 in 2025, and every year unless the scenario indexes the
   amounts: "today's rules" are the law's nominal amounts); GDP grows with real growth and prices.

The profile holds today's circumstances at each age (incomes, family forms, disability by age)
fixed: what changes is how many people there are at each age, and the rules. Under indexation the
amounts are scaled; incomes are assumed to move with them, so income tests keep their bite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from himaya.analysis.demography import (
    FEMALE,
    FIRST_YEAR,
    LAST_YEAR,
    MALE,
    OMAN,
    Wpp,
    start_population,
    step,
    wpp_population,
    wpp_rates,
)
from himaya.analysis.scenario import Indexation, Scenario
from himaya.core.errors import HimayaError
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.engine import evaluate
from himaya.policy.pack import PolicyPack, amount_of
from himaya.policy.parameters import ParameterTree

AGES = 101
SAMPLE_DAY = date(FIRST_YEAR, 7, 1)  # the sample's ages are counted on this day


@dataclass(frozen=True)
class Inputs:
    """What a projection needs beside the WPP rates, handed in by `bootstrap` (the synthetic
    population is a sibling capability, so it is wired in, not imported)."""

    # A people table of the pack's contract with ages counted on SAMPLE_DAY, by (persons, seed).
    sample: Callable[[int, int], pl.DataFrame]
    # The share of citizens among residents, by WPP 5-year age group (rows) and sex (columns).
    citizen_share: np.ndarray


class ProjectionError(HimayaError):
    """A projection that cannot run as asked."""


@dataclass(frozen=True)
class Profile:
    """Per programme and cell [programme, citizen (0 no, 1 yes), age, sex]: share receiving and mean
    monthly amount per person (baisa)."""

    recipients: np.ndarray
    amounts: np.ndarray


@dataclass(frozen=True)
class Projection:
    scenario: Scenario
    programmes: tuple[str, ...]
    names: dict[str, Text]
    years: list[int]
    table: pl.DataFrame  # year, programme, beneficiaries, cost_baisa, share_of_gdp
    population: pl.DataFrame  # year, residents, citizens, expatriates, gdp_baisa, index
    engine_runs: int

    def by_programme(self, key: str) -> pl.DataFrame:
        return self.table.filter(pl.col("programme") == key).sort("year")

    def totals(self) -> pl.DataFrame:
        return self.table.group_by("year").agg(pl.col("cost_baisa").sum(), pl.col("share_of_gdp").sum()).sort("year")

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "source": self.scenario.source,
            "assumptions": _plain(self.scenario.assumptions),
            "years": [
                {
                    **population,
                    "programmes": {
                        row["programme"]: {k: row[k] for k in ("beneficiaries", "cost_baisa", "share_of_gdp")}
                        for row in self.table.filter(pl.col("year") == population["year"]).to_dicts()
                    },
                }
                for population in self.population.to_dicts()
            ],
        }


def _plain(value: Any) -> Any:
    """The scenario as JSON can hold it: dates (YAML reads `2027-01-01:` as one) become text keys."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def start_populations(
    scenario: Scenario, citizen_share: np.ndarray, source: Wpp = OMAN
) -> tuple[np.ndarray, np.ndarray]:
    """Residents and citizens on 1 January 2025, single ages x sexes.

    Residents are WPP's (`demography.start_population`); citizens are them times the share of
    citizens by age and sex (the synthetic population's assumption, given by 5-year group and
    interpolated linearly between the groups' middle ages), scaled to the scenario's count of
    citizens and never more than the residents of their cell.
    """
    groups, counts = wpp_population(FIRST_YEAR, source)
    if citizen_share.shape != counts.shape:
        raise ProjectionError(f"the citizen share has shape {citizen_share.shape}, the WPP pyramid {counts.shape}")
    residents = start_population(scenario.sex_ratio_at_birth, source=source)
    middle = [min(int(g.split("-", maxsplit=1)[0].rstrip("+")) + 2, AGES - 1) for g in groups]
    share = np.stack([np.interp(np.arange(AGES), middle, citizen_share[:, sex]) for sex in (MALE, FEMALE)], axis=1)
    return residents, _filled(np.clip(share, 0.0, 1.0) * residents, residents, scenario.citizens)


def _filled(first: np.ndarray, cap: np.ndarray, total: float) -> np.ndarray:
    """`first` scaled to `total`, no cell above its `cap`: what a full cell cannot take goes to the others."""
    if total > cap.sum():
        raise ProjectionError(f"{total:,.0f} citizens are more than the {cap.sum():,.0f} residents at the start")
    cells = first.copy()
    for _ in range(AGES * 2):  # each round fills at least one more cell, or ends
        open_ = cells < cap
        missing = total - cells.sum()
        if abs(missing) < 0.5 or not cells[open_].sum():
            break
        cells[open_] *= 1 + missing / cells[open_].sum()
        cells = np.minimum(cells, cap)
    return cells


@dataclass(frozen=True)
class Populations:
    """Residents and citizens on 1 January of every year: arrays (years, ages, sexes)."""

    residents: np.ndarray
    citizens: np.ndarray
    # By year: the persons WPP's net emigration would have taken from a cell beyond its expatriates
    # (it is not applied: citizens do not migrate), so residents exceed WPP's by that many.
    kept: np.ndarray

    @property
    def expatriates(self) -> np.ndarray:
        return self.residents - self.citizens


def project_population(
    scenario: Scenario,
    citizen_share: np.ndarray,
    last: int,
    source: Wpp = OMAN,
    *,
    fertility: Callable[[int], float] = lambda _: 1.0,
) -> Populations:
    """Residents and citizens on 1 January of every year from 2025 to `last`; `fertility` multiplies
    the citizens' fertility of each year (a WPP fertility variant, `himaya.analysis.variants`).

    Citizens: WPP's mortality, the scenario's fertility for Omani women, no migration. Expatriates:
    the rest of WPP's residents, with all of WPP's net migration and the births WPP's rates give
    beyond the citizens'. Where WPP's emigrants of a cell outnumber its expatriates (old men, whom
    WPP's age pattern of migration sends away faster than there are old expatriates), the cell keeps
    its citizens and has no expatriates left: no cell is negative, citizens never exceed residents.
    """
    rates = wpp_rates(source)
    residents, citizens = start_populations(scenario, citizen_share, source)
    all_residents, all_citizens, kept = [residents], [citizens], [0.0]
    for year in range(FIRST_YEAR, last):
        births = {"sex_ratio_at_birth": scenario.sex_ratio_at_birth}
        residents = step(residents, rates, year, migration=True, **births)
        factor = scenario.citizen_fertility * fertility(year)
        citizens = step(citizens, rates, year, migration=False, fertility_factor=factor, **births)
        kept.append(float(np.maximum(citizens - residents, 0.0).sum()))
        residents = np.maximum(residents, citizens)
        all_residents.append(residents)
        all_citizens.append(citizens)
    return Populations(np.array(all_residents), np.array(all_citizens), np.array(kept))


def wpp_of(pack: PolicyPack) -> Wpp:
    """The pack's WPP extract; a pack without analysis inputs cannot be projected."""
    if pack.analysis is None:
        raise ProjectionError(f"the {pack.name} pack gives no analysis inputs (WPP extract, scenario)")
    return Wpp(pack.analysis.data, pack.analysis.wpp_prefix)


CELL_COLUMNS = ("resident", "birth_date", "nationality", "sex")


def _months(pack: PolicyPack) -> tuple[int, ...]:
    """The months of a year the profile averages: the pack's (Iraq's student grant is paid October
    to June, so July alone would miss it), July by default."""
    return pack.analysis.months if pack.analysis is not None else (7,)


def profile(people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, year: int) -> Profile:
    """Who is entitled to what, by cell, under the rules of July of `year`, or the mean of the months
    the pack names (see the module's docstring)."""
    citizenship = pack.analysis.citizenship if pack.analysis is not None else ""
    keys = [p.key for p in pack.programmes]
    shift = year - FIRST_YEAR
    moved = people.with_columns(pl.col("birth_date").dt.offset_by(f"{shift}y")) if shift else people
    months = _months(pack)
    day = date(year, 7, 1)
    born = pl.col("birth_date")
    age = (
        pl.lit(day.year, pl.Int32)
        - born.dt.year().cast(pl.Int32)
        - ((born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)) > 701).cast(pl.Int32)
    ).clip(0, AGES - 1)
    wide = pl.concat(
        [evaluate(moved, pack, tree, Period(year, m)).select(*CELL_COLUMNS, *map(amount_of, keys)) for m in months]
    )
    cells = (
        wide.lazy()
        .filter(pl.col("resident") & (born <= day))  # WPP counts residents; the unborn are not a cell yet
        .group_by(
            (pl.col("nationality") == citizenship).cast(pl.Int32).alias("citizen"),
            age.alias("age"),
            (pl.col("sex") == "F").cast(pl.Int32).alias("sex"),
        )
        .agg(
            pl.len().alias("persons"),
            *[(amount_of(k) > 0).sum().alias(f"n.{k}") for k in keys],
            *[amount_of(k).sum().alias(f"a.{k}") for k in keys],
        )
        .collect()
    )
    index = (cells["citizen"].to_numpy(), cells["age"].to_numpy(), cells["sex"].to_numpy())
    persons = cells["persons"].to_numpy().astype(float)  # person-months: the mean over the months
    recipients = np.zeros((len(keys), 2, AGES, 2))
    amounts = np.zeros((len(keys), 2, AGES, 2))
    for i, key in enumerate(keys):  # a loop over programmes, not people
        recipients[i][index] = cells[f"n.{key}"].to_numpy() / persons
        amounts[i][index] = cells[f"a.{key}"].to_numpy() / persons
    return Profile(recipients, amounts)


# Parameters the benefits' rules never read: social insurance's rates (`himaya.insurance`), whose
# dated steps (2024-07-19, 2026-07-19...) would otherwise start an engine run of their own.
NOT_BENEFIT_RULES = ("insurance.",)


def _signature(tree: ParameterTree, day: date) -> tuple[tuple[str, str], ...]:
    """The values in force on `day`: two years with the same signature share one engine run."""
    return tuple(
        (p.path, repr(p.value_at(day).value))
        for p in tree
        if p.values[0].start <= day and not p.path.startswith(NOT_BENEFIT_RULES)
    )


def _growth(rate: Callable[[int], float], first: int, last: int) -> dict[int, float]:
    """Cumulative factor of a yearly rate from `first` (1.0) to each year up to `last`."""
    factor, factors = 1.0, {first: 1.0}
    for year in range(first + 1, last + 1):
        factor *= 1 + rate(year)
        factors[year] = factor
    return factors


def _gdp(scenario: Scenario, per_unit: int, first: int, last: int) -> dict[int, float]:
    """Nominal GDP of each year from `first` to `last`, in the currency's smallest unit."""
    nominal = _growth(
        lambda y: (1 + scenario.real_growth.at(y)) * (1 + scenario.inflation.at(y)) - 1,
        min(first, scenario.gdp_year),
        max(last, scenario.gdp_year),  # the GDP figure may be of a year before, within or after the projection
    )
    return {y: scenario.gdp * per_unit * nominal[y] / nominal[scenario.gdp_year] for y in range(first, last + 1)}


def project(
    scenario: Scenario,
    pack: PolicyPack,
    base: ParameterTree,
    first: int,
    last: int,
    *,
    inputs: Inputs,
) -> Projection:
    """Beneficiaries, cost and cost as a share of GDP for each year from `first` to `last`."""
    if not FIRST_YEAR <= first <= last < LAST_YEAR:
        raise ProjectionError(
            f"years {first} to {last}: the projection runs from {FIRST_YEAR} (the WPP starting pyramid) to "
            f"{LAST_YEAR - 1} at most, and --from must not be after --to"
        )
    tree = scenario.tree(base)
    keys = tuple(p.key for p in pack.programmes)
    populations = project_population(scenario, inputs.citizen_share, last + 1, wpp_of(pack))
    residents, citizens, expatriates = populations.residents, populations.citizens, populations.expatriates
    people = inputs.sample(scenario.sample_persons, scenario.sample_seed).select(pack.schema.names)
    profiles: dict[tuple[tuple[tuple[str, str], ...], ...], Profile] = {}
    take_up = np.array([scenario.take_up[k] for k in keys])

    index_rate = {
        Indexation.NONE: lambda _: 0.0,
        Indexation.PRICES: scenario.inflation.at,
        Indexation.WAGES: lambda y: (1 + scenario.inflation.at(y)) * (1 + scenario.real_wage_growth.at(y)) - 1,
    }[scenario.indexation]
    index = _growth(index_rate, FIRST_YEAR, last)  # amounts as the rules write them in 2025, whatever --from says
    gdp = _gdp(scenario, pack.currency.per_unit, first, last)

    rows, population_rows = [], []
    for year in range(first, last + 1):
        key = tuple(_signature(tree, date(year, m, 1)) for m in _months(pack))
        if key not in profiles:
            profiles[key] = profile(people, pack, tree, year)
        cells = profiles[key]
        i = year - FIRST_YEAR
        person_years = np.stack(
            [(expatriates[i] + expatriates[i + 1]) / 2, (citizens[i] + citizens[i + 1]) / 2]
        )  # [citizen, age, sex]
        beneficiaries = (cells.recipients * person_years).sum(axis=(1, 2, 3)) * take_up
        monthly = (cells.amounts * person_years).sum(axis=(1, 2, 3)) * take_up * index[year]
        for k, programme in enumerate(keys):
            cost = round(12 * monthly[k])
            rows.append(
                {
                    "year": year,
                    "programme": programme,
                    "beneficiaries": round(float(beneficiaries[k])),
                    "cost_baisa": cost,
                    "share_of_gdp": cost / gdp[year],
                }
            )
        population_rows.append(
            {
                "year": year,
                "residents": round(float(residents[i].sum())),
                "citizens": round(float(citizens[i].sum())),
                "expatriates": round(float(expatriates[i].sum())),
                "gdp_baisa": round(gdp[year]),
                "index": index[year],
            }
        )
    return Projection(
        scenario=scenario,
        programmes=keys,
        names={p.key: p.name for p in pack.programmes},
        years=list(range(first, last + 1)),
        table=pl.DataFrame(rows),
        population=pl.DataFrame(population_rows),
        engine_runs=len(profiles),
    )
