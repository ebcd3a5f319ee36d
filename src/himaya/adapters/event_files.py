"""Life events from a civil registry without an API: a CSV file in the people table's words.

One row per event: `event_id` (the registry's own id of the event, unique for the source),
`kind`, `event_date`, then the facts under the people table's column names (`person_id`,
`mother_id`, `father_id`, `spouse_id`, `sex`, `nationality`, the name columns, `marital_status`,
`birth_date`, `death_date`, `status`, `corrects`). A header the vocabulary does not know refuses
the file; a row that is wrong (a date that is not one) is kept as a failed event with its reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from himaya.core.errors import InvalidInputError
from himaya.events.model import LifeEvent
from himaya.events.rules import FACTS

REQUIRED = ("event_id", "kind", "event_date")


def read_events_csv(path: Path, *, source: str) -> list[LifeEvent]:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{path}: not a CSV file of life events: {error}") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in (*REQUIRED, *FACTS)]
    if missing or unknown:
        said = [f"missing columns {', '.join(missing)}"] if missing else []
        said += [f"unknown columns {', '.join(unknown)}"] if unknown else []
        raise InvalidInputError(
            f"{path}: {'; '.join(said)} (a life events file has {', '.join(REQUIRED)} and the people table's"
            f" words: {', '.join(FACTS)})"
        )
    events = []
    for number, row in enumerate(frame.iter_rows(named=True), start=2):
        facts = {k: v.strip() for k, v in row.items() if k in FACTS and v is not None and v.strip()}
        event_id = (row["event_id"] or "").strip() or f"{path.name}:line {number}"
        kind = (row["kind"] or "").strip()
        when, problem = _date(row["event_date"], number)
        events.append(LifeEvent(source, event_id, kind or "unknown", when, facts, problem=problem))
    return events


def _date(text: str | None, line: int) -> tuple[date | None, str | None]:
    if text is None or not text.strip():
        return None, f"line {line}: event_date is missing"
    try:
        return date.fromisoformat(text.strip()), None
    except ValueError:
        return None, f"line {line}: event_date {text!r} is not a date like 2026-01-31"
