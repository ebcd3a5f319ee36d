"""The worker on both databases: events from the inbox into the registry, once each."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from himaya.adapters.records import PackContract
from tests.events.conftest import birth, current, death, inbox, process, receive


def test_a_birth_adds_the_child_to_the_mothers_family(registry: Engine, contract: PackContract) -> None:
    assert receive(registry, birth("B1", "71000004", "71000002", "2026-10-05")).received == 1
    done = process(registry, contract)
    assert done.applied == 1, inbox(registry)
    child = current(registry, "71000004")
    assert child["family_id"] == "F1" and child["relationship"] == "child"
    assert child["birth_date"] == date(2026, 10, 5) and child["nationality"] == "OM"
    assert inbox(registry)["state"].to_list() == ["applied"]


def test_a_death_sets_the_date_and_widows_the_spouse(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000001", "2026-09-10"))
    assert process(registry, contract).applied == 1, inbox(registry)
    assert current(registry, "71000001")["death_date"] == date(2026, 9, 10)
    assert current(registry, "71000002")["marital_status"] == "widowed"
    assert current(registry, "71000003")["father_deceased"] is True
