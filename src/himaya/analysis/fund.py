"""The social insurance fund's projection, in the actuarial style of the ILO's pension model (ILO/PENS):
the insured population, contributions, benefit expenditure by branch, the reserve with its investment
return, and the usual indicators, year by year from 1 January 2025.

1. Citizens by single age and sex (`project.project_population`, with a WPP variant: `variants`).
2. Active insured = citizens (person-years) x coverage: the ASSUMED share of men or women insured at
   working ages, ramped up from 18 to 25, until the pension age of the year (the ASSUMED transition
   from 60 to 65 for men; women `women_earlier` years before), times the take-up lever.
3. Wages: the ASSUMED 2025 average, growing with the scenario's prices and real wages, spread
   log-normally so that a branch's ceiling (nominal, as the law writes it, unless the scenario
   indexes the amounts) cuts off what is above it.
4. Contributions: each branch's rate (employee + employer, the pack's dated parameters, averaged over
   the year's months) on the capped wages of the active insured.
5. Benefits:
   - old age: the pensions in payment (ASSUMED count and average in 2025), dying at WPP's rates and
     raised each year by the ASSUMED indexation, plus the new pensions of those reaching the pension
     age: accrual x years of service (density x years since the entry age) x the average revalued
     wage (the career's wages carried by the revaluation rate, against wage growth), capped at the
     maximum, raised to the minimum pension when the months of contributions qualify;
   - disability: the ASSUMED incidence among the active insured, with the years to the pension age
     credited, by the same formula;
   - survivors: the deaths of active insured and pensioners, an ASSUMED share leaving survivors who
     share the whole pension (the sharing table's rows sum to 1), ending at an ASSUMED rate;
   - job security: ASSUMED claims x months paid x 60 % of the wage (at least the minimum);
   - maternity: the births to insured women (WPP's fertility) x the allowance's days of wage;
   - work injury and sick leave: an ASSUMED cost as a share of insured wages.
   New awards of a year are paid for half of it on average.
6. Administration: an ASSUMED share of benefit expenditure.
7. Reserve, in whole baisa, so the identity holds exactly every year:
   reserve(t+1) = reserve(t) + income(t) + contributions(t) - benefits(t) - administration(t),
   income(t) = reserve(t) x r(t) rounded to the baisa: reserve(t) x (1 + r) to within half a baisa.

Indicators (ILO/PENS): the PAYG cost rate = (benefits + administration) / insurable wages; the
reserve ratio = reserve at the end of the year / that year's expenditure; the general average
premium (GAP) over a horizon = the level contribution rate on insurable wages that, with the
initial reserve, pays every benefit and administration cost of the horizon: PV(benefits + admin) =
reserve(2025) + GAP x PV(insurable wages), discounted at the fund's return (flows at the end of
each year), so that a fund charging the GAP ends the horizon with nothing left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from himaya.analysis.demography import FEMALE, FIRST_YEAR, LAST_YEAR, Rates, Wpp, wpp_rates
from himaya.analysis.fund_inputs import CONTRIBUTING, Assumptions, YearRules
from himaya.analysis.project import ProjectionError, project_population
from himaya.analysis.scenario import Indexation, Scenario
from himaya.analysis.variants import scaled, variant
from himaya.core.text import Text

AGES = np.arange(101)
BENEFITS = ("old_age", "disability", "survivors", "work_injury", "job_security", "maternity", "sick_leave")
BENEFIT_NAMES = {
    "old_age": Text("old-age pensions", "معاشات الشيخوخة"),
    "disability": Text("disability pensions", "معاشات العجز"),
    "survivors": Text("survivors' pensions", "معاشات المستحقين عن الوفاة"),
    "work_injury": Text("work injuries", "إصابات العمل"),
    "job_security": Text("job security", "الأمان الوظيفي"),
    "maternity": Text("maternity", "الأمومة"),
    "sick_leave": Text("sick leave", "الإجازات المرضية"),
}


@dataclass(frozen=True)
class Levers:
    """What a sensitivity run changes: WPP's variant, wage growth (added to the scenario's yearly
    nominal growth), the investment return (added to every year's) and take-up (coverage x)."""

    variant: str = "medium"
    wage_growth: float = 0.0
    returns: float = 0.0
    take_up: float = 1.0


@dataclass(frozen=True)
class FundProjection:
    levers: Levers
    table: pl.DataFrame  # one row a year: see `_row`, money in baisa
    initial_reserve: int  # baisa, 1 January of the first year
    returns: dict[int, float]

    @property
    def years(self) -> list[int]:
        return list(self.table["year"])

    def gap(self, until: int | None = None) -> float:
        """The general average premium from the first year to `until` (the last by default)."""
        end = until if until is not None else self.years[-1]
        if not self.years[0] <= end <= self.years[-1]:
            span = f"{self.years[0]}-{self.years[-1]}"
            raise ProjectionError(f"the GAP's horizon ends in {end}, outside the projection {span}")
        rows = self.table.filter(pl.col("year") <= end)
        discount = np.cumprod([1 / (1 + self.returns[y]) for y in rows["year"]])
        cost = rows["benefits_baisa"].to_numpy() + rows["administration_baisa"].to_numpy()
        wages = rows["insurable_wages_baisa"].to_numpy()
        return float(((discount * cost).sum() - self.initial_reserve) / (discount * wages).sum())

    def row(self, year: int) -> dict[str, Any]:
        found = self.table.filter(pl.col("year") == year).to_dicts()
        if not found:
            raise ProjectionError(f"{year} is outside the projection {self.years[0]}-{self.years[-1]}")
        return found[0]


def capped_mean(mean: float, ceiling: float | None, spread: float) -> float:
    """E[min(W, ceiling)] for a log-normal wage W of this mean and log standard deviation."""
    if ceiling is None or spread <= 0:
        return mean if ceiling is None else min(mean, ceiling)
    mu = math.log(mean) - spread**2 / 2

    def phi(z: float) -> float:
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    log_c = math.log(ceiling)
    return mean * phi((log_c - mu - spread**2) / spread) + ceiling * (1 - phi((log_c - mu) / spread))


def _career_factor(years: np.ndarray, revaluation: float, growth: float) -> np.ndarray:
    """The average revalued wage of a career of `years` over its last wage: the mean over its years
    of ((1 + revaluation) / (1 + wage growth)) ** years back."""
    ratio = (1 + revaluation) / (1 + growth)
    n = np.maximum(years, 1e-9)
    if abs(ratio - 1) < 1e-12:
        return np.ones_like(n)
    return (1 - ratio**n) / (n * (1 - ratio))


def _aged(cells: np.ndarray) -> np.ndarray:
    """A year older: age x moves to x + 1, the open group 100+ stays."""
    after = np.zeros_like(cells)
    after[1:] = cells[:-1]
    after[100] += cells[100]
    return after


@dataclass
class _Stocks:
    """Pensions in payment on 1 January: counts and monthly amounts (baisa) by age and sex for old
    age and disability, totals for the survivors' pensions."""

    old_n: np.ndarray
    old_m: np.ndarray
    dis_n: np.ndarray
    dis_m: np.ndarray
    surv_n: float = 0.0
    surv_m: float = 0.0


def _start(citizens: np.ndarray, a: Assumptions) -> _Stocks:
    """The ASSUMED pensioners of the start spread over the citizens aged 50 and over (men) or 45 and
    over (women), in proportion to them, at the ASSUMED average pension."""
    weights = citizens * np.stack([AGES >= 50, AGES >= 45], axis=1)
    shares = weights / weights.sum(axis=0)
    counts = shares * a.pensioners * np.array([a.pensioners_men, 1 - a.pensioners_men])
    zero = np.zeros_like(citizens)
    return _Stocks(counts, counts * a.average_pension, zero.copy(), zero.copy())


def _coverage(a: Assumptions, age: int, women_earlier: int) -> np.ndarray:
    ramp = np.clip((AGES - 17) / 8, 0.0, 1.0)
    working = np.stack([age > AGES, age - women_earlier > AGES], axis=1)
    return ramp[:, None] * working * np.array(a.insured)


def _pension(service: np.ndarray, credited: np.ndarray, average: np.ndarray, rules: YearRules, minimum: float,
             minimum_months: int) -> np.ndarray:  # fmt: skip
    """The monthly pension for `service` years (with `credited` years added) on `average` wage."""
    amount = np.minimum(rules.accrual * (service + credited) * average, rules.maximum * average)
    return np.where(service * 12 >= minimum_months, np.maximum(amount, minimum), 0.0)


def _flows(
    year: int, active: np.ndarray, stocks: _Stocks, m: np.ndarray, fertility: np.ndarray, rules: YearRules,
    a: Assumptions, wage: float, growth: float, index: float,
) -> tuple[dict[str, float], _Stocks]:  # fmt: skip
    """One year's contributions and benefits (baisa), and the pensions in payment a year later."""
    spread = a.wage_dispersion
    capped = {b: capped_mean(wage, None if c is None else c * index, spread) for b, c in rules.ceiling.items()}
    insured = float(active.sum())
    flows = {f"contribution_{b}": rules.contribution[b] * 12 * insured * capped[b] for b in CONTRIBUTING}
    age = a.pension_age[year]
    ages = np.array([age, age - rules.women_earlier])
    service = np.maximum(AGES[:, None] - a.entry_age, 0) * a.density + 0.0 * active
    to_age = np.maximum(ages[None, :] - AGES[:, None], 0) * rules.credited
    minimum = rules.minimum_pension * index
    invalid = _pension(service, to_age, capped["old_age"] * _career_factor(service + to_age, rules.revaluation, growth),
                       rules, minimum, rules.invalidity_minimum_months)  # fmt: skip
    survive, dying = np.exp(-m), 1 - np.exp(-m)
    retiring = np.zeros_like(active)
    retiring[ages - 1, [0, 1]] = active[ages - 1, [0, 1]] * survive[ages - 1, [0, 1]]
    at_age = service[ages - 1, [0, 1]] + a.density
    old_amount = _pension(at_age, 0 * at_age, capped["old_age"] * _career_factor(at_age, rules.revaluation, growth),
                          rules, minimum, rules.minimum_months)  # fmt: skip
    disabled = active * a.disability_incidence
    deaths_amount = (active * dying * invalid).sum() + (stocks.old_m * dying).sum() + (stocks.dis_m * dying).sum()
    new_old = float((retiring.sum(axis=0) * old_amount).sum())
    new_dis, new_surv = float((disabled * invalid).sum()), a.survivors * float(deaths_amount)
    half = np.exp(-m / 2)
    flows |= {
        "benefit_old_age": 12 * float((stocks.old_m * half).sum()) + 6 * new_old,
        "benefit_disability": 12 * float((stocks.dis_m * half).sum()) + 6 * new_dis,
        "benefit_survivors": 12 * stocks.surv_m * (1 - a.survivors_exit / 2) + 6 * new_surv,
        "benefit_job_security": insured * a.job_loss * min(a.job_security_months, rules.job_security_months)
        * max(rules.job_security_rate * capped["job_security"], rules.job_security_minimum * index)
        * rules.in_force["job_security"],
        "benefit_maternity": float((fertility * active[:, FEMALE]).sum()) * rules.maternity_rate
        * capped["maternity"] * rules.maternity_days / rules.maternity_divisor,
        "benefit_work_injury": a.work_injury_cost * 12 * insured * capped["work_injury"]
        * rules.in_force["work_injury"],
        "benefit_sick_leave": a.sick_leave_cost * 12 * insured * capped["sick_leave"] * rules.in_force["sick_leave"],
        "insurable_wages": 12 * insured * capped["old_age"],
        "insured": insured,
        "old_age_pensioners": float(stocks.old_n.sum()),
        "disability_pensioners": float(stocks.dis_n.sum()),
        "survivor_pensions": stocks.surv_n,
    }  # fmt: skip
    raise_ = 1 + a.pension_indexation
    placed = np.zeros_like(active)
    placed[ages, [0, 1]] = old_amount
    later = _Stocks(
        old_n=_aged(stocks.old_n * survive) + _aged(retiring),
        old_m=(_aged(stocks.old_m * survive) + _aged(retiring) * placed) * raise_,
        dis_n=_aged(stocks.dis_n * survive + disabled),
        dis_m=_aged(stocks.dis_m * survive + disabled * invalid) * raise_,
        surv_n=stocks.surv_n * (1 - a.survivors_exit)
        + a.survivors * float((active * dying).sum() + (stocks.old_n * dying).sum() + (stocks.dis_n * dying).sum()),
        surv_m=(stocks.surv_m * (1 - a.survivors_exit) + new_surv) * raise_,
    )
    return flows, later


Yearly = dict[int, float]


def _indices(scenario: Scenario, levers: Levers, first: int, last: int) -> tuple[Yearly, Yearly, Yearly]:
    """Yearly nominal wage growth, the wage level (1 in `first`) and the index of the law's amounts."""
    growth = {
        y: (1 + scenario.inflation.at(y)) * (1 + scenario.real_wage_growth.at(y)) - 1 + levers.wage_growth
        for y in range(first, last + 1)
    }
    wage: Yearly = {}
    prices: Yearly = {}
    level = price = 1.0
    for y in range(first, last + 1):
        if y > first:
            level *= 1 + growth[y]
            price *= 1 + scenario.inflation.at(y)
        wage[y], prices[y] = level, price
    index = {Indexation.NONE: dict.fromkeys(wage, 1.0), Indexation.PRICES: prices, Indexation.WAGES: wage}
    return growth, wage, index[scenario.indexation]


def _citizens(scenario: Scenario, citizen_share: np.ndarray, last: int, source: Wpp, name: str) -> np.ndarray:
    chosen = variant(name, source)
    populations = project_population(scenario, citizen_share, last + 1, source, fertility=chosen.fertility)
    return scaled(populations.citizens, FIRST_YEAR, chosen)


def project_fund(
    scenario: Scenario,
    rules: dict[int, YearRules],
    base: Assumptions,
    *,
    citizen_share: np.ndarray,
    source: Wpp,
    last: int,
    levers: Levers = Levers(),
) -> FundProjection:
    """The fund's accounts for every year from 2025 to `last` (the rules of each year in `rules`)."""
    first = FIRST_YEAR
    if not first < last < LAST_YEAR:
        raise ProjectionError(f"the fund's projection runs from {first} to a year before {LAST_YEAR}, not to {last}")
    missing = [y for y in range(first, last + 1) if y not in rules or y not in base.returns]
    if missing:
        raise ProjectionError(f"no insurance rules or assumptions for {missing[0]}")
    if not 0 < levers.take_up <= 2 or not -0.5 < levers.returns < 0.5 or not -0.2 < levers.wage_growth < 0.2:
        raise ProjectionError(f"levers out of range: {levers}")
    a = base.shifted(returns=levers.returns, take_up=levers.take_up)
    citizens = _citizens(scenario, citizen_share, last, source, levers.variant)
    rates: Rates = wpp_rates(source)
    growth, wage, index = _indices(scenario, levers, first, last)
    stocks = _start(citizens[0], a)
    rows: list[dict[str, float]] = []
    for year in range(first, last + 1):
        i, r = year - first, rules[year]
        person_years = (citizens[i] + citizens[i + 1]) / 2
        active = person_years * _coverage(a, a.pension_age[year], r.women_earlier)
        k = rates.year(year)
        fertility = rates.fertility[k] * scenario.citizen_fertility * variant(levers.variant, source).fertility(year)
        flows, stocks = _flows(
            year, active, stocks, rates.mortality[k], fertility, r, a, a.average_wage * wage[year], growth[year],
            index[year],
        )  # fmt: skip
        rows.append({"year": year, **flows})
    return FundProjection(levers, _accounts(rows, a), round(a.initial_reserve), dict(a.returns))


def _accounts(rows: list[dict[str, float]], a: Assumptions) -> pl.DataFrame:
    """The year's flows rounded to the baisa, and the reserve carried in whole baisa."""
    reserve = round(a.initial_reserve)
    table: list[dict[str, Any]] = []
    for flows in rows:
        year = int(flows["year"])
        money = {key: round(value) for key, value in flows.items() if key.startswith(("contribution_", "benefit_"))}
        contributions = sum(money[f"contribution_{b}"] for b in CONTRIBUTING)
        benefits = sum(money[f"benefit_{b}"] for b in BENEFITS)
        administration = round(a.administration * benefits)
        income = round(reserve * a.returns[year])
        end = reserve + income + contributions - benefits - administration
        wages = round(flows["insurable_wages"])
        spent = benefits + administration
        table.append(
            {
                "year": year,
                "insured": round(flows["insured"]),
                "old_age_pensioners": round(flows["old_age_pensioners"]),
                "disability_pensioners": round(flows["disability_pensioners"]),
                "survivor_pensions": round(flows["survivor_pensions"]),
                "insurable_wages_baisa": wages,
                **{f"{key}_baisa": value for key, value in money.items()},
                "contributions_baisa": contributions,
                "benefits_baisa": benefits,
                "administration_baisa": administration,
                "investment_income_baisa": income,
                "reserve_start_baisa": reserve,
                "reserve_baisa": end,
                "contribution_rate": contributions / wages,
                "payg_cost_rate": spent / wages,
                "reserve_ratio": end / spent,
            }
        )
        reserve = end
    return pl.DataFrame(table)


def both_sides(costs: pl.DataFrame, fund: FundProjection) -> pl.DataFrame:
    """The non-contributory benefits (`project.Projection.totals()` joined to its GDP: year,
    cost_baisa, gdp_baisa) beside the fund's benefit expenditure, in money and as shares of GDP."""
    spent = fund.table.select(
        "year", (pl.col("benefits_baisa") + pl.col("administration_baisa")).alias("insurance_baisa")
    )
    gdp = pl.col("gdp_baisa")
    return (
        costs.join(spent, on="year", how="inner")
        .select(
            "year",
            pl.col("cost_baisa").alias("non_contributory_baisa"),
            "insurance_baisa",
            "gdp_baisa",
            (pl.col("cost_baisa") / gdp).alias("non_contributory_share_of_gdp"),
            (pl.col("insurance_baisa") / gdp).alias("insurance_share_of_gdp"),
            ((pl.col("cost_baisa") + pl.col("insurance_baisa")) / gdp).alias("total_share_of_gdp"),
        )
        .sort("year")
    )
