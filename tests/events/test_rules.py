"""The pure rules: what is a malformed event, which events the calendar makes, what a batch means."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from himaya.core.periods import Period
from himaya.events.model import LifeEvent
from himaya.events.planning import event_frame, plan
from himaya.events.rules import FACTS, anniversary, calendar_events, problem

TODAY = date(2026, 11, 30)


def _event(kind: str, day: date | None = date(2026, 10, 1), **facts: str) -> LifeEvent:
    return LifeEvent("crvs", "1", kind, day, facts)


@pytest.mark.parametrize(
    ("event", "said"),
    [
        (_event("emigration", person_id="71000001"), "'emigration' is not a life event"),
        (_event("death", None, person_id="71000001"), "event_date: missing"),
        (_event("death", date(2027, 1, 1), person_id="71000001"), "must be between 1900-01-01 and today"),
        (_event("death", date(1899, 12, 31), person_id="71000001"), "must be between"),
        (_event("death", date(2026, 1, 1), person_id="71000001", birth_date="2026-02-01"), "before the birth"),
        (_event("birth", mother_id="71000002", sex="U"), "sex 'U'"),
        (_event("birth", mother_id="71000002"), "states the child's sex"),
        (_event("marriage", person_id="71000001", marital_status="engaged"), "marital_status 'engaged'"),
        (_event("death", person_id="71000001", status="REJECTED"), "is not a registration"),
        (_event("death", person_id="71000001", nationality="OMN"), "alpha-2"),
        (_event("death", person_id="71000001", shoe_size="44"), "unknown facts shoe_size"),
        (_event("death"), "person_id: a death names the person"),
        (_event("correction", person_id="71000001"), "corrects: a correction names"),
        (_event("correction", person_id="71000001", corrects="D1"), "at least one corrected value"),
        (_event("death", person_id="71000001", death_date="2026-02-30"), "not a date"),
    ],
)
def test_malformed_events_are_refused_with_their_reason(event: LifeEvent, said: str) -> None:
    reason = problem(event, today=TODAY)
    assert reason is not None and said in reason, reason


def test_well_formed_events_pass() -> None:
    assert problem(_event("birth", mother_id="71000002", sex="F", status="REGISTERED"), today=TODAY) is None
    assert problem(_event("death", person_id="71000001", nationality="OM"), today=TODAY) is None


def test_anniversaries_follow_completed_years() -> None:
    born = pl.Series("b", [date(2008, 3, 15), date(2008, 2, 29), date(1964, 2, 29)])
    days = pl.select(anniversary(pl.lit(born), 18)).to_series().to_list()
    assert days == [date(2026, 3, 15), date(2026, 3, 1), date(1982, 3, 1)]
    assert pl.select(anniversary(pl.lit(born), 20)).to_series()[1] == date(2028, 2, 29)  # a leap year


def test_the_calendar_makes_one_event_per_birthday_in_the_month_for_the_living() -> None:
    people = pl.DataFrame(
        {
            "person_id": ["1", "2", "3", "4", "5"],
            "birth_date": [date(1966, 11, 1), date(1966, 12, 1), date(2008, 11, 30), date(1966, 11, 20),
                           date(2008, 2, 29)],
            "death_date": [None, None, None, date(2026, 11, 10), None],
        }
    )  # fmt: skip
    made = calendar_events(people, Period(2026, 11))
    assert made.select("source_event_id", "event_date").rows() == [
        ("turned_60:1", date(2026, 11, 1)),
        ("turned_18:3", date(2026, 11, 30)),
    ]
    march = calendar_events(people, Period(2026, 3))
    assert march["source_event_id"].to_list() == ["turned_18:5"]


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2026, 12, 31)), st.integers(min_value=1, max_value=90))
def test_the_anniversary_is_the_first_day_of_the_age(born: date, age: int) -> None:
    day = pl.select(anniversary(pl.lit(born), age)).item()

    def age_at(on: date) -> int:
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    assert age_at(day) == age
    assert age_at(date.fromordinal(day.toordinal() - 1)) == age - 1


PEOPLE_COLUMNS = {
    "person_id": pl.String, "family_id": pl.String, "relationship": pl.String, "sex": pl.String,
    "birth_date": pl.Date, "death_date": pl.Date, "nationality": pl.String, "resident": pl.Boolean,
    "marital_status": pl.String, "has_children": pl.Boolean, "father_deceased": pl.Boolean,
    "mother_deceased": pl.Boolean, "disability_card": pl.Boolean, "given_name_en": pl.String,
    "governorate": pl.String, "wilayat": pl.String, "wage": pl.Int64,
}  # fmt: skip


def _people(*rows: tuple[str, str, str, str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"person_id": p, "family_id": f, "relationship": r, "sex": s, "birth_date": date.fromisoformat(b),
             "death_date": None, "nationality": "OM", "resident": True, "marital_status": m, "has_children": False,
             "father_deceased": False, "mother_deceased": False, "disability_card": False, "given_name_en": None,
             "governorate": None, "wilayat": "Nizwa", "wage": 0}
            for p, f, r, s, b, m in rows
        ],
        schema=PEOPLE_COLUMNS,
    )  # fmt: skip


def _batch(*events: dict[str, object]) -> pl.DataFrame:
    return event_frame([{"id": i + 1, **e} for i, e in enumerate(events)], FACTS)


def no_changes(_people: list[str]) -> pl.DataFrame:
    return pl.DataFrame(schema={"person_id": pl.String, "latest": pl.Date})


def test_a_head_with_two_wives_is_not_widowed_by_one_death() -> None:
    people = _people(
        ("1", "F", "head", "M", "1970-01-01", "married"),
        ("2", "F", "spouse", "F", "1975-01-01", "married"),
        ("3", "F", "spouse", "F", "1980-01-01", "married"),
        ("4", "F", "child", "M", "2010-01-01", "single"),
    )
    decided = plan(_batch({"kind": "death", "event_date": date(2026, 5, 1), "person_id": "2"}), people, no_changes)
    rows = {r["person_id"]: r for r in decided.records.to_dicts()}
    assert set(rows) == {"2"}  # the head keeps his other wife; whose mother died is unknown: no orphan flag
    assert rows["2"]["death_date"] == date(2026, 5, 1)


def test_events_of_one_person_wait_for_the_next_batch() -> None:
    people = _people(("1", "F", "head", "M", "1970-01-01", "single"))
    batch = _batch(
        {"kind": "marriage", "event_date": date(2026, 5, 1), "person_id": "1"},
        {"kind": "death", "event_date": date(2026, 6, 1), "person_id": "1"},
        {"kind": "death", "event_date": date(2026, 6, 1), "person_id": "9"},
    )
    decided = plan(batch, people, no_changes)
    assert decided.deferred == (2,)
    assert decided.outcomes.select("id", "state").rows() == [(1, "applied"), (3, "held")]
