"""Who lives in the synthetic Oman: ages, sexes, marital status, and the families they form.

Everything is a whole-population array operation. People are first drawn from the age pyramid;
then children (and single young adults at home) are given a parent of a plausible age, married
women a husband of a plausible age (a few men two wives), and some widowed elderly join a child's
family. The family head is the husband, or else the parent, or else the person alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from himaya.synth.assumptions import Assumptions, Bands, by_age
from himaya.synth.reference import MAX_AGE, Pyramid

SINGLE, MARRIED, DIVORCED, WIDOWED = 0, 1, 2, 3
STATUS_CODES = ("single", "married", "divorced", "widowed")
HEAD, SPOUSE, CHILD, OTHER = 0, 1, 2, 3
RELATIONSHIP_CODES = ("head", "spouse", "child", "other")
DAYS_PER_YEAR = 365.2425


class FamilyShape(Protocol):
    """What forming families needs from a country's assumptions (Oman's, Iraq's)."""

    @property
    def mother_age_at_birth(self) -> tuple[float, float]: ...
    @property
    def husband_older_by(self) -> tuple[float, float]: ...
    @property
    def polygamy(self) -> float: ...
    @property
    def elderly_with_family(self) -> float: ...
    @property
    def sons_at_home(self) -> Bands: ...
    @property
    def daughters_at_home(self) -> Bands: ...


@dataclass
class People:
    """One entry per person in every array (a structure of arrays)."""

    age: np.ndarray  # completed years on the reference date
    birth: np.ndarray  # datetime64[D]
    female: np.ndarray
    omani: np.ndarray
    status: np.ndarray  # SINGLE, MARRIED, DIVORCED, WIDOWED
    head: np.ndarray  # index of the family's head
    relationship: np.ndarray  # HEAD, SPOUSE, CHILD, OTHER
    parent: np.ndarray  # index of the parent a child lives with, or -1

    def __len__(self) -> int:
        return int(self.age.size)


def sample_ages(
    rng: np.random.Generator, pyramid: Pyramid, weights: np.ndarray, n: int, on: date
) -> tuple[np.ndarray, ...]:
    """`n` people drawn from `weights` (age group x sex): (age, birth date, female)."""
    probabilities = (weights / weights.sum()).ravel()
    cell = rng.choice(probabilities.size, size=n, p=probabilities)
    group, female = np.divmod(cell, 2)
    age = pyramid.lower_ages[group] + rng.integers(0, 5, size=n)  # uniform within the 5-year group
    age = np.minimum(age, MAX_AGE)
    days_old = np.floor((age + rng.random(n)) * DAYS_PER_YEAR).astype("timedelta64[D]")
    birth = np.datetime64(on, "D") - days_old
    # The day count can land a birthday just across the reference date: read the age back from the dates.
    age = _completed_years(birth, on)
    return age, birth, female.astype(bool)


def _completed_years(birth: np.ndarray, on: date) -> np.ndarray:
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    month_day = (
        (birth - birth.astype("datetime64[M]")).astype(int)
        + 1
        + 100 * (birth.astype("datetime64[M]").astype(int) % 12 + 1)
    )
    return (on.year - years - (on.month * 100 + on.day < month_day)).astype(np.int16)


def sample_status(
    rng: np.random.Generator, age: np.ndarray, female: np.ndarray, rates: dict[str, np.ndarray]
) -> np.ndarray:
    """Marital status from age- and sex-specific shares married, widowed and divorced."""

    def rate(name: str) -> np.ndarray:
        return np.where(female, rates[f"women_{name}"][age], rates[f"men_{name}"][age])

    married, widowed, divorced = rate("married"), rate("widowed"), rate("divorced")
    u = rng.random(age.size)
    return np.select(
        [u < married, u < married + widowed, u < married + widowed + divorced],
        [MARRIED, WIDOWED, DIVORCED],
        SINGLE,
    ).astype(np.int8)


def pick_by_age(
    rng: np.random.Generator, candidates: np.ndarray, candidate_age: np.ndarray, wanted_age: np.ndarray
) -> np.ndarray:
    """For each wanted age, a random candidate of that age (or of the nearest age that has one)."""
    order = np.argsort(candidate_age, kind="stable")
    sorted_candidates, sorted_age = candidates[order], candidate_age[order]
    counts = np.bincount(sorted_age, minlength=MAX_AGE + 1)
    starts = np.cumsum(counts) - counts
    present = np.flatnonzero(counts)
    ages = np.arange(counts.size)
    nearest = present[np.abs(ages[:, None] - present[None, :]).argmin(axis=1)]  # 105 x (<105): tiny
    age = nearest[np.clip(wanted_age, 0, MAX_AGE)]
    return sorted_candidates[starts[age] + (rng.random(age.size) * counts[age]).astype(np.int64)]


def _normal_years(rng: np.random.Generator, size: int, spec: tuple[float, float], low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(rng.normal(spec[0], spec[1], size)), low, high).astype(np.int16)


def form_families(rng: np.random.Generator, people: People, assumptions: FamilyShape, *, children: np.ndarray) -> None:
    """Give every person a family head and a relationship; `children` marks who lives with a parent."""
    n = len(people)
    age, female, status = people.age, people.female, people.status
    head = np.arange(n)
    relationship = np.full(n, HEAD, dtype=np.int8)
    parent = np.full(n, -1, dtype=np.int64)

    # A parent for every child: a mother (or a widowed father) of a plausible age.
    pool = np.flatnonzero(
        ((female & (status != SINGLE) & (age >= 17)) | (~female & (status == WIDOWED) & (age >= 20))) & ~children
    )
    kids = np.flatnonzero(children)
    if pool.size and kids.size:
        wanted = age[kids] + _normal_years(rng, kids.size, assumptions.mother_age_at_birth, 17, 48)
        parent[kids] = pick_by_age(rng, pool, age[pool].astype(np.int64), wanted.astype(np.int64))
        relationship[kids] = CHILD

    # A husband for married women: older by a few years; a few men have two wives.
    wives = np.flatnonzero(female & (status == MARRIED) & ~children)
    husbands = np.flatnonzero(~female & (status == MARRIED))
    older = husbands[age[husbands] >= 35]
    second = (
        rng.choice(older, size=min(older.size, round(assumptions.polygamy * husbands.size)), replace=False)
        if older.size
        else older
    )
    slots = np.concatenate([husbands, second])
    k = min(wives.size, slots.size)
    if k:
        wives_matched = rng.permutation(wives)[:k]
        slots_matched = rng.permutation(slots)[:k]
        wanted = age[wives_matched] + _normal_years(rng, k, assumptions.husband_older_by, 0, 30)
        by_wanted = np.lexsort((rng.random(k), wanted))
        by_age_of_slot = np.lexsort((rng.random(k), age[slots_matched]))
        husband = np.empty(k, dtype=np.int64)
        husband[by_wanted] = slots_matched[by_age_of_slot]
        head[wives_matched] = husband
        relationship[wives_matched] = SPOUSE

    # Children follow their parent's family (a mother's husband heads it).
    head[kids] = head[parent[kids]]

    # Some widowed elderly who have no child at home move into a child's family.
    has_child_at_home = np.bincount(parent[kids], minlength=n) > 0 if kids.size else np.zeros(n, dtype=bool)
    elderly = np.flatnonzero((status == WIDOWED) & (age >= 70) & ~has_child_at_home)
    movers = elderly[rng.random(elderly.size) < assumptions.elderly_with_family]
    family_heads = np.flatnonzero((relationship == HEAD) & ~female & (status == MARRIED))
    if movers.size and family_heads.size:
        wanted = age[movers] - _normal_years(rng, movers.size, assumptions.mother_age_at_birth, 17, 48)
        head[movers] = pick_by_age(rng, family_heads, age[family_heads].astype(np.int64), wanted.astype(np.int64))
        relationship[movers] = OTHER

    people.head, people.relationship, people.parent = head, relationship, parent


def status_rates(assumptions: Assumptions, *, expatriate: bool) -> dict[str, np.ndarray]:
    if expatriate:
        none = by_age(((0, 0.0),))
        return {
            "men_married": by_age(assumptions.expatriate_men_married),
            "women_married": by_age(assumptions.expatriate_women_married),
            "men_widowed": none,
            "women_widowed": none,
            "men_divorced": none,
            "women_divorced": none,
        }
    return {
        name: by_age(getattr(assumptions, name))
        for name in ("men_married", "men_widowed", "men_divorced", "women_married", "women_widowed", "women_divorced")
    }


def lives_with_parent(rng: np.random.Generator, people: People, assumptions: FamilyShape) -> np.ndarray:
    """Children under 18, and single sons to 29 and daughters to 39 who still live at home."""
    age = people.age
    single_adult = (
        (people.status == SINGLE) & (age >= 18) & ((people.female & (age <= 39)) | (~people.female & (age <= 29)))
    )
    chance = np.where(people.female, by_age(assumptions.daughters_at_home)[age], by_age(assumptions.sons_at_home)[age])
    at_home = single_adult & (rng.random(age.size) < chance)
    return (age < 18) | at_home


def households(rng: np.random.Generator, people: People, share_by_head_age: np.ndarray, gap: float) -> np.ndarray:
    """Extended households: the family of some young heads (with a chance by the head's age) lives in
    the household of a head about `gap` years older (a parent's generation). Families stay what they
    are; the result is the index of each person's household head. A family that joins another is
    not joined itself."""
    n = len(people)
    head = people.head
    household = head.copy()
    heads = np.flatnonzero(head == np.arange(n))
    joining = heads[rng.random(heads.size) < share_by_head_age[people.age[heads]]]
    hosts = np.setdiff1d(heads, joining, assume_unique=True)
    if not joining.size or not hosts.size:
        return household
    wanted = people.age[joining].astype(np.int64) + round(gap)
    host = np.arange(n)
    host[joining] = pick_by_age(rng, hosts, people.age[hosts].astype(np.int64), wanted)
    return host[head]
