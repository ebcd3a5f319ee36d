"""Work, income, school, disability and care of the synthetic Iraq, in whole dinars a month.

Whole-population array operations. The household's true income per person is what the poverty
rate is measured on (as SEFS measures it, per dwelling); the researcher's score (`pmt_pc_welfare`,
on the head's row of each federal family) is that income times a log-normal error, as a proxy means
test is (every federal family is
scored: one without a score would be tested on the pack's formula, the true income itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from himaya.policy.packs.iraq.schema import DISABILITY_CATEGORIES
from himaya.synth.assumptions import by_age
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.population import CHILD, MARRIED, WIDOWED, People

# Which conditions are recorded (assumed: no published split); the first five are severe (caregiver).
CATEGORY_SHARE = (0.05, 0.07, 0.10, 0.12, 0.18, 0.06, 0.04, 0.08, 0.30)
SEVERE = 5
LEVELS = ("primary", "intermediate", "preparatory", "university")
LEVEL_FROM = np.array([6, 12, 15, 18])


@dataclass
class Economy:
    flags: dict[str, np.ndarray]  # employed, state_employee, security_forces, law18_insured, state_pension...
    money: dict[str, np.ndarray]  # wage, pension, other_income
    disability: np.ndarray  # index into DISABILITY_CATEGORIES, -1 for none
    school_level: np.ndarray  # index into LEVELS, -1 for none
    cares_for: np.ndarray  # index of the person cared for, -1 for none
    per_person: np.ndarray  # the household's true income per person, on every row
    score: np.ndarray  # the researcher's welfare per person on surveyed heads' rows, -1 for none


def _lognormal(rng: np.random.Generator, size: int, median: float, sigma: float) -> np.ndarray:
    return np.rint(median * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def _work(rng: np.random.Generator, people: People, a: IraqAssumptions, disabled: np.ndarray) -> dict[str, np.ndarray]:
    n, age, female = len(people), people.age, people.female
    rate = np.where(female, by_age(a.women_employed)[age], by_age(a.men_employed)[age])
    student = (people.relationship == CHILD) & (age >= 18) & (age <= 24)
    rate = np.where(disabled, rate * 0.3, np.where(student, rate * 0.5, rate))
    employed = rng.random(n) < rate
    state = employed & (age >= 18) & (rng.random(n) < a.state_employee_share)
    security = state & ~female & (rng.random(n) < a.security_forces_share)
    law18 = employed & ~state & (rng.random(n) < a.law18_insured_share)
    widow = female & (people.status == WIDOWED)
    pensioner = ~employed & (
        (rng.random(n) < by_age(a.pension_by_age)[age]) | (widow & (rng.random(n) < a.survivor_pension))
    )
    return {
        "employed": employed,
        "state_employee": state,
        "security_forces": security,
        "law18_insured": law18,
        "state_pension": pensioner & (age >= 18),
    }


def _disability(rng: np.random.Generator, people: People, a: IraqAssumptions) -> np.ndarray:
    n = len(people)
    profile = by_age(a.disability_age_profile)[people.age]
    disabled = rng.random(n) < profile * a.disability_prevalence * n / max(float(profile.sum()), 1e-9)
    category = np.full(n, -1, dtype=np.int8)
    category[disabled] = rng.choice(len(DISABILITY_CATEGORIES), size=int(disabled.sum()), p=CATEGORY_SHARE)
    return category


def _caregivers(rng: np.random.Generator, people: People, a: IraqAssumptions, category: np.ndarray) -> np.ndarray:
    """The family's head cares for a severely disabled member (or the spouse when the head is the
    one disabled); one person cared for per caregiver."""
    n = len(people)
    cared = np.flatnonzero((category >= 0) & (category < SEVERE) & (rng.random(n) < a.caregiver_paid))
    head = people.head[cared]
    spouse_of = np.full(n, -1, dtype=np.int64)
    spouses = np.flatnonzero(people.relationship == 1)
    spouse_of[people.head[spouses]] = spouses
    carer = np.where(head != cared, head, spouse_of[cared])
    keep = (carer >= 0) & (people.age[np.maximum(carer, 0)] >= 18)
    cares_for = np.full(n, -1, dtype=np.int64)
    cares_for[carer[keep]] = cared[keep]
    return cares_for


def _school(rng: np.random.Generator, people: People, a: IraqAssumptions) -> tuple[np.ndarray, np.ndarray]:
    age = people.age
    enrolled = rng.random(age.size) < by_age(a.enrolled)[age]
    level = np.searchsorted(LEVEL_FROM, age, side="right") - 1
    return np.where(enrolled & (level >= 0), level, -1), enrolled & (level >= 0)


def economy(
    rng: np.random.Generator, people: People, household: np.ndarray, a: IraqAssumptions, federal: np.ndarray
) -> Economy:
    n = len(people)
    category = _disability(rng, people, a)
    flags = _work(rng, people, a, category >= 0)
    state, employed = flags["state_employee"], flags["employed"]
    wage = np.where(
        state,
        _lognormal(rng, n, a.state_wage_median, a.state_wage_sigma),
        _lognormal(rng, n, a.private_wage_median, a.private_wage_sigma),
    )
    money = {
        "wage": np.where(employed, wage, 0),
        "pension": np.where(flags["state_pension"], _lognormal(rng, n, a.pension_median, a.pension_sigma), 0),
        "other_income": np.where(
            (people.age >= 18) & (rng.random(n) < a.other_income_share),
            _lognormal(rng, n, a.other_income_median, a.other_income_sigma),
            0,
        ),
    }
    total = money["wage"] + money["pension"] + money["other_income"]
    household_total = np.bincount(household, weights=total, minlength=n)
    household_size = np.bincount(household, minlength=n)
    per_person = (household_total[household] // household_size[household]).astype(np.int64)
    is_head = people.head == np.arange(n)
    # The score sees the dwelling and its assets, which do not grow with every member: larger
    # households score a little higher than their income per person (`pmt_size_elasticity`).
    size_effect = household_size[household].astype(np.float64) ** a.pmt_size_elasticity
    error = size_effect * np.exp(a.pmt_bias + a.pmt_sigma * rng.standard_normal(n))
    surveyed = is_head & federal
    score = np.where(surveyed, np.rint(per_person * error), -1).astype(np.int64)
    level, enrolled = _school(rng, people, a)
    flags["enrolled"] = enrolled
    flags["attending"] = enrolled & (rng.random(n) < a.attending)
    married_woman = people.female & (people.status == MARRIED) & (people.age >= 15) & (people.age <= 49)
    flags["pregnant"] = married_woman & (rng.random(n) < a.pregnant)
    return Economy(flags, money, category, level, _caregivers(rng, people, a, category), per_person, score)
