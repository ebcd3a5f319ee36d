"""A cancelled registration undone on both databases: the registry's facts as they were before it
(history kept), the enrollments it started ended (paid lines become debts), those it ended in force
again; a replayed cancellation changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from himaya.adapters.records import PackContract
from himaya.events.model import LifeEvent
from tests.events.conftest import birth, current, death, inbox, process, receive


def cancel(eid: str, who: str, corrects: str, day: str = "2026-11-02") -> LifeEvent:
    return LifeEvent("crvs", eid, "cancellation", date.fromisoformat(day), {"person_id": who, "corrects": corrects})


def enrollments(store: Engine, civil: str) -> list[dict[str, Any]]:
    with store.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.id, e.programme, e.status, e.start_month, e.end_month, e.reason FROM enrollment e"
                " JOIN person p ON p.id = e.person_id WHERE p.civil_number = :c ORDER BY e.id"
            ),
            {"c": civil},
        ).mappings()
        return [dict(r) for r in rows]


def audit(store: Engine, action: str) -> list[str]:
    with store.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT subject FROM audit_entry WHERE action = :a"),
                                                 {"a": action})]  # fmt: skip


def test_a_cancelled_death_restores_the_person_the_survivors_and_the_enrollments(
    registry: Engine, contract: PackContract
) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    process(registry, contract)
    assert current(registry, "71000002")["marital_status"] == "widowed"
    ended = [e for e in enrollments(registry, "71000003") if e["status"] == "ended"]
    receive(registry, cancel("C1", "71000001", "D1"))
    done = process(registry, contract)
    assert done.applied == 1, inbox(registry)
    assert current(registry, "71000001")["death_date"] is None
    assert current(registry, "71000002")["marital_status"] == "married"
    assert current(registry, "71000003")["father_deceased"] is False
    for before in ended:  # what the death ended is in force again, from its own start
        again = next(e for e in enrollments(registry, "71000003") if e["id"] == before["id"])
        assert again["status"] == "active" and again["end_month"] is None, again
        assert "was cancelled (event 2): in force again" in again["reason"]
    with registry.connect() as connection:  # history: the widowhood's row kept, valid on no day
        rows = connection.execute(
            text(
                "SELECT s.marital_status, s.valid_from, s.valid_to FROM person_situation s JOIN person p"
                " ON p.id = s.person_id WHERE p.civil_number = '71000002' ORDER BY s.id"
            )
        ).all()
    assert [(r[0], str(r[1]), str(r[2])) for r in rows][-2:] == [
        ("widowed", "2026-09-10", "2026-09-10"), ("married", "2026-09-10", "None")
    ]  # fmt: skip
    assert "person:71000002" in audit(registry, "person.update")
    again = receive(registry, cancel("C1", "71000001", "D1"))
    assert (again.received, again.duplicate) == (0, 1)
    receive(registry, cancel("C2", "71000001", "D1"))  # the same cancellation under another id
    assert process(registry, contract).duplicate == 1, inbox(registry)
    assert "undone already" in inbox(registry)["reason"][2]


def test_a_cancelled_birth_withdraws_the_child_and_its_paid_benefit_becomes_a_debt(
    registry: Engine, contract: PackContract
) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-09-05"))
    process(registry, contract)
    child = enrollments(registry, "71000004")
    assert [e["status"] for e in child] == ["active"], child
    _paid(registry, "71000004", "child", ["2026-09-01", "2026-10-01"])
    receive(registry, cancel("C1", "71000004", "B1"))
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000004") == {}  # in no reading of the registry
    assert current(registry, "71000002")["has_children"] is True  # she had children before
    ended = enrollments(registry, "71000004")[0]
    assert ended["status"] == "ended" and str(ended["end_month"]) == "2026-08-01", ended
    with registry.connect() as connection:
        debts = connection.execute(
            text("SELECT p.civil_number, d.amount, d.status, d.reason FROM debt d JOIN person p ON p.id = d.person_id"
                 " ORDER BY d.id")
        ).all()  # fmt: skip
    assert [(d[0], d[1], d[2]) for d in debts] == [("71000001", 10_000, "open"), ("71000001", 10_000, "open")]
    assert debts[0][3] == "paid for 2026-09 to 71000004: the birth (event 1) was cancelled (event 2)"
    assert audit(registry, "person.withdraw") == ["person:71000004"]
    second = birth("X9", "71000004", "71000002", "2026-09-05")  # the same birth, from a second source
    receive(registry, LifeEvent("opencrvs", "X9", second.kind, second.event_date, second.facts))
    assert process(registry, contract).needs_review == 1, inbox(registry)
    assert "civil number 71000004 is kept on a record in no reading" in inbox(registry)["reason"][2]
    assert len(audit(registry, "debt.create")) == 2


def test_a_cancelled_marriage_restores_the_marital_status(registry: Engine, contract: PackContract) -> None:
    receive(registry, LifeEvent("crvs", "M1", "marriage", date(2026, 10, 1), {"person_id": "71000010"}))
    process(registry, contract)
    assert current(registry, "71000010")["marital_status"] == "married"
    receive(registry, cancel("C1", "71000010", "M1"))
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000010")["marital_status"] == "single"


def test_a_cancellation_of_a_cancellation_goes_to_a_registrar(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    receive(registry, cancel("C1", "71000001", "D1"))
    process(registry, contract)
    receive(registry, cancel("C2", "71000001", "C1"))  # would bring the death back, on no record of its own
    assert process(registry, contract).needs_review == 1, inbox(registry)
    assert "it cancels a cancellation (event 2)" in inbox(registry)["reason"][2]
    assert current(registry, "71000001")["death_date"] is None


def test_a_cancellation_before_its_registration_is_applied_waits(registry: Engine, contract: PackContract) -> None:
    receive(registry, cancel("C1", "71000010", "M1"))
    assert process(registry, contract).held == 1
    receive(registry, LifeEvent("crvs", "M1", "marriage", date(2026, 10, 1), {"person_id": "71000010"}))
    process(registry, contract)
    assert inbox(registry)["state"].to_list() == ["applied", "applied"], inbox(registry)
    assert current(registry, "71000010")["marital_status"] == "single"


def test_a_changed_fact_since_goes_to_a_registrar(registry: Engine, contract: PackContract) -> None:
    receive(registry, LifeEvent("crvs", "M1", "marriage", date(2026, 9, 1), {"person_id": "71000010"}))
    process(registry, contract)
    receive(registry, LifeEvent("crvs", "V1", "divorce", date(2026, 10, 1), {"person_id": "71000010"}))
    process(registry, contract)
    receive(registry, cancel("C1", "71000010", "M1"))
    assert process(registry, contract).needs_review == 1
    assert "marital_status of 71000010 changed again since the marriage" in inbox(registry)["reason"][2]
    assert current(registry, "71000010")["marital_status"] == "divorced"


def test_a_corrected_death_date_is_applied(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000020", "2026-10-06"))
    process(registry, contract)
    fix = LifeEvent("crvs", "K1", "correction", date(2026, 10, 8), {"person_id": "71000020", "corrects": "D1",
                                                                   "death_date": "2026-10-04"})  # fmt: skip
    receive(registry, fix)
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000020")["death_date"] == date(2026, 10, 4)


def _paid(store: Engine, civil: str, programme: str, months: list[str]) -> None:
    """Lines exported to the bank for these months (as a payroll run would have), paid to the family's head."""
    with store.begin() as connection:
        for i, month in enumerate(months):
            run = connection.execute(
                text("INSERT INTO payroll_run (period, state, created_by, created_at, version) VALUES"
                     " (:m, 'exported', 'test', CURRENT_TIMESTAMP, 1) RETURNING id"), {"m": month}
            ).scalar_one()  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO payment_line (run_id, person_id, programme, month, kind, amount, payee_id,"
                    " end_to_end_id, status, deduction) SELECT :r, c.id, :p, :m, 'regular', 10000, h.id, :e,"
                    " 'exported', 0 FROM person c, person h WHERE c.civil_number = :c AND h.civil_number = '71000001'"
                ),
                {"r": run, "p": programme, "m": month, "e": f"E2E-{civil}-{i}", "c": civil},
            )


def test_an_adoption_moves_the_child_into_the_adoptive_family(registry: Engine, contract: PackContract) -> None:
    adopted = {"person_id": "71000021", "mother_id": "71000002", "father_id": "71000001"}
    receive(registry, LifeEvent("crvs", "A1", "adoption", date(2026, 10, 1), adopted))
    assert process(registry, contract).applied == 1, inbox(registry)
    moved = current(registry, "71000021")
    assert (moved["family_id"], moved["relationship"]) == ("F1", "child")
    with registry.connect() as connection:  # history as of the adoption's date
        rows = connection.execute(
            text(
                "SELECT f.family_number, m.valid_from, m.valid_to FROM membership m JOIN family f ON f.id = m.family_id"
                " JOIN person p ON p.id = m.person_id WHERE p.civil_number = '71000021' ORDER BY m.id"
            )
        ).all()
    assert [(r[0], str(r[2])) for r in rows] == [("F3", "2026-10-01"), ("F1", "None")], rows
    receive(registry, LifeEvent("crvs", "A2", "adoption", date(2026, 10, 2), adopted))
    assert process(registry, contract).duplicate == 1
    receive(registry, LifeEvent("crvs", "A3", "adoption", date(2026, 10, 3), {"person_id": "71000003"}))
    assert process(registry, contract).needs_review == 1


def test_a_fetal_death_is_recorded_for_the_mother_and_changes_nothing(registry: Engine, contract: PackContract) -> None:
    before = current(registry, "71000002")
    receive(registry, LifeEvent("crvs", "FD1", "fetal_death", date(2026, 10, 1), {"person_id": "71000002"}))
    receive(registry, LifeEvent("crvs", "FD2", "fetal_death", date(2026, 10, 1), {"person_id": "71000001"}))
    done = process(registry, contract)
    assert (done.applied, done.needs_review) == (1, 1), inbox(registry)
    assert current(registry, "71000002") == before
    assert inbox(registry)["subject"].to_list() == ["71000002", "71000001"]


def test_the_same_birth_under_another_civil_number_goes_to_a_registrar(
    registry: Engine, contract: PackContract
) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-09-05"))
    process(registry, contract)
    second = birth("MOH-1", "71000099", "71000002", "2026-09-05")  # a second source, its own number
    receive(registry, LifeEvent("moh", "MOH-1", second.kind, second.event_date, second.facts))
    receive(registry, birth("B2", "71000098", "71000002", "2026-09-05", given_name_en="Sara"))  # a twin, named
    done = process(registry, contract)
    assert (done.needs_review, done.applied) == (1, 1), inbox(registry)
    reasons = inbox(registry)["reason"].to_list()
    assert "mother 71000002 has a child of the same sex and name born on 2026-09-05 registered already" in reasons[1]
    assert "(civil number 71000004)" in reasons[1]
    assert current(registry, "71000099") == {} and current(registry, "71000098")["birth_date"] == date(2026, 9, 5)


def test_a_birth_moved_to_a_later_month_goes_to_a_registrar(registry: Engine, contract: PackContract) -> None:
    receive(registry, birth("B1", "71000004", "71000002", "2026-09-05"))
    process(registry, contract)
    later = LifeEvent("crvs", "K1", "correction", date(2026, 11, 20), {"person_id": "71000004", "corrects": "B1",
                                                                      "birth_date": "2026-11-20"})  # fmt: skip
    same_month = LifeEvent("crvs", "K2", "correction", date(2026, 11, 21), {"person_id": "71000004", "corrects": "B1",
                                                                           "birth_date": "2026-09-25"})  # fmt: skip
    receive(registry, later)
    assert process(registry, contract).needs_review == 1, inbox(registry)
    assert "moves the birth of 71000004 from 2026-09-05 to 2026-11-20, a later month" in inbox(registry)["reason"][1]
    assert current(registry, "71000004")["birth_date"] == date(2026, 9, 5)  # the child benefit's start still holds
    receive(registry, same_month)
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000004")["birth_date"] == date(2026, 9, 25)
