"""Wires the insurance rules into the fund's projection (`himaya.analysis.fund`): the two capabilities
are siblings, so the rules are read here with `himaya.insurance`'s own readers (`branch_rates`,
`pension_terms`, `job_security_terms`, `maternity_terms`, `revaluation`) and handed over as plain
numbers, one `YearRules` a year."""

from __future__ import annotations

from datetime import date

import numpy as np

from himaya.analysis.fund import FundProjection, Levers, project_fund
from himaya.analysis.fund_inputs import CONTRIBUTING, YearRules, assumptions
from himaya.analysis.project import ProjectionError, wpp_of
from himaya.analysis.scenario import Scenario
from himaya.insurance.job_security import job_security_terms
from himaya.insurance.maternity import maternity_terms
from himaya.insurance.model import Branch, Coverage
from himaya.insurance.pension_terms import pension_terms, revaluation
from himaya.insurance.rates import branch_rates
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterError, ParameterTree


def _branch(tree: ParameterTree, branch: Branch, year: int) -> tuple[float, float | None, float]:
    """The branch's mean rate over the year's months (0 in a month it does not cover citizens or is
    not in force), its ceiling at mid-year, and the share of the months it is in force."""
    rates: list[float] = []
    in_force = 0
    for month in range(1, 13):
        found = branch_rates(tree, branch, date(year, month, 15))
        rate = float(found.employee + found.employer) if Coverage.OMANI in found.covers else 0.0
        rates.append(rate)
        in_force += int(rate > 0)
    ceiling = branch_rates(tree, branch, date(year, 7, 1)).ceiling
    return sum(rates) / 12, None if ceiling is None else float(ceiling), in_force / 12


def year_rules(tree: ParameterTree, year: int) -> YearRules:
    """The insurance rules of `year` (on 1 July where one day is read)."""
    day = date(year, 7, 1)
    branches = {b: _branch(tree, Branch(b), year) for b in CONTRIBUTING}
    pension = pension_terms(tree, day)
    job = job_security_terms(tree, day)
    maternity = maternity_terms(tree, day)
    return YearRules(
        contribution={b: v[0] for b, v in branches.items()},
        ceiling={b: v[1] for b, v in branches.items()},
        in_force={b: v[2] for b, v in branches.items()},
        accrual=float(pension.accrual),
        women_earlier=pension.women_earlier,
        minimum_months=pension.minimum_months,
        minimum_pension=float(pension.minimum),
        maximum=float(pension.maximum),
        invalidity_minimum_months=pension.invalidity_minimum_months,
        credited=pension.credited,
        revaluation=float(revaluation(tree, year - 1, year) - 1),
        job_security_rate=float(job.rate),
        job_security_minimum=float(job.minimum),
        job_security_months=job.months,
        maternity_rate=float(maternity.rate),
        maternity_days=maternity.days,
        maternity_divisor=maternity.day_divisor,
    )


def fund_projection(
    pack: PolicyPack, scenario: Scenario, last: int, *, citizen_share: np.ndarray, levers: Levers = Levers()
) -> FundProjection:
    """The fund's projection from 2025 to `last` under the pack's rules (the scenario's reform laid
    over them) and its ASSUMED parameters."""
    tree = scenario.tree(pack.parameters)
    first = 2025
    if not first < last < 2100:
        raise ProjectionError(f"--to {last}: the fund's projection runs from {first} to 2099 at most")
    try:
        rules = {year: year_rules(tree, year) for year in range(first, last + 1)}
        base = assumptions(tree, first, last)
    except (KeyError, ParameterError) as error:
        raise ProjectionError(f"the {pack.name} pack cannot project its insurance fund: {error}") from None
    return project_fund(
        scenario,
        rules,
        base,
        citizen_share=citizen_share,
        source=wpp_of(pack),
        last=last,
        levers=levers,
    )
