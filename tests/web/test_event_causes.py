"""The person page names the life event behind an enrollment it started or ended (issue 15): the
event's kind, inbox id, source and source's id, and date, in Arabic and in English; on both
databases (a served registry of its own: the events change it)."""

from __future__ import annotations

from datetime import timedelta

from himaya.core.clock import today
from himaya.events.model import LifeEvent
from himaya.policy.packs import load_pack
from tests.web.conftest import Office, a_mother, apply_event, csrf, log_in, office  # noqa: F401  (the fixture)


def _causes(page: str) -> str:
    return " ".join(" ".join(page.split('class="cause"')[1:]).split())


def test_the_person_page_names_the_event_that_started_and_ended_an_enrollment(office: Office) -> None:  # noqa: F811
    day = today(load_pack().timezone) - timedelta(days=20)
    facts = {"person_id": "98760001", "mother_id": a_mother(office.engine, office.inside["wilayat"]), "sex": "F",
             "given_name_en": "Baby"}  # fmt: skip
    born = apply_event(office.engine, LifeEvent("crvs", "BRN-W1", "birth", day, facts))
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
    death = LifeEvent("crvs", "DTH-W1", "death", day + timedelta(days=5), {"person_id": "98760001"})
    died = apply_event(office.engine, death)
    english = _causes(client.get("/office/people/98760001").text)
    assert f"Ended by the death (event {died})" in english and "crvs DTH-W1" in english, english


def test_a_person_without_a_life_event_shows_none(office: Office) -> None:  # noqa: F811
    client = office.client()
    log_in(client, "case_worker")
    page = client.get(f"/office/people/{office.inside['person_id']}")
    assert page.status_code == 200 and 'class="cause"' not in page.text
