"""A death pension shared among the survivors by the dated sharing table (`pension_terms.SharingTable`).

The table gives each group present (widows, children, parents) its share of the pension; a group's
share is split equally among its members, and a lone parent is paid `one_parent` of the parents'
share. Each survivor's amount is the exact share rounded down to the baisa, and the baisa lost to
rounding go one each to the largest remainders (the first survivors listed on a tie), so that the
amounts paid sum exactly to the pension times the shares paid, rounded half up.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from himaya.core.errors import InvalidInputError
from himaya.core.money import round_half_up
from himaya.insurance.pension_terms import GROUPS, SharingTable

LIMITS = {"widows": 4, "children": 30, "parents": 2}


def table_key(counts: dict[str, int]) -> str:
    """The table's row for the groups present: 'widows_children', ...; InvalidInputError if none."""
    for group, count in counts.items():
        if not 0 <= count <= LIMITS[group]:
            raise InvalidInputError(f"{group}: {count} is not from 0 to {LIMITS[group]}")
    present = [g for g in GROUPS if counts.get(g, 0) > 0]
    if not present:
        raise InvalidInputError(
            "no survivor: a death pension is shared among widows, children or parents (at least one)"
        )
    return "_".join(present)


def shares(pension: int, counts: dict[str, int], table: SharingTable) -> pl.DataFrame:
    """group, member (1, 2, ...), share (of the whole pension, as a fraction 'n/d'), amount (baisa).

    >>> from datetime import date
    >>> table = SharingTable(date(2026, 1, 1), {"widows_children": {"widows": Fraction(1, 2),
    ...     "children": Fraction(1, 2)}}, Fraction(1, 2))
    >>> shares(100_000, {"widows": 1, "children": 3}, table)["amount"].to_list()
    [50000, 16667, 16667, 16666]
    """
    row = table.rows[table_key(counts)]
    members: list[tuple[str, int, Fraction]] = []
    for group in GROUPS:
        count = counts.get(group, 0)
        if count:
            part = row[group] * (table.one_parent if group == "parents" and count == 1 else 1)
            members += [(group, i + 1, part / count) for i in range(count)]
    exact = [pension * share for _, _, share in members]
    amounts = [int(e) for e in exact]  # floor: all are >= 0
    left = round_half_up(sum(exact, Fraction(0))) - sum(amounts)
    for index in sorted(range(len(exact)), key=lambda i: (-(exact[i] - amounts[i]), i))[:left]:
        amounts[index] += 1
    return pl.DataFrame(
        {
            "group": [g for g, _, _ in members],
            "member": [m for _, m, _ in members],
            "share": [f"{s.numerator}/{s.denominator}" for _, _, s in members],
            "amount": amounts,
        },
        schema={"group": pl.String, "member": pl.Int64, "share": pl.String, "amount": pl.Int64},
    )
