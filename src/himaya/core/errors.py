"""Errors that reach a user: each says what is wrong, where, and by which rule.

Every error Himaya reports is a `HimayaError` of one `Category`. The entry points map a category
to what their user sees in one place each: `api/errors.py` to an HTTP status, `cli/app.py` to an
exit status. A new error class picks its category by its base class, never by a mapping elsewhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

QUOTED = 80  # characters of a bad value an error message quotes (a 1 MB value is not echoed back)
# A quoted value (as repr writes it: the same quote inside is escaped) opens after a non-letter, so
# that the apostrophe of "an application's form" is not taken for a quote.
_LONG = [re.compile(rf"(?<!\w){q}((?:[^{q}\\\n]|\\.){{{QUOTED}}})(?:[^{q}\\\n]|\\.)+{q}") for q in ("'", '"')]


def quoted(value: object) -> str:
    """A value as an error message quotes it: its repr, cut to `QUOTED` characters with an ellipsis.

    >>> quoted("x" * 100) == repr("x" * 79 + "…")
    True
    """
    if isinstance(value, str) and len(value) > QUOTED:
        return repr(value[: QUOTED - 1] + "…")
    text = repr(value)
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


def clipped(message: str) -> str:
    """The message with every quoted value in it cut to `QUOTED` characters (what the entry points
    show, whoever wrote the message).

    >>> clipped("unknown type '" + "x" * 100 + "'; types: a, b") == "unknown type '" + "x" * 80 + "…'; types: a, b"
    True
    """
    for pattern in _LONG:
        message = pattern.sub(lambda m: f"{m.group()[0]}{m.group(1)}…{m.group()[0]}", message)
    return message


class Category(StrEnum):
    """What kind of refusal an error is, whatever the capability that raised it."""

    INVALID_INPUT = "invalid_input"  # the request or the file is wrong: fix it and try again
    NOT_FOUND = "not_found"  # no such record (or none the user may see: the two are never told apart)
    CONFLICT = "conflict"  # the record's state or version does not allow it now
    FORBIDDEN = "forbidden"  # this user may not do it, whatever the input


class HimayaError(Exception):
    """Base class of the errors Himaya reports to its users."""

    category: ClassVar[Category] = Category.INVALID_INPUT
    code: ClassVar[str | None] = None  # a finer code for programs (e.g. stale_record); the category otherwise

    @property
    def error_code(self) -> str:
        return self.code or self.category.value


class InvalidInputError(HimayaError):
    """Input that breaks a rule: a value, a file, an option."""


class NamedRuleError(InvalidInputError):
    """An invalid input whose rule has a key and values besides its English sentence, so that a
    front end can say it in its reader's language (`rule`: e.g. "months.order"; `values`: what the
    sentence names)."""

    def __init__(self, message: str, rule: str, **values: object) -> None:
        super().__init__(message)
        self.rule, self.values = rule, {k: str(v) for k, v in values.items()}


class UsageError(InvalidInputError):
    """A command, option or argument that cannot be used as given."""


class TooLargeError(InvalidInputError):
    """An input (an uploaded file) larger than its limit: 413 over HTTP, exit 2 at the command line."""

    code = "too_large"


class NotFoundError(HimayaError):
    """No such record, or none within the user's reach (told apart from nothing else)."""

    category = Category.NOT_FOUND


class ConflictError(HimayaError):
    """The record's state or version does not allow the action now; nothing was changed."""

    category = Category.CONFLICT


class StaleRecordError(ConflictError):
    """An optimistic lock lost: the record changed since the version the caller read."""

    code = "stale_record"


class ForbiddenError(HimayaError):
    """The acting user may not do this (e.g. approve a run they prepared)."""

    category = Category.FORBIDDEN


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
        shown = "(empty)" if self.value is None else quoted(self.value)
        return f"row {self.row}, column {self.column}, value {shown}: {self.rule}"


class InputTableError(InvalidInputError):
    """A table refused as a whole because some of its rows break the input contract."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.row, p.column, p.rule))
        super().__init__(f"{source}: {len(self.problems)} problem(s); the table was refused")

    def __reduce__(self) -> tuple[type[InputTableError], tuple[str, list[Problem]]]:
        """Pickled whole (a cluster's worker sends it back to the command), not as its message alone."""
        return (InputTableError, (self.source, self.problems))

    def summary(self) -> list[tuple[str, str, int]]:
        """(column, rule, count) for each kind of problem, most frequent first."""
        counts = Counter((p.column, p.kind or p.rule) for p in self.problems)
        return [(column, rule, n) for (column, rule), n in counts.most_common()]
