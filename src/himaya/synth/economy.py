"""Disability, work and income of the synthetic population, in integer baisa."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from himaya.synth.assumptions import Assumptions, by_age
from himaya.synth.population import CHILD, DIVORCED, WIDOWED, People

CATEGORIES = ("autism", "down_syndrome", "intellectual", "visual", "hearing", "physical", "other_approved")
# Which disabilities are recorded, for children and for adults (assumed; SPF does not publish the split).
CHILD_CATEGORY_SHARE = (0.20, 0.12, 0.30, 0.07, 0.08, 0.18, 0.05)
ADULT_CATEGORY_SHARE = (0.03, 0.02, 0.15, 0.15, 0.15, 0.40, 0.10)


@dataclass
class Economy:
    disability_category: np.ndarray  # index into CATEGORIES, -1 for none
    disability_card: np.ndarray
    employed: np.ndarray
    has_children: np.ndarray
    father_deceased: np.ndarray
    mother_deceased: np.ndarray
    resident: np.ndarray
    money: dict[str, np.ndarray]  # column name -> baisa


def _lognormal_baisa(
    rng: np.random.Generator, size: int, median: float, sigma: float, floor: float = 0.0
) -> np.ndarray:
    omr = np.maximum(median * np.exp(sigma * rng.standard_normal(size)), floor)
    return np.rint(omr * 1000).astype(np.int64)


def _where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.size, dtype=np.int64)
    out[mask] = values
    return out


def _disability(rng: np.random.Generator, people: People, assumptions: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Category (index, -1 for none) and card: the age profile scaled so that the overall share
    among Omanis is the census one."""
    n = len(people)
    age, omani, adult = people.age, people.omani, people.age >= 18
    profile = by_age(assumptions.disability_age_profile)[age]
    scale = assumptions.disability_prevalence * omani.sum() / max(profile[omani].sum(), 1e-9)
    disabled = omani & (rng.random(n) < profile * scale)
    category = np.full(n, -1, dtype=np.int8)
    kids = disabled & ~adult
    category[kids] = rng.choice(len(CATEGORIES), size=int(kids.sum()), p=CHILD_CATEGORY_SHARE)
    grown = disabled & adult
    category[grown] = rng.choice(len(CATEGORIES), size=int(grown.sum()), p=ADULT_CATEGORY_SHARE)
    return category, disabled & (rng.random(n) < assumptions.disability_card)


def economy(rng: np.random.Generator, people: People, assumptions: Assumptions) -> Economy:
    n = len(people)
    age, female, omani, status = people.age, people.female, people.omani, people.status
    adult = age >= 18

    category, card = _disability(rng, people, assumptions)

    # Work. Sons and daughters of 18-24 living at home are mostly students.
    rate = np.where(female, by_age(assumptions.women_employed)[age], by_age(assumptions.men_employed)[age])
    student = (people.relationship == CHILD) & adult & (age <= 24)
    rate = np.where(card, rate * 0.3, np.where(student, rate * 0.5, rate))
    expatriate_rate = np.where(female, 0.45, 0.95) * ((age >= 20) & (age <= 64))
    employed = np.where(omani, rng.random(n) < rate, rng.random(n) < expatriate_rate)

    money: dict[str, np.ndarray] = {}
    wage = np.where(
        omani,
        _lognormal_baisa(rng, n, assumptions.wage_median, assumptions.wage_sigma, assumptions.minimum_wage),
        _lognormal_baisa(rng, n, assumptions.expatriate_wage_median, 0.6, 90.0),
    )
    money["wage"] = np.where(employed, wage, 0)

    retired = omani & ~employed & (rng.random(n) < by_age(assumptions.retired_with_pension)[age])
    money["pension"] = _where(
        retired, _lognormal_baisa(rng, int(retired.sum()), assumptions.pension_median, assumptions.pension_sigma, 100.0)
    )

    # Orphans are the children of a widowed parent; a death pension exists when the deceased
    # was insured, decided once per widowed parent so that a family is consistent.
    parent = people.parent
    with_parent = parent >= 0
    parent_widowed = np.zeros(n, dtype=bool)
    parent_widowed[with_parent] = status[parent[with_parent]] == WIDOWED
    parent_female = np.zeros(n, dtype=bool)
    parent_female[with_parent] = female[parent[with_parent]]
    father_deceased = parent_widowed & parent_female
    mother_deceased = parent_widowed & ~parent_female
    insured = rng.random(n) < assumptions.deceased_was_insured
    widow = omani & (status == WIDOWED)
    orphan = omani & (father_deceased | mother_deceased) & (age <= 26)
    insured_parent = np.zeros(n, dtype=bool)
    insured_parent[with_parent] = insured[parent[with_parent]]
    widow_paid = widow & insured & (age < 70)
    orphan_paid = orphan & insured_parent
    money["survivor_pension"] = _where(
        widow_paid,
        _lognormal_baisa(rng, int(widow_paid.sum()), assumptions.widow_share_median, assumptions.survivor_sigma, 20.0),
    ) + _where(
        orphan_paid,
        _lognormal_baisa(
            rng, int(orphan_paid.sum()), assumptions.orphan_share_median, assumptions.survivor_sigma, 10.0
        ),
    )

    # Children at home, and whether each adult has (had) children.
    children_at_home = np.bincount(parent[with_parent], minlength=n) > 0
    head_has = np.zeros(n, dtype=bool)
    head_has[people.head[children_at_home]] = True  # a mother's husband has children at home too
    ever_married = status != 0
    has_children = (
        children_at_home
        | head_has
        | (ever_married & (rng.random(n) < np.select([age >= 40, age >= 30, age >= 20], [0.85, 0.45, 0.2], 0.0)))
    )

    custody = female & (status == DIVORCED) & children_at_home
    alimony = custody & (rng.random(n) < assumptions.alimony_received)
    money["alimony"] = _where(alimony, _lognormal_baisa(rng, int(alimony.sum()), assumptions.alimony_median, 0.5, 20.0))

    other = adult & (rng.random(n) < assumptions.other_income_share)
    money["other_income"] = _where(
        other, _lognormal_baisa(rng, int(other.sum()), assumptions.other_income_median, 0.8, 5.0)
    )

    assessable = omani & adult & (age <= 59) & ~employed & ~card & ~student & ~retired
    assessed = assessable & (rng.random(n) < assumptions.earning_capacity_assessed)
    capacity = np.where(
        female,
        _lognormal_baisa(rng, n, assumptions.women_earning_capacity_median, assumptions.earning_capacity_sigma),
        _lognormal_baisa(rng, n, assumptions.men_earning_capacity_median, assumptions.earning_capacity_sigma),
    )
    money["earning_capacity"] = np.where(assessed, capacity, 0)

    resident = ~omani | (rng.random(n) < assumptions.resident_omanis)
    return Economy(category, card, employed, has_children, father_deceased, mother_deceased, resident, money)
