"""The attacker of a published table: knows every published entry of the table and its margins,
that each line adds up, and that counts are not negative; solves for the hidden entries.

`intervals` gives, for each hidden entry, the smallest and largest value it can take (linear
programming, scipy's HiGHS) given everything published; `determined` the hidden entries the
published equations fix exactly (a rank test: no direction of the equations' null space moves
them).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import linprog

Published = Sequence[Sequence[int | None]]  # the extended table, None where hidden


def _system(table: Published) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """The hidden entries and the equations A x = b they satisfy (one per row and column)."""
    rows, columns = len(table), len(table[0])
    hidden = [(i, j) for i in range(rows) for j in range(columns) if table[i][j] is None]
    index = {e: k for k, e in enumerate(hidden)}
    equations, constants = [], []
    # Row i: its cells (j < C) minus its total (j == C) is zero; the same for each column.
    lines = [[((i, j), 1 if j < columns - 1 else -1) for j in range(columns)] for i in range(rows)]
    lines += [[((i, j), 1 if i < rows - 1 else -1) for i in range(rows)] for j in range(columns)]
    for line in lines:
        a, b = np.zeros(len(hidden)), 0.0
        for (i, j), sign in line:
            value = table[i][j]
            if value is None:
                a[index[(i, j)]] += sign
            else:
                b -= sign * value
        equations.append(a)
        constants.append(b)
    return hidden, np.array(equations).reshape(len(lines), len(hidden)), np.array(constants)


def determined(table: Published) -> set[tuple[int, int]]:
    """The hidden entries the published equations fix to one value."""
    hidden, a, _ = _system(table)
    if not hidden:
        return set()
    basis = null_space(a)
    return {e for k, e in enumerate(hidden) if basis.shape[1] == 0 or np.all(np.abs(basis[k]) < 1e-9)}


def intervals(table: Published) -> dict[tuple[int, int], tuple[float, float]]:
    """Each hidden entry's smallest and largest possible value (counts are not negative)."""
    hidden, a, b = _system(table)
    found = {}
    for k, entry in enumerate(hidden):
        objective = np.zeros(len(hidden))
        bounds = []
        for sign in (1, -1):
            objective[k] = sign
            result = linprog(objective, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            assert result.status in (0, 3), result.message  # 3: unbounded above
            bounds.append(sign * result.fun if result.status == 0 else float("inf"))
        found[entry] = (bounds[0], bounds[1])
    return found


def recovered(table: Published, truth: Sequence[Sequence[int]]) -> dict[tuple[int, int], tuple[float, float]]:
    """The hidden entries the attacker pins down: to one value, or (a count of at least one) to
    fewer than three whole values."""
    pinned = {}
    for (i, j), (low, high) in intervals(table).items():
        values = int(np.floor(high + 1e-6) - np.ceil(low - 1e-6)) + 1 if high != float("inf") else 10**9
        if values < 2 or (truth[i][j] > 0 and values < 3):
            pinned[(i, j)] = (low, high)
    return pinned


def published(table: Sequence[Sequence[int]], hidden: Collection[tuple[int, int]]) -> list[list[int | None]]:
    """The table as published: None where hidden."""
    return [[None if (i, j) in hidden else v for j, v in enumerate(row)] for i, row in enumerate(table)]
