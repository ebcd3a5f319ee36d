"""Random people tables that crowd the boundaries of the rules (ages, incomes, dates)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from himaya.policy.packs.oman.schema import DISABILITY_CATEGORIES

# Money near every threshold of the spec, plus ordinary values.
_EDGES = [
    "0",
    "0.001",
    "12.345",
    "30",
    "50",
    "79.999",
    "80",
    "80.001",
    "100",
    "115",
    "162.635",
    "500",
    "1019.999",
    "1020",
    "1020.001",
    "1020.003",
    "1135",
    "1249.999",
    "1250",
    "1250.001",
    "3000",
]


def _money(rng: random.Random, chance: float) -> Decimal:
    if rng.random() > chance:
        return Decimal(0)
    if rng.random() < 0.5:
        return Decimal(rng.choice(_EDGES))
    return Decimal(rng.randint(0, 1_400_000)) / 1000


def _birth(rng: random.Random, around: date) -> date:
    """Mostly birthdays on or next to an age boundary of the month `around`."""
    years = rng.choice([0, 1, 10, 17, 18, 19, 25, 26, 27, 35, 39, 40, 41, 59, 60, 61, 75, rng.randint(0, 95)])
    day = around.replace(day=1) + timedelta(days=rng.choice([-1, 0, 1, 14, 27, 28, 29, 30, 31, rng.randint(-400, 400)]))
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def random_people(rng: random.Random, families: int, around: date) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for f in range(families):
        size = rng.choice([1, 1, 2, 3, 4, 5, 6, 8])
        for i in range(size):
            relationship = "head" if i == 0 else rng.choice(["spouse", "child", "child", "child", "other"])
            born = _birth(rng, around)
            dies = rng.random() < 0.05
            death = born + timedelta(days=rng.randint(0, 40_000)) if dies else None
            if death is not None and rng.random() < 0.5:
                death = around + timedelta(days=rng.randint(-40, 40))
                death = max(death, born)
            disability = rng.random() < 0.08
            people.append(
                {
                    "person_id": f"P{f:06d}-{i}",
                    "family_id": f"F{f:06d}",
                    "relationship": relationship,
                    "sex": rng.choice("FM"),
                    "birth_date": born,
                    "death_date": death,
                    "nationality": rng.choice(["OM", "OM", "OM", "IN", "EG"]),
                    "resident": rng.random() < 0.95,
                    "marital_status": rng.choice(["single", "married", "divorced", "widowed"]),
                    "has_children": rng.random() < 0.5,
                    "employed": rng.random() < 0.3,
                    "disability_category": rng.choice([*DISABILITY_CATEGORIES, "other_approved"])
                    if disability
                    else None,
                    "disability_card": disability and rng.random() < 0.8,
                    "father_deceased": rng.random() < 0.1,
                    "mother_deceased": rng.random() < 0.05,
                    "wage": _money(rng, 0.3),
                    "pension": _money(rng, 0.2),
                    "survivor_pension": _money(rng, 0.15),
                    "alimony": _money(rng, 0.1),
                    "other_income": _money(rng, 0.1),
                    "earning_capacity": _money(rng, 0.2),
                }
            )
    rng.shuffle(people)
    return people
