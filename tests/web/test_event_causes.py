"""The person page names the life event behind an enrollment it started or ended (issue 15): the
event's kind, inbox id, source and source's id, and date, in Arabic and in English; on both
databases (a served registry of its own: the events change it)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from himaya import bootstrap
from himaya.adapters.records import PackContract
from himaya.core.clock import today
from himaya.db.snapshot import people_query, read_people
from himaya.events import actions
from himaya.events.model import LifeEvent
from himaya.policy.packs import load_pack
from tests.web.conftest import Office, csrf, log_in, office  # noqa: F401  (the fixture)


def _apply(store: Office, event: LifeEvent) -> int:
    pack = load_pack()
    uow = bootstrap.unit_of_work(store.engine)
    actions.receive(uow, [event], today=today(pack.timezone), actor="events:test")
    done = actions.process(uow, PackContract(pack, days_ahead=30), actor="events:worker")
    assert done.applied == 1, done
    return int(actions.states(uow, [event])[0]["id"])


def _mother(store: Office) -> str:
    """An Omani wife or head of 20 to 45 in the branch users' wilayat."""
    with store.engine.connect() as connection:
        people = read_people(connection, people_query(None, registry=True))
    day = today(load_pack().timezone)
    found = people.filter(
        pl.col("wilayat") == store.inside["wilayat"], pl.col("sex") == "F", pl.col("nationality") == "OM",
        pl.col("marital_status") == "married", pl.col("relationship").is_in(["head", "spouse"]),
        pl.col("birth_date").is_between(day - timedelta(days=45 * 365), day - timedelta(days=20 * 365)),
    )  # fmt: skip
    assert found.height, "the synthetic registry has no mother in the branch's wilayat"
    return str(found["person_id"][0])


def _causes(page: str) -> str:
    return " ".join(" ".join(page.split('class="cause"')[1:]).split())


def test_the_person_page_names_the_event_that_started_and_ended_an_enrollment(office: Office) -> None:  # noqa: F811
    day = today(load_pack().timezone) - timedelta(days=20)
    facts = {"person_id": "98760001", "mother_id": _mother(office), "sex": "F", "given_name_en": "Baby"}
    born = _apply(office, LifeEvent("crvs", "BRN-W1", "birth", day, facts))
    client = office.client()
    log_in(client, "case_worker")
    page = client.get("/office/people/98760001")
    assert page.status_code == 200, page.text
    said = _causes(page.text)
    assert f'بدأ بواقعة الولادة (الواقعة {born}) من <bdi dir="ltr">crvs BRN-W1</bdi> بتاريخ' in said, said
    client.post("/office/settings", data={"csrf": csrf(page.text), "language": "en", "next": "/office/"})
    english = _causes(client.get("/office/people/98760001").text)
    dated = f"{day.day} {day.strftime('%b')} {day.year}"
    assert (f'Started by the birth (event {born}) from <bdi dir="ltr">crvs BRN-W1</bdi>, dated {dated}'
            in english), english  # fmt: skip
    died = _apply(office, LifeEvent("crvs", "DTH-W1", "death", day + timedelta(days=5), {"person_id": "98760001"}))
    english = _causes(client.get("/office/people/98760001").text)
    assert f"Ended by the death (event {died})" in english and "crvs DTH-W1" in english, english


def test_a_person_without_a_life_event_shows_none(office: Office) -> None:  # noqa: F811
    client = office.client()
    log_in(client, "case_worker")
    page = client.get(f"/office/people/{office.inside['person_id']}")
    assert page.status_code == 200 and 'class="cause"' not in page.text
