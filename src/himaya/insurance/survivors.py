"""A death pension shared among the survivors by the dated sharing table (`pension_terms.SharingTable`).

The table gives each group present (widows, children, parents) its share of the pension; a group's
share is split equally among its members, and a lone parent is paid `one_parent` of the parents'
share. Each survivor's amount is the exact share rounded down to the baisa, and the baisa lost to
rounding go one each to the largest remainders (the first survivors listed on a tie), so that the
amounts paid sum exactly to the pension times the shares paid, rounded half up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import polars as pl

from himaya.core.errors import InvalidInputError
from himaya.core.money import round_half_up
from himaya.core.periods import Period
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


@dataclass(frozen=True)
class Split:
    """A survivor pension's shares after survivors left: the open rows ended (row id, last day paid),
    the new rows (person_key, civil_number, group, share, amount, valid_from, valid_to: null, open),
    and the award's last day if no survivor is left."""

    ended: tuple[tuple[int, date], ...]
    new: pl.DataFrame
    last: date | None


def split_again(
    open_shares: pl.DataFrame,
    left: dict[str, date],
    pension: int,
    terms: Callable[[date], tuple[SharingTable, bool]],
) -> Split:
    """The shares once the survivors of `left` (civil number: the day they left) have left, month by
    month: a leaver's share is paid to the end of the month they left in; from the next month, if the
    sharing rule says so (`terms(day)`: the sharing table and whether to share again, on that day), the
    whole pension is shared again among those left by the table's row for the groups still present
    (members in the order they were named), else their shares stay as they were.

    `open_shares`: id, person_key, civil_number, group, share, amount, valid_from (in the order named).
    """
    rows: list[dict[str, Any]] = [r | {"valid_to": None} for r in open_shares.iter_rows(named=True)]
    named = {r["civil_number"] for r in rows}
    current, last = list(rows), None
    for month in sorted({Period.containing(d) for c, d in left.items() if c in named}):
        gone = [r for r in current if r["civil_number"] in left and Period.containing(left[r["civil_number"]]) == month]
        stay = [r for r in current if r not in gone]
        for r in gone:
            r["valid_to"] = max(month.end, r["valid_from"] - timedelta(days=1))
        if not stay:
            last = month.end
            break
        after = month.end + timedelta(days=1)
        table, again = terms(after)
        if not again:
            current = stay
            continue
        split = shares(pension, {g: sum(r["group"] == g for r in stay) for g in GROUPS}, table)
        fresh = []
        for r, s in zip(sorted(stay, key=lambda r: GROUPS.index(r["group"])), split.iter_rows(named=True), strict=True):
            start = max(after, r["valid_from"])
            r["valid_to"] = start - timedelta(days=1)
            fresh.append(
                r | {"id": None, "share": s["share"], "amount": s["amount"], "valid_from": start, "valid_to": None}
            )
        rows += fresh
        current = fresh
    ended = tuple((int(r["id"]), r["valid_to"]) for r in rows if r["id"] is not None and r["valid_to"] is not None)
    columns = ("person_key", "civil_number", "group", "share", "amount", "valid_from", "valid_to")
    schema = {
        "person_key": pl.Int64, "civil_number": pl.String, "group": pl.String, "share": pl.String,
        "amount": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date,
    }  # fmt: skip
    new = pl.DataFrame([{c: r[c] for c in columns} for r in rows if r["id"] is None], schema=schema, orient="row")
    return Split(ended, new, last)
