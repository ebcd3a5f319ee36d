"""A second, deliberately naive implementation of policy/oman.md, person by person in plain Python.

It shares nothing with the engine but the specification (not even the parameter files: the values
are written out here from the spec), so that the two can be compared row for row on random tables.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Person = dict[str, Any]


@dataclass(frozen=True)
class Month:
    start: date
    end: date


def age(birth: date, day: date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def alive(p: Person, m: Month) -> bool:
    return p["death_date"] is None or p["death_date"] >= m.start


def base(p: Person, m: Month) -> bool:
    return p["nationality"] == "OM" and p["resident"] and alive(p, m) and p["birth_date"] <= m.end


def omr(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def individual(p: Person, m: Month) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not base(p, m):
        return out
    a_start, a_end = age(p["birth_date"], m.start), age(p["birth_date"], m.end)
    if a_start < 18:
        out["child"] = Decimal(10)
    if a_end >= 60:
        income = p["wage"] + p["pension"] + p["survivor_pension"] + p["other_income"]
        if m.start < date(2026, 1, 1) or income <= 1020:
            out["elderly"] = Decimal(115)
        elif income >= 1250:
            out["elderly"] = Decimal(0)
        else:
            out["elderly"] = max(Decimal(0), omr(Decimal(115) - Decimal("0.5") * (income - 1020)))
    if p["disability_card"] and p["disability_category"] in {
        "autism",
        "down_syndrome",
        "intellectual",
        "visual",
        "hearing",
        "physical",
        "other_approved",
    }:
        out["disability"] = Decimal(130)
    if a_start < 18 and (p["father_deceased"] or p["mother_deceased"]):
        out["orphan"] = max(Decimal(0), 80 - p["survivor_pension"])
    if p["sex"] == "F" and p["marital_status"] == "widowed" and a_end < 60:
        out["widow"] = max(Decimal(0), 80 - p["pension"] - p["survivor_pension"])
    if out.get("disability", 0) > 0 and out.get("elderly", 0) > 0:
        out["elderly"] = Decimal(0)
    return {k: v for k, v in out.items() if v > 0}


def counted(p: Person, m: Month) -> bool:
    if not (alive(p, m) and p["birth_date"] <= m.end):
        return False
    rel = p["relationship"]
    if rel in ("head", "spouse"):
        return True
    if rel != "child" or p["employed"]:
        return False
    a = age(p["birth_date"], m.start)
    if a <= 26:
        return True
    status = p["marital_status"]
    return p["sex"] == "F" and a < 40 and (status == "single" or (status == "divorced" and not p["has_children"]))


def target(n: int) -> Decimal:
    # 115 x sqrt(n) to the baisa, half up: compare squares exactly instead of trusting floats.
    s = 115000 * 115000 * n
    t = math.isqrt(s)
    if (2 * t + 1) ** 2 <= 4 * s:
        t += 1
    return Decimal(t) / 1000


def family_support(members: list[Person], benefits: dict[str, dict[str, Decimal]], m: Month) -> Decimal:
    head = next(p for p in members if p["relationship"] == "head")
    unit = [p for p in members if counted(p, m)]
    if not (
        head["resident"]
        and alive(head, m)
        and head["birth_date"] <= m.end
        and any(p["nationality"] == "OM" for p in unit)
    ):
        return Decimal(0)
    new_rules = m.start >= date(2026, 1, 1)
    woman_head = head["sex"] == "F"
    wd_head = woman_head and head["marital_status"] in ("widowed", "divorced")
    counted_children = sum(1 for p in unit if p["relationship"] == "child")
    total = Decimal(0)
    for p in unit:
        income = p["wage"] + p["pension"] + p["other_income"]
        income += 0 if (new_rules and wd_head) else p["alimony"]
        income += 0 if (new_rules and wd_head and p["relationship"] == "child") else p["survivor_pension"]
        waive = False
        if new_rules and p is head and woman_head:
            a, st, kids = age(p["birth_date"], m.start), p["marital_status"], p["has_children"]
            waive = (
                (st == "single" and a >= 40)
                or (st == "divorced" and kids and a >= 40)
                or (st == "divorced" and kids and counted_children == 0)
                or (st == "widowed" and not kids)
            )
        income += 0 if waive else p["earning_capacity"]
        own = benefits.get(p["person_id"], {})
        income += sum(own.get(k, Decimal(0)) for k in ("elderly", "disability", "orphan", "widow"))
        total += income
    amount = max(Decimal(0), target(len(unit)) - total)
    if len(unit) == 1 and woman_head and head["marital_status"] in ("single", "divorced", "widowed"):
        amount = min(amount, Decimal(80) if not new_rules else Decimal(115))
    return amount


def entitlements(people: list[Person], m: Month) -> list[tuple[str, str, str, str]]:
    """(family_id, person_id, programme, amount) rows, sorted as the output contract says."""
    benefits = {p["person_id"]: individual(p, m) for p in people}
    families: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        families[p["family_id"]].append(p)
    rows = [
        (p["family_id"], p["person_id"], k, f"{v:.3f}") for p in people for k, v in benefits[p["person_id"]].items()
    ]
    for family_id, members in families.items():
        amount = family_support(members, benefits, m)
        if amount > 0:
            head = next(p for p in members if p["relationship"] == "head")
            rows.append((family_id, head["person_id"], "family_income_support", f"{amount:.3f}"))
    return sorted(rows)
