"""The worker on both databases: events from the inbox into the registry, once each."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine, text

from himaya.adapters.records import PackContract
from himaya.core.periods import Period
from himaya.db.registry_import import import_people
from himaya.events import actions
from himaya.events.model import LifeEvent
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import people_frame
from tests.events.conftest import REGISTERED, TODAY, birth, current, death, inbox, person, process, receive, uow


def test_a_birth_adds_the_child_to_the_mothers_family(registry: Engine, contract: PackContract) -> None:
    assert receive(registry, birth("B1", "71000004", "71000002", "2026-10-05")).received == 1
    done = process(registry, contract)
    assert done.applied == 1, inbox(registry)
    child = current(registry, "71000004")
    assert child["family_id"] == "F1" and child["relationship"] == "child"
    assert child["birth_date"] == date(2026, 10, 5) and child["nationality"] == "OM"
    assert inbox(registry)["state"].to_list() == ["applied"]


def test_a_daughters_child_is_another_member_of_her_family(registry: Engine, contract: PackContract) -> None:
    receive(registry, birth("B2", "71000022", "71000021", "2026-10-20", sex="M"))
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000022")["relationship"] == "other"
    assert current(registry, "71000021")["has_children"] is True


def test_a_death_sets_the_date_widows_the_spouse_and_orphans_the_children(
    registry: Engine, contract: PackContract
) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000001")["death_date"] == date(2026, 9, 10)
    assert current(registry, "71000002")["marital_status"] == "widowed"
    assert current(registry, "71000003")["father_deceased"] is True
    with registry.connect() as connection:  # history as of the event's date, not today
        since = connection.execute(
            text(
                "SELECT s.valid_from FROM person_situation s JOIN person p ON p.id = s.person_id"
                " WHERE p.civil_number = '71000002' AND s.valid_to IS NULL"
            )
        ).scalar_one()
    assert str(since) == "2026-09-10"


def test_a_reimport_is_a_duplicate_and_changes_nothing(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    process(registry, contract)
    again = receive(registry, death("D1", "71000001", "2026-09-10"), death("D1", "71000001", "2026-09-10"))
    assert (again.received, again.duplicate) == (0, 2)
    assert process(registry, contract).applied == 0
    assert inbox(registry).height == 1


def test_the_same_death_from_another_source_is_a_duplicate_state(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    process(registry, contract)
    receive(registry, death("9", "71000001", "2026-09-10", source="file"))
    assert process(registry, contract).duplicate == 1
    assert inbox(registry)["state"].to_list() == ["applied", "duplicate"]


def test_a_death_before_the_birth_is_held_then_applied(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D9", "71000009", "2026-10-25"))
    assert process(registry, contract).held == 1
    receive(registry, birth("B9", "71000009", "71000002", "2026-10-21"))
    process(registry, contract)  # the birth now; the death, held last run, once more
    assert inbox(registry)["state"].to_list() == ["applied", "applied"], inbox(registry)
    assert current(registry, "71000009")["death_date"] == date(2026, 10, 25)


def test_held_too_long_goes_to_review(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D9", "71000009", "2026-10-25"))
    for _ in range(3):
        process(registry, contract, max_attempts=2)
    row = inbox(registry).row(0, named=True)
    assert row["state"] == "needs_review" and "held on 2 runs" in row["reason"]


def test_a_malformed_event_is_failed_and_never_stops_the_batch(registry: Engine, contract: PackContract) -> None:
    bad = [
        LifeEvent("crvs", "X1", "emigration", date(2026, 10, 1), {"person_id": "71000003"}),
        LifeEvent("crvs", "X2", "death", date(2031, 1, 1), {"person_id": "71000003"}),
        LifeEvent("crvs", "X3", "birth", date(2026, 10, 1), {"person_id": "71000005", "mother_id": "71000002",
                                                             "sex": "X"}),
        LifeEvent("crvs", "X4", "death", date(1999, 1, 1), {"person_id": "71000003"}),  # before the registry's birth
    ]  # fmt: skip
    receive(registry, *bad, birth("B1", "71000004", "71000002", "2026-10-05"))
    done = process(registry, contract)
    frame = inbox(registry)
    assert done.applied == 1 and done.failed == 1, frame
    assert frame.filter(pl.col("state") == "failed").height == 4
    reasons = " ".join(frame["reason"].drop_nulls().to_list())
    assert "'emigration' is not a life event" in reasons and "sex 'X'" in reasons and "before the birth" in reasons


def test_a_batch_the_registry_refuses_is_applied_one_event_at_a_time(registry: Engine, contract: PackContract) -> None:
    # A child's name the registry's contract refuses (a direction mark): the plan cannot see it.
    receive(
        registry,
        birth("B1", "71000004", "71000002", "2026-10-05", given_name_en="Bad\u202ename"),
        death("D3", "71000020", "2026-10-06"),
    )
    done = process(registry, contract)
    frame = inbox(registry)
    assert (done.applied, done.failed) == (1, 1), frame
    assert "given_name_en" in frame.filter(pl.col("state") == "failed")["reason"][0]


def test_a_child_without_a_civil_number_waits_for_a_registrar(registry: Engine, contract: PackContract) -> None:
    receive(registry, birth("B5", None, "71000002", "2026-10-05"))
    assert process(registry, contract).needs_review == 1
    assert "no civil number" in inbox(registry)["reason"][0]


@pytest.mark.parametrize(
    ("mother", "born", "reason"),
    [
        ("71000002", "1950-01-01", "was born on 1985-06-01: not a mother on 1950-01-01"),  # older than its mother
        ("71000001", "2026-10-05", "is recorded as M, not as a woman"),
    ],
)
def test_a_birth_the_mothers_record_makes_impossible_waits_for_a_registrar(
    registry: Engine, contract: PackContract, mother: str, born: str, reason: str
) -> None:
    """An outside attack had a child born in 1950 to a mother born in 1985, and a man as a mother, applied."""
    receive(registry, birth("B9", "71000009", mother, born))
    assert process(registry, contract).needs_review == 1
    assert reason in inbox(registry)["reason"][0]
    with registry.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM person WHERE civil_number = '71000009'")).scalar() == 0


def test_twins_in_one_batch_are_both_applied(registry: Engine, contract: PackContract) -> None:
    # Named apart (twins of one name, or unnamed, look like one birth told twice: a registrar's, test_reversal).
    receive(registry, birth("T1", "71000004", "71000002", "2026-10-05", given_name_en="Huda"),
            birth("T2", "71000005", "71000002", "2026-10-05", given_name_en="Hind"))  # fmt: skip
    done = process(registry, contract)
    assert done.applied == 2 and done.batches == 2, inbox(registry)


def test_two_deaths_in_one_family_are_applied_in_turn(
    registry: Engine, contract: PackContract, oman: PolicyPack
) -> None:
    family = [
        person("72000001", "F9", "head", "M", "1960-01-01", "married", has_children=True),
        person("72000002", "F9", "spouse", "F", "1965-01-01", "married", has_children=True),
        person("72000003", "F9", "spouse", "F", "1970-01-01", "married", has_children=True),
        person("72000004", "F9", "child", "M", "2015-01-01", "single"),
    ]
    frame = validate_table(people_frame(family), oman.registry, source="test")
    import_people(registry, frame, as_of=REGISTERED, actor="registrar", source={"file": "test"})
    receive(registry, death("W1", "72000002", "2026-10-01"), death("W2", "72000003", "2026-10-02"))
    done = process(registry, contract)
    # The second death reads the family the first left: its only wife dies, the child loses his mother.
    assert (done.applied, done.batches) == (2, 2), inbox(registry)
    assert current(registry, "72000004")["mother_deceased"] is True
    assert current(registry, "72000001")["marital_status"] == "widowed"


def test_an_event_before_a_recorded_change_needs_a_registrar(registry: Engine, contract: PackContract) -> None:
    receive(registry, LifeEvent("crvs", "M1", "marriage", date(2026, 10, 1), {"person_id": "71000010"}))
    process(registry, contract)
    receive(registry, LifeEvent("crvs", "M0", "divorce", date(2026, 9, 1), {"person_id": "71000010"}))
    assert process(registry, contract).needs_review == 1
    assert "effective 2026-10-01" in inbox(registry)["reason"][1]
    assert current(registry, "71000010")["marital_status"] == "married"


def test_a_cancelled_death_removes_the_date(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000020", "2026-10-06"))
    process(registry, contract)
    cancel = LifeEvent("crvs", "C1", "cancellation", date(2026, 10, 7), {"person_id": "71000020", "corrects": "D1"})
    fix = LifeEvent("crvs", "K1", "correction", date(2026, 10, 8), {"person_id": "71000003", "corrects": "B0",
                                                                   "given_name_en": "Fixed"})  # fmt: skip
    receive(registry, cancel, fix)
    done = process(registry, contract)
    assert done.applied == 1 and done.held == 1, inbox(registry)  # the correction's registration is unknown
    assert current(registry, "71000020")["death_date"] is None


def test_the_calendar_scan_is_idempotent(registry: Engine, contract: PackContract) -> None:
    early = actions.scan(uow(registry), Period(2026, 11), today=date(2026, 11, 5), actor="events:test")
    assert (early.received, early.not_yet) == (1, 1)  # turning 18 on the 3rd; 60 on the 12th, not yet
    first = actions.scan(uow(registry), Period(2026, 11), today=TODAY, actor="events:test")
    again = actions.scan(uow(registry), Period(2026, 11), today=TODAY, actor="events:test")
    assert (first.received, first.duplicate, again.received, again.duplicate, again.not_yet) == (1, 1, 0, 2, 0)
    assert sorted(inbox(registry)["source_event_id"].to_list()) == ["turned_18:71000021", "turned_60:71000010"]
    assert process(registry, contract).applied == 2


def test_applied_events_replan_the_familys_enrollments(registry: Engine, contract: PackContract) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-10-05"))
    process(registry, contract)
    with registry.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.civil_number, e.programme, e.start_month, e.reason FROM enrollment e"
                " JOIN person p ON p.id = e.person_id ORDER BY 1, 2"
            )
        ).all()
    child = [r for r in rows if r[0] == "71000004"]
    assert [(r[1], str(r[2])) for r in child] == [("child", "2026-10-01")], rows
    assert "after life event birth (event 1)" in child[0][3]
    assert all(r[0].startswith("71000") for r in rows)  # only family F1's people
    assert {r[0] for r in rows} <= {"71000001", "71000002", "71000003", "71000004"}


def test_status_counts_and_lag(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D9", "71000009", "2026-10-25"), birth("B1", "71000004", "71000002", "2026-10-05"))
    before = actions.status(uow(registry))
    assert before.counts["received"] == 2 and before.lag_seconds is not None
    process(registry, contract)
    after = actions.status(uow(registry))
    assert (after.counts["applied"], after.counts["held"]) == (1, 1)
    assert after.oldest_event_date == date(2026, 10, 25)


@pytest.mark.parametrize("point", ["events.process:written", "events.process:settled"])
def test_a_killed_worker_applies_each_event_exactly_once(
    registry: Engine, contract: PackContract, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    class Killed(BaseException):
        pass

    def crash(name: str) -> None:
        if name == point:
            raise Killed(name)

    receive(registry, birth("B1", "71000004", "71000002", "2026-10-05"), death("D3", "71000020", "2026-10-06"))
    monkeypatch.setattr(actions, "checkpoint", crash)
    with pytest.raises(Killed):
        process(registry, contract)
    assert inbox(registry)["state"].to_list() == ["received", "received"]
    assert current(registry, "71000004") == {}
    monkeypatch.undo()
    assert process(registry, contract).applied == 2
    assert process(registry, contract).applied == 0
    with registry.connect() as connection:
        applied = connection.execute(text("SELECT count(*) FROM audit_entry WHERE action = 'event.applied'")).scalar()
        children = connection.execute(text("SELECT count(*) FROM person WHERE civil_number = '71000004'")).scalar()
    assert (applied, children) == (2, 1)
