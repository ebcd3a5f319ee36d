"""Errors that reach a user: each says what is wrong, where, and by which rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


class HimayaError(Exception):
    """Base class of the errors Himaya reports to its users."""


class UsageError(HimayaError):
    """A command, option or argument that cannot be used as given."""


@dataclass(frozen=True)
class Problem:
    """One broken value of an input table: its row, column, value and the rule it breaks.

    `row` counts data rows from 1 (the header is not a row); in a CSV file it is on line row + 1.
    Row 0 stands for the header: a problem with the table's columns rather than a value.
    """

    row: int
    column: str
    value: str | None
    rule: str
    kind: str = ""  # the rule without this row's particulars, for summaries; defaults to `rule`

    def __str__(self) -> str:
        if self.row == 0:  # the header itself, e.g. a required column that is missing
            return f"header, column {self.column}: {self.rule}"
        shown = "(empty)" if self.value is None else repr(self.value)
        return f"row {self.row}, column {self.column}, value {shown}: {self.rule}"


class InputTableError(HimayaError):
    """A table refused as a whole because some of its rows break the input contract."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.row, p.column, p.rule))
        super().__init__(f"{source}: {len(self.problems)} problem(s); the table was refused")

    def summary(self) -> list[tuple[str, str, int]]:
        """(column, rule, count) for each kind of problem, most frequent first."""
        counts = Counter((p.column, p.kind or p.rule) for p in self.problems)
        return [(column, rule, n) for (column, rule), n in counts.most_common()]
