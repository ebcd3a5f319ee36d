"""Pure decisions about life events: is an event well formed, and which events does the calendar make.

What an event means for the registry (a child in the mother's family, a death date, a marital
status) is decided for a whole batch at once in `planning.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import an
from himaya.events.model import CALENDAR, EventKind, LifeEvent

EARLIEST = date(1900, 1, 1)  # as the registry's own rule: no event of a living record is older
SEXES = {"F", "M"}
MARITAL = {"single", "married", "divorced", "widowed"}
# The registration statuses that are a registration (or its validation) at the source; a draft,
# a rejected or an archived declaration is not an event Himaya acts on.
REGISTERED = {"REGISTERED", "CERTIFIED", "ISSUED", "VALIDATED", "WAITING_VALIDATION"}
NAMES = tuple(
    f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")
)
# What an event's payload may say, in the people table's words (anything else is refused).
FACTS = (
    "person_id",
    "mother_id",
    "father_id",
    "spouse_id",
    "sex",
    "nationality",
    "birth_date",
    "death_date",
    "marital_status",
    "status",
    "corrects",
    *NAMES,
)
CORRECTABLE = ("birth_date", "death_date", "sex", "nationality", "marital_status", *NAMES)
NEEDS_PERSON = {k.value for k in EventKind} - {EventKind.BIRTH.value}  # a birth's child may have no number yet
# The calendar's events: the age reached, per kind.
AGES = {EventKind.TURNED_60: 60, EventKind.TURNED_18: 18}


def problem(event: LifeEvent, *, today: date) -> str | None:
    """Why the event is malformed (kept as failed with this reason), or None.

    Refused: an unknown kind or code, a missing or impossible date (before 1900, after today, a
    death before the birth it states), a fact the people table does not know."""
    if event.problem:
        return event.problem
    kinds = {k.value for k in EventKind}
    if event.kind not in kinds:
        return f"kind {event.kind!r} is not a life event: one of {', '.join(sorted(kinds))}"
    if event.event_date is None:
        return "event_date: missing"
    if not EARLIEST <= event.event_date <= today:
        return f"event_date {event.event_date}: must be between {EARLIEST} and today ({today})"
    facts = event.facts
    unknown = sorted(set(facts) - set(FACTS))
    if unknown:
        return f"unknown facts {', '.join(unknown)}: an event speaks the people table's words ({', '.join(FACTS)})"
    return _code_problem(facts) or _date_problem(event, facts, today=today) or _person_problem(event, facts)


def _code_problem(facts: Mapping[str, Any]) -> str | None:
    if facts.get("sex") is not None and facts["sex"] not in SEXES:
        return f"sex {facts['sex']!r}: must be F or M"
    if facts.get("marital_status") is not None and facts["marital_status"] not in MARITAL:
        return f"marital_status {facts['marital_status']!r}: must be one of {', '.join(sorted(MARITAL))}"
    status = facts.get("status")
    if status is not None and status not in REGISTERED:
        return f"status {status!r} at the source is not a registration (one of {', '.join(sorted(REGISTERED))})"
    nationality = facts.get("nationality")
    if nationality is not None and not (isinstance(nationality, str) and len(nationality) == 2):
        return f"nationality {nationality!r}: must be an ISO 3166-1 alpha-2 code (e.g. OM)"
    return None


def _date_problem(event: LifeEvent, facts: Mapping[str, Any], *, today: date) -> str | None:
    for name in ("birth_date", "death_date"):
        value = facts.get(name)
        if value is None:
            continue
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return f"{name} {value!r}: not a date like 2026-01-31"
        if not EARLIEST <= day <= today:
            return f"{name} {day}: must be between {EARLIEST} and today ({today})"
    born, died = facts.get("birth_date"), facts.get("death_date")
    dated = event.event_date is not None and born is not None
    if event.kind == EventKind.DEATH and dated and str(event.event_date) < str(born):
        return f"death on {event.event_date} before the birth the event states ({born})"
    if born is not None and died is not None and str(died) < str(born):
        return f"death_date {died} before birth_date {born}"
    return None


def _person_problem(event: LifeEvent, facts: Mapping[str, Any]) -> str | None:
    if event.kind in NEEDS_PERSON and not facts.get("person_id"):
        return f"person_id: {an(event.kind)} names the person it is about"
    if event.kind == EventKind.BIRTH and facts.get("sex") is None:
        return "sex: a birth states the child's sex (F or M)"
    if event.kind in (EventKind.CORRECTION, EventKind.CANCELLATION) and not facts.get("corrects"):
        return f"corrects: {an(event.kind)} names the event id of the registration it {event.kind}s"
    if event.kind == EventKind.CORRECTION and not any(facts.get(k) is not None for k in CORRECTABLE):
        return f"a correction gives at least one corrected value ({', '.join(CORRECTABLE)})"
    return None


def anniversary(born: pl.Expr, age: int) -> pl.Expr:
    """The day a person born on `born` reaches `age` completed years (29 February: 1 March in
    years without it, as the pack's `age_at` counts)."""
    year = born.dt.year() + age
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (born.dt.month() == 2) & (born.dt.day() == 29)
    month = pl.when(feb29 & ~leap).then(3).otherwise(born.dt.month())
    day = pl.when(feb29 & ~leap).then(1).otherwise(born.dt.day())
    return pl.date(year, month, day)


def calendar_events(
    people: pl.DataFrame, period: Period, *, ages: Mapping[EventKind, int] | None = None
) -> pl.DataFrame:
    """The events the calendar makes in `period`, for the whole registry in one pass.

    `people`: person_id, birth_date, death_date. A person reaching an age in the month, alive that
    day, makes one event dated that day, with an id that names it (the same scan twice makes the
    same ids, so the inbox keeps them once). Columns: source, source_event_id, kind, event_date, person_id.
    """
    frames = []
    for kind, age in (ages or AGES).items():
        day = anniversary(pl.col("birth_date"), age)
        frames.append(
            people.lazy()
            .select("person_id", day.alias("event_date"), pl.col("death_date"))
            .filter(
                pl.col("event_date").is_between(period.start, period.end),
                pl.col("death_date").is_null() | (pl.col("death_date") > pl.col("event_date")),
            )
            .select(
                pl.lit(CALENDAR).alias("source"),
                pl.concat_str(pl.lit(f"{kind.value}:"), pl.col("person_id")).alias("source_event_id"),
                pl.lit(kind.value).alias("kind"),
                "event_date",
                "person_id",
            )
        )
    return pl.concat(frames).collect().sort("event_date", "source_event_id")
