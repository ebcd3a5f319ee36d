"""Events without a civil number matched on the registry by name, birth date and sex: one strong
match is taken; none, a prefix only, another sex or a namesake send the event to a registrar. On
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from himaya.db.registry_import import import_people
from himaya.events import matching
from himaya.events.model import LifeEvent
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import people_frame
from tests.events.conftest import person, uow


def add(engine: Engine, oman: PolicyPack, *rows: dict[str, Any]) -> None:
    frame = validate_table(people_frame(rows), oman.registry, source="test")
    import_people(engine, frame, as_of=date(2024, 2, 1), actor="registrar", source={"file": "more"})


def match(store: Any, said: dict[str, Any]) -> tuple[str | None, str]:
    with store.reading():
        return matching.match(store, said)


def facts(given: str, family: str, born: str, sex: str | None = None, script: str = "en") -> dict[str, Any]:
    said = {f"given_name_{script}": given, f"family_name_{script}": family, "birth_date": born}
    return said | ({"sex": sex} if sex else {})


def test_one_strong_match_and_why_not_otherwise(registry: Engine, oman: PolicyPack) -> None:
    add(registry, oman, person("71000090", "F9", "head", "M", "1970-03-04", "single", given_name_en="Salim",
                               family_name_en="Al-Harthi"))  # fmt: skip
    store = uow(registry)
    assert match(store, facts("Salim", "Al Harthi", "1970-03-04", "M")) == ("71000090", "")
    assert match(store, facts("SALIM", "harthi", "1970-03-04")) == ("71000090", "")  # folded, no sex
    found, why = match(store, facts("Sali", "Harthi", "1970-03-04", "M"))  # only the beginning of Salim
    assert found is None and "nobody matches 'Sali Harthi' born 1970-03-04 (M) strongly (near: 71000090)" in why
    found, why = match(store, facts("Salim", "Harthi", "1970-03-04", "F"))
    assert found is None and "strongly (near: 71000090)" in why, why  # another sex
    found, why = match(store, facts("Salim", "Harthi", "1970-03-05", "M"))
    assert found is None and "nobody in the registry matches 'Salim Harthi' born 1970-03-05 (M)" in why, why
    found, why = match(store, facts("بن", "ال", "1970-03-04"))
    assert found is None and "cannot be matched" in why, why
    found, why = match(store, {"given_name_en": "Salim", "birth_date": "1970-03-04", "sex": "M"})  # a name alone
    assert found is None and "'Salim' born 1970-03-04 (M) names 1 word(s) only (at least 2" in why, why
    assert "taken for 71000090); a registrar decides" in why


def test_a_namesake_is_never_chosen(registry: Engine, oman: PolicyPack) -> None:
    salim = {"given_name_en": "Salim", "family_name_en": "Harthi"}
    add(registry, oman, person("71000090", "F9", "head", "M", "1970-03-04", "single", **salim))
    assert match(uow(registry), facts("Salim", "Harthi", "1970-03-04")) == ("71000090", "")
    add(registry, oman, person("71000091", "F8", "head", "M", "1970-03-04", "single", **salim))
    found, why = match(uow(registry), facts("Salim", "Harthi", "1970-03-04", "M"))
    assert found is None and "2 people match 'Salim Harthi' born 1970-03-04 (M): 71000090, 71000091" in why, why


def test_arabic_spellings_and_a_latin_name_meet(registry: Engine, oman: PolicyPack) -> None:
    add(registry, oman, person("71000095", "F7", "head", "F", "1990-02-03", "single", given_name_en=None,
                               family_name_en=None, given_name_ar="خديجة", family_name_ar="البلوشي"))  # fmt: skip
    store = uow(registry)
    assert match(store, facts("خديجه", "بلوشي", "1990-02-03", "F", "ar")) == ("71000095", "")
    assert match(store, facts("Khadija", "Al Balushi", "1990-02-03", "F")) == ("71000095", "")
    assert match(store, facts("خديجة", "البلوشي", "1990-02-03", "M", "ar"))[0] is None


def test_resolve_takes_the_matched_and_sends_the_others_to_review(registry: Engine) -> None:
    told = [
        LifeEvent("crvs", "d1", "death", date(2026, 11, 1), facts("Name20", "Test", "1960-01-20", "F")),
        LifeEvent("crvs", "d2", "death", date(2026, 11, 1), facts("Nobody", "Here", "1960-01-20")),
        LifeEvent("crvs", "d3", "death", date(2026, 11, 1), {"person_id": "71000003"}),
    ]
    kept, review = matching.resolve(uow(registry), told)
    assert [(e.source_event_id, e.facts.get("person_id")) for e in kept] == [("d1", "71000020"), ("d3", "71000003")]
    assert [e.source_event_id for e, _ in review] == ["d2"] and "nobody in the registry" in review[0][1]


@pytest.mark.parametrize("kind", ["birth", "death"])
def test_what_is_not_matched(registry: Engine, kind: str) -> None:
    """A birth's child has no civil number yet (the worker's own review); an event without a name
    is not matched (refused as malformed: it names nobody)."""
    event = LifeEvent("crvs", "x", kind, date(2026, 11, 1), {"birth_date": "1960-01-20", "sex": "F"})
    kept, review = matching.resolve(uow(registry), [event])
    assert (kept, review) == ([event], [])
