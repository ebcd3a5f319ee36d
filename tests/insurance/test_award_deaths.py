"""A death ends the awards whatever path records it (a registry import, an officer's change, a life
event), on SQLite and PostgreSQL, and the payroll then owes no month after it; a survivor who leaves
a survivor pension (a death, a child's age limit, a marriage the officer records) has the pension
shared again among those left from the next month, the old share rows kept, the payroll paying and
`himaya explain` counting the new amounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from himaya import bootstrap
from himaya.bootstrap import payroll
from himaya.core.access import Principal, Scope
from himaya.core.periods import Period
from himaya.db.engine import connect
from himaya.db.tables import audit_entry
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.registry import actions as registry
from tests.insurance.award_users import as_user
from tests.insurance.test_awards import (
    PEOPLE,
    SHORT,
    _lines,
    _survivors,
    _with_accounts,
    ok,
    refused,
    store,  # noqa: F401  (the fixture: Mr 10000021 died on 15 June 2026)
)
from tests.insurance.test_commands import himaya

JULY, OCTOBER, NOVEMBER = Period(2026, 7), Period(2026, 10), Period(2026, 11)
DISABILITY = ("insurance", "award", "10000081", "--benefit", "disability", "--on", "2026-04-01", "--reform", SHORT)


def _died(tmp_path: Path, civil_number: str, day: str) -> Path:
    """The people table with `civil_number` recorded dead on `day` (a registry import's file)."""
    people = _with_accounts(pl.read_csv(PEOPLE, infer_schema=False)).with_columns(
        pl.when(pl.col("person_id").is_in([civil_number, "10000021"]))
        .then(pl.when(pl.col("person_id") == "10000021").then(pl.lit("2026-06-15")).otherwise(pl.lit(day)))
        .otherwise("death_date")
        .alias("death_date")
    )
    path = tmp_path / f"died-{civil_number}.csv"
    people.write_csv(path)
    return path


def _pay(url: str, *months: Period) -> None:
    """The payroll calculated for July (its go-live: no month before it is owed), then for `months`."""
    engine, pack = connect(url), load_pack()
    for month in (JULY, *months):
        payroll.sync_enrollments(engine, pack, month, actor="officer", today=month.start)
        payroll.calculate(engine, pack, month, actor="maker")
    engine.dispose()


def _paid(url: str, programme: str, person: str) -> dict[date, int]:
    lines = _lines(url).filter(pl.col("programme") == programme, pl.col("end_to_end_id").str.ends_with(person))
    return dict(lines.select("month", "amount").iter_rows())


def test_a_death_recorded_by_a_registry_import_ends_the_awards(store: str, tmp_path: Path) -> None:  # noqa: F811
    ok(as_user(store, "nasser", *DISABILITY))
    ok(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
    ok(himaya("registry", "import", _died(tmp_path, "10000081", "2026-08-10"), "--as-of", "2026-08-10"))
    ended = ok(as_user(store, "nasser", "insurance", "awards", "10000081"))
    assert "2026-04-01 to 2026-08-31 ended" in ended and "ended: death on 2026-08-10" in ended
    engine = connect(store)
    with engine.connect() as connection:
        entries = connection.execute(
            sa.select(audit_entry.c.action, audit_entry.c.actor).where(audit_entry.c.subject == "award:1")
        ).all()
    assert [tuple(e) for e in entries][-1] == ("insurance.award.end", "insurance:officer")  # the import's actor
    _pay(store, OCTOBER)
    paid = _paid(store, "pension_disability", "10000081")
    assert paid and max(paid) == date(2026, 8, 1)  # no month after the death
    engine.dispose()


def test_a_death_recorded_by_an_officers_change_ends_the_awards(store: str) -> None:  # noqa: F811
    ok(as_user(store, "nasser", *DISABILITY))
    engine, pack = connect(store), load_pack()
    with engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version FROM person WHERE civil_number = '10000081'")).scalar()
    officer = Principal("registrar", frozenset({"registrar"}), frozenset({"person.update"}), (Scope("all"),))
    registry.update(
        SqlUnitOfWork(engine), bootstrap.registry_contract(pack), "10000081", {"death_date": "2026-09-02"},
        expected_version=int(version), principal=officer,
    )  # fmt: skip
    ended = ok(as_user(store, "nasser", "insurance", "awards", "10000081"))
    assert "2026-04-01 to 2026-09-30 ended" in ended and "prepared by nasser; ended: death on 2026-09-02" in ended
    engine.dispose()


def _approved_survivor_pension(url: str) -> dict[str, int]:
    ok(as_user(url, "nasser", "insurance", "award", "10000021", "--benefit", "survivor", *_survivors(),
               "--reform", SHORT))  # fmt: skip
    ok(as_user(url, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
    listed = ok(as_user(url, "nasser", "insurance", "awards", "10000021")).split()
    return {listed[i + 1]: int(listed[i + 3].replace(",", "").replace(".", "")) for i, w in enumerate(listed)
            if w in ("widows", "children")}  # fmt: skip


def test_a_survivors_death_by_a_life_event_shares_the_pension_again(store: str, tmp_path: Path) -> None:  # noqa: F811
    before = _approved_survivor_pension(store)
    events = tmp_path / "death.csv"
    events.write_text("event_id,kind,event_date,person_id\nD23,death,2026-09-05,10000023\n")
    ok(himaya("events", "import", events))
    ok(himaya("events", "process"))
    listed = ok(as_user(store, "nasser", "insurance", "awards", "10000022"))
    widow = (sum(before.values()) + 1) // 2  # the widows' half (rounded half up) to the one widow left
    assert f"widows 10000023 1/4 {before['10000023'] / 1000:,.3f} from 2026-07-01 to 2026-09-30" in listed
    assert f"widows 10000022 1/2 {widow / 1000:,.3f} from 2026-10-01" in listed
    assert listed.count("children 10000024 1/6") == 2  # the children's shares as they were, in two rows
    assert "v3" in listed  # approved (v2), then shared again (v3)
    engine = connect(store)
    with engine.connect() as connection:
        review = connection.execute(
            sa.select(audit_entry.c.after).where(audit_entry.c.action == "insurance.award.review")
        ).scalar_one()
    assert '"event"' in str(review) and "death on 2026-09-05" in str(review)
    _pay(store, OCTOBER)
    assert _paid(store, "survivor_pension", "10000022")[date(2026, 9, 1)] == before["10000022"]
    assert _paid(store, "survivor_pension", "10000022")[date(2026, 10, 1)] == widow
    assert max(_paid(store, "survivor_pension", "10000023")) == date(2026, 9, 1)
    explained = ok(himaya("explain", "--period", "2026-10", "--registry", "--person", "10000022"))
    assert f"survivor pension counted ({widow / 1000:.3f} OMR) is paid by Himaya, insurance award 1" in explained
    engine.dispose()


@pytest.fixture
def aged(store: str) -> str:  # noqa: F811
    """The example store with Mr 10000021's son 10000024 born on 15 September 2005: 21 on 15 September 2026."""
    engine = connect(store)
    with engine.begin() as connection:  # a birth date corrected (an import does not move one)
        connection.execute(sa.text("UPDATE person SET birth_date = '2005-09-15' WHERE civil_number = '10000024'"))
    engine.dispose()
    return store


def test_a_review_lets_an_aged_child_and_a_married_one_leave(aged: str) -> None:
    before = _approved_survivor_pension(aged)
    review = ("insurance", "award-review", "1")
    assert "needs insurance.award" in refused(as_user(aged, "maryam", *review, "--version", "2"), 5)
    assert "is at version 2, not 1" in refused(as_user(aged, "nasser", *review, "--version", "1"), 4)
    stranger = refused(as_user(aged, "nasser", *review, "--version", "2", "--left", "10000081", "--on", "2026-10-20",
                               "--reason", "married"), 3)  # fmt: skip
    assert "--left 10000081: not a survivor sharing in this pension now" in stranger
    later = refused(as_user(aged, "nasser", *review, "--version", "2", "--left", "10000025", "--on", "2099-01-01",
                            "--reason", "married"), 2)  # fmt: skip
    assert "after today" in later
    done = ok(as_user(aged, "nasser", *review, "--version", "2"))
    assert "10000024 left (child aged 21 on 2026-09-15)" in done and "version 3" in done
    listed = ok(as_user(aged, "nasser", "insurance", "awards", "10000021"))
    assert "children 10000024 1/6" in listed and "from 2026-07-01 to 2026-09-30" in listed
    assert "children 10000025 1/4" in listed and "children 10000026 1/4" in listed  # two children share their half
    assert "no survivor has left it" in ok(as_user(aged, "nasser", *review, "--version", "3"))
    married = ok(as_user(aged, "nasser", *review, "--version", "3", "--left", "10000025", "--on", "2026-10-20",
                         "--reason", "married"))  # fmt: skip
    assert "10000025 left (married)" in married
    listed = ok(as_user(aged, "nasser", "insurance", "awards", "10000026"))
    assert "children 10000026 1/2" in listed and "from 2026-11-01" in listed
    _pay(aged, NOVEMBER)
    child = _paid(aged, "survivor_pension", "10000026")
    half, quarter = (sum(before.values()) + 1) // 2, (sum(before.values()) * 2 + 4) // 8  # rounded half up
    assert (child[date(2026, 9, 1)], child[date(2026, 11, 1)]) == (before["10000026"], half)
    assert child[date(2026, 10, 1)] in (quarter, quarter + 1)  # 1/4, a baisa of rounding to the first listed
    assert max(_paid(aged, "survivor_pension", "10000024")) == date(2026, 9, 1)
    assert max(_paid(aged, "survivor_pension", "10000025")) == date(2026, 10, 1)
    assert set(_paid(aged, "survivor_pension", "10000022")) == {date(2026, m, 1) for m in range(7, 12)}


def test_a_child_past_the_age_limit_is_refused_when_awarded_unless_disabled(store: str) -> None:  # noqa: F811
    """A child who was 21 before the pension starts is no survivor: refused when awarded (it was
    accepted, then ended at the first review, never paid). A child holding a disability card is
    not held to the limit: awarded, and kept by a review."""
    engine = connect(store)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE person SET birth_date = '1995-03-01' WHERE civil_number = '10000024'"))
    award = ("insurance", "award", "10000021", "--benefit", "survivor", *_survivors(), "--reform", SHORT)
    refusal = refused(as_user(store, "nasser", *award), 2)
    assert "survivor '10000024', named as a child, was 21 on 2016-03-01" in refusal and "nothing was awarded" in refusal
    with engine.begin() as connection:  # nothing awarded; then a disability card recorded for him now
        assert connection.execute(sa.text("SELECT count(*) FROM insurance_award")).scalar_one() == 0
        key = connection.execute(sa.text("SELECT id FROM person WHERE civil_number = '10000024'")).scalar_one()
        connection.execute(
            sa.text("INSERT INTO disability_assessment (person_id, category, card) VALUES (:p, 'physical', :t)"),
            {"p": key, "t": True},
        )
    engine.dispose()
    ok(as_user(store, "nasser", *award))
    ok(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
    kept = ok(as_user(store, "nasser", "insurance", "award-review", "1", "--version", "2"))
    assert "no survivor has left it" in kept
