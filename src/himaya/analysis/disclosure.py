"""Disclosure control of a published two-way table of counts with its margins (pure rules).

A table of R rows and C columns is published with its margins: a total at the end of each row, a
total row last, and the grand total in the corner, an (R+1) x (C+1) grid. Its entries are
addressed (i, j); i == R is the total row, j == C the total column.

- **Primary suppression**: an entry counting 1 to `threshold - 1` persons is not published (a zero
  reveals nobody and is published).
- **Secondary suppression**: the published entries must not give a hidden one back. Every line
  (a row or a column, its total included) adds up, so a line with exactly one hidden entry gives
  it away: the smallest non-zero published entry of that line is hidden too, preferring one whose
  crossing line already hides something. That is not enough: hidden entries joined only through
  one entry (a "bridge" between two groups of hidden entries) are still determined. Writing the
  margins with a minus sign makes every line sum to zero, so the hidden entries form a bipartite
  graph (rows and columns as nodes) and the published equations determine a hidden entry exactly
  when it lies on no cycle of that graph. So each bridge gets the smallest non-zero entry that
  closes a cycle through it, and both steps repeat until nothing changes.

When every hidden entry is non-zero (the partners are chosen non-zero), each lies on a cycle of
entries of at least 1, along which all can move by one either way: an attacker who knows every
published number and that counts are not negative can narrow a hidden count to no fewer than three
values, and never to one. `tests/analysis/test_disclosure.py` attacks the tables with linear
programming to check it.

>>> counts = [[3, 40, 25], [50, 60, 70]]
>>> sorted(suppress(counts, threshold=10))
[(0, 0), (0, 2), (1, 0), (1, 2)]
>>> sorted(suppress(counts, threshold=10, secondary=False))
[(0, 0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Entry = tuple[int, int]
Grid = Sequence[Sequence[int]]

__all__ = ["Entry", "extended", "primary", "round_to", "suppress"]


def extended(counts: Grid) -> list[list[int]]:
    """The table with its margins: each row's total at its end, then the row of column totals.

    >>> extended([[1, 2], [3, 4]])
    [[1, 2, 3], [3, 4, 7], [4, 6, 10]]
    """
    rows = [[*row, sum(row)] for row in counts]
    width = len(rows[0]) if rows else 1
    return [*rows, [sum(row[j] for row in rows) for j in range(width)]]


def primary(table: Grid, *, threshold: int) -> set[Entry]:
    """The entries counting 1 to threshold - 1 (of the table as given: with its margins or not)."""
    return {(i, j) for i, row in enumerate(table) for j, n in enumerate(row) if 0 < n < threshold}


def suppress(
    counts: Grid, *, threshold: int = 10, sensitive: Iterable[Entry] = (), secondary: bool = True
) -> frozenset[Entry]:
    """The entries of the extended table (`extended(counts)`) not to publish: the primary ones (1
    to threshold - 1 persons, and those `sensitive` names for another reason), and with
    `secondary` the ones hidden so that the published entries cannot give those back."""
    if threshold < 1:
        raise ValueError(f"the threshold must be at least 1, not {threshold}")
    table = extended(counts)
    hidden = primary(table, threshold=threshold) | set(sensitive)
    while secondary:
        added = _lonely_line(table, hidden) or _bridge(table, hidden)
        if added is None:
            break
        hidden.add(added)
    return frozenset(hidden)


def _lines(table: Grid) -> list[list[Entry]]:
    rows, columns = len(table), len(table[0])
    return [[(i, j) for j in range(columns)] for i in range(rows)] + [
        [(i, j) for i in range(rows)] for j in range(columns)
    ]


def _lonely_line(table: Grid, hidden: set[Entry]) -> Entry | None:
    """A partner for the first line with exactly one hidden entry, or None when there is none."""
    lines = _lines(table)
    in_row = [sum(e in hidden for e in line) for line in lines[: len(table)]]
    in_column = [sum(e in hidden for e in line) for line in lines[len(table) :]]
    for index, line in enumerate(lines):
        if sum(e in hidden for e in line) != 1:
            continue
        across = in_column if index < len(table) else in_row  # the line crossing each candidate

        def cost(entry: Entry, across: list[int] = across, by_row: bool = index < len(table)) -> tuple[bool, int]:
            return across[entry[1] if by_row else entry[0]] == 0, table[entry[0]][entry[1]]

        candidates = [e for e in line if e not in hidden and table[e[0]][e[1]] != 0]
        if candidates:
            return min(candidates, key=cost)
    return None


def _bridge(table: Grid, hidden: set[Entry]) -> Entry | None:
    """The smallest entry closing a cycle through the first bridge of the hidden entries, or None."""
    for entry in sorted(hidden):
        row_side = _reachable(("r", entry[0]), hidden - {entry})
        if ("c", entry[1]) in row_side:
            continue  # on a cycle: not determined
        column_side = _reachable(("c", entry[1]), hidden - {entry})
        candidates = [
            (i, j)
            for side, other in ((row_side, column_side), (column_side, row_side))
            for kind, i in side
            if kind == "r"
            for kind_, j in other
            if kind_ == "c" and (i, j) not in hidden
        ]
        nonzero = [e for e in candidates if table[e[0]][e[1]] != 0]
        return min(nonzero or candidates, key=lambda e: (table[e[0]][e[1]], e))
    return None


def _reachable(start: tuple[str, int], edges: set[Entry]) -> set[tuple[str, int]]:
    """The nodes (rows "r" and columns "c") joined to `start` through the hidden entries `edges`."""
    seen, todo = {start}, [start]
    while todo:
        kind, index = todo.pop()
        for i, j in edges:
            if (kind == "r" and i == index) or (kind == "c" and j == index):
                node = ("c", j) if kind == "r" else ("r", i)
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
    return seen


def round_to(value: int, unit: int) -> int:
    """`value` rounded to the nearest multiple of `unit`, halves away from zero (integers only).

    >>> round_to(1_499, 1_000), round_to(1_500, 1_000), round_to(-1_500, 1_000), round_to(7, 1)
    (1000, 2000, -2000, 7)
    """
    if unit < 1:
        raise ValueError(f"the rounding unit must be at least 1, not {unit}")
    magnitude = (2 * abs(value) + unit) // (2 * unit) * unit
    return magnitude if value >= 0 else -magnitude
