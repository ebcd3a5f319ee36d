"""The registry's own rules for every write, pure (no database): a place is one wilayat whose
governorate comes from the pack's places, dates stay inside a sane window, and a disability card
goes with the category it was issued for.

They run after the pack's contract (`policy/table.py`), on the validated table, for the import
of a file and for each officer's change alike: one validation for every write path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl

from himaya.core.errors import InputTableError, InvalidInputError, Problem

EARLIEST = date(1900, 1, 1)  # no living or recently deceased person was born or died before this
ROW = "__registry_row"


def place_problems(frame: pl.DataFrame, places: Mapping[str, str], column: str = "wilayat") -> list[Problem]:
    """Rows whose governorate is not the one their place (`column`: Oman's wilayat, Iraq's
    district) lies in: the branch that reads a family is decided by its place, and the rules read
    its governorate, so two fields that disagree would put one family in two branches, or pay it
    by a scheme that does not reach its place (a Kurdistan district under a federal governorate)."""
    if not places or column not in frame.columns or "governorate" not in frame.columns:
        return []
    derived = pl.col(column).replace_strict(places, default=None, return_dtype=pl.String)
    wrong = frame.with_row_index(ROW, offset=1).filter(
        pl.col(column).is_not_null() & pl.col("governorate").is_not_null() & pl.col("governorate").ne(derived)
    )
    word = column.replace("_", " ")
    return [
        Problem(
            row[ROW],
            "governorate",
            row["governorate"],
            f"is not the governorate of the {word} {row[column]} ({places.get(row[column])}): "
            f"give the {word} only, its governorate follows",
            kind=f"is not the governorate of the row's {word}",
        )
        for row in wrong.head(100).iter_rows(named=True)
    ]


def with_places(
    frame: pl.DataFrame, places: Mapping[str, str], *, source: str, column: str = "wilayat"
) -> pl.DataFrame:
    """The table with each governorate derived from its place; refused if a given one disagrees."""
    problems = place_problems(frame, places, column)
    if problems:
        raise InputTableError(source, problems)
    return derive_places(frame, places, column)


def derive_places(frame: pl.DataFrame, places: Mapping[str, str], column: str = "wilayat") -> pl.DataFrame:
    """Each row's governorate from its place (kept as given where the place is empty)."""
    if not places or column not in frame.columns:
        return frame
    derived = pl.col(column).replace_strict(places, default=None, return_dtype=pl.String)
    given = pl.col("governorate") if "governorate" in frame.columns else pl.lit(None, pl.String)
    return frame.with_columns(pl.coalesce(derived, given).alias("governorate"))


def governorate_of(wilayat: str | None, places: Mapping[str, str]) -> str | None:
    if wilayat is None:
        return None
    if wilayat not in places:
        raise InvalidInputError(f"{wilayat!r} is not a known wilayat")
    return places[wilayat]


def date_problems(frame: pl.DataFrame, *, today: date) -> list[Problem]:
    """Birth and death dates that cannot be true: before 1900 or after today."""
    problems = []
    indexed = frame.with_row_index(ROW, offset=1)
    for column in ("birth_date", "death_date"):
        if column not in frame.columns:
            continue
        bad = indexed.filter((pl.col(column) < EARLIEST) | (pl.col(column) > today))
        problems += [
            Problem(
                row[ROW],
                column,
                str(row[column]),
                f"must be between {EARLIEST} and today ({today})",
                kind=f"must be between {EARLIEST} and today",
            )
            for row in bad.head(100).iter_rows(named=True)
        ]
    return problems


CARD_WITHOUT_CATEGORY = "is required when disability_card is true: a disability card is held for an assessed category"


def assessment_problems(frame: pl.DataFrame) -> list[Problem]:
    """Rows holding a disability card without the category it was issued for (an assessment is a
    category, with a card or without one; a card alone is half an assessment)."""
    if "disability_card" not in frame.columns or "disability_category" not in frame.columns:
        return []
    wrong = frame.with_row_index(ROW, offset=1).filter(
        pl.col("disability_card").fill_null(False) & pl.col("disability_category").is_null()
    )
    return [
        Problem(row[ROW], "disability_category", None, CARD_WITHOUT_CATEGORY)
        for row in wrong.head(100).iter_rows(named=True)
    ]


def effective_window(
    as_of: date, *, today: date, days_ahead: int, born: date | None = None, what: str = "valid_from"
) -> None:
    """An effective date is not before the person's birth, nor more than `days_ahead` days ahead:
    a change dated in year 9999 would freeze the record (nothing may be dated before it)."""
    latest = today + timedelta(days=days_ahead)
    if as_of > latest:
        raise InvalidInputError(f"{what}: {as_of} is more than {days_ahead} days ahead (latest {latest})")
    earliest = born or EARLIEST
    if as_of < earliest:
        reason = f"before the person's birth ({born})" if born else f"before {EARLIEST}"
        raise InvalidInputError(f"{what}: {as_of} is {reason}")


def check_dates(frame: pl.DataFrame, *, today: date, source: str) -> None:
    problems = date_problems(frame, today=today)
    if problems:
        raise InputTableError(source, problems)


def cell_text(value: Any) -> str | None:
    """A typed value as the text cell of a record (as a file would hold it), for one validation."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
