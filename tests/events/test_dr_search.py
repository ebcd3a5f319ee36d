"""DCI Disability Registry search across real HTTP: Himaya searches the small registry
(`crvs_registry.py` answering as a disability registry: dr_api v1.0.0 `PWD_Person` records) by civil
number, synchronously or with the answer POSTed to `/events/dci/on-search`; an Expired status is
taken into the inbox as the `disability_card_expired` event the worker applies (the card no longer
held); Approved or Pending is printed and kept, never written. The bad paths refuse with the reason
and write nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from himaya.policy.pack import PolicyPack
from tests.events.conftest import current, inbox, person
from tests.events.crvs_registry import REGISTRY_ID
from tests.events.test_crvs_encrypted import _ours
from tests.events.test_crvs_exchange import Exchange, exchange  # noqa: F401  (the fixture)
from tests.events.test_crvs_search import searches
from tests.events.test_matching import add


def pwd(number: str, status: str, **more: Any) -> dict[str, Any]:
    """A PWD_Person as the spec's example writes one (the person directly in personal_details)."""
    return {"personal_details": {"identifier": number, "name": {"first_name": "Name", "last_name": "Test"},
                                 "date_of_birth": "1990-05-15", "gender": "Male"},
            "disability_status": status, "disability_level": "Severe",
            "disability_details": [{"impairment_type": "Vision", "impairment_level": "Severe"}], **more}  # fmt: skip


def dr_search(exchange: Exchange, *args: str) -> Any:  # noqa: F811
    common = ["--registry-id", REGISTRY_ID, "--client", "civreg", "--token", "registry-access"]
    return exchange.himaya_cli("events", "dr-search", exchange.registry_url, *common, *args)


def _as_disability_registry(exchange: Exchange, oman: PolicyPack) -> None:  # noqa: F811
    exchange.registry.reg_type, exchange.registry.record_type = (
        "ns:org:RegistryType:DR",
        "spdci-extensions-dr:PWD_Person",
    )
    card = {"disability_card": True, "disability_category": "visual"}
    add(exchange.engine, oman, person("71000091", "F8", "head", "M", "1990-05-15", "single", **card))


def test_an_expired_status_is_taken_and_the_card_ends(exchange: Exchange, oman: PolicyPack) -> None:  # noqa: F811
    _as_disability_registry(exchange, oman)
    assert current(exchange.engine, "71000091")["disability_card"] is True
    exchange.registry.people = [pwd("71000091", "Approved")]
    shown = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert shown.exit_code == 0, shown.output
    assert "71000091  Name Test  Male  birth 1990-05-15  disability Approved (level Severe; Vision)" in shown.output
    assert "taken into the inbox" not in shown.output and inbox(exchange.engine).height == 0
    criteria = exchange.registry.seen[-1]["message"]["search_request"][0]["search_criteria"]
    assert (criteria["reg_type"], criteria["query"]) == ("ns:org:RegistryType:DR", {"type": "UIN", "value": "71000091"})

    exchange.registry.people = [pwd("71000091", "Expired", last_updated="2026-11-05T00:00:00Z")]
    seen = dr_search(exchange, "--civil", "71000091")  # not asked to take it: printed only
    assert "disability Expired" in seen.output and inbox(exchange.engine).height == 0, seen.output
    taken = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert "taken into the inbox: 1 new, 0 already there" in taken.output, taken.output
    assert "search:disability_card_expired:71000091:2026-11-05" in taken.output
    again = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert "taken into the inbox: 0 new, 1 already there" in again.output, again.output
    assert "applied 1," in exchange.himaya_cli("events", "process").output
    assert current(exchange.engine, "71000091")["disability_card"] is False


def test_async_encrypted_and_the_answers_refused(exchange: Exchange, oman: PolicyPack) -> None:  # noqa: F811
    _as_disability_registry(exchange, oman)
    exchange.registry.people = [pwd("71000091", "Expired", registration_date="2026-10-01")]
    exchange.registry.encrypt_to = _ours(exchange)  # its answer encrypted to Himaya's key
    callback = f"{exchange.himaya}/events/dci/on-search"
    sent = dr_search(exchange, "--civil", "71000091", "--take-expired", "--callback", callback)
    assert sent.exit_code == 0 and ": pending, 0 record(s)" in sent.output, sent.output
    transaction = sent.output.split()[1].rstrip(":")
    deadline = time.monotonic() + 20
    while "answered" not in (shown := exchange.himaya_cli("events", "crvs-search-result", transaction).output):
        assert time.monotonic() < deadline, (shown, exchange.registry.answers)
        time.sleep(0.1)
    assert "disability Expired (level Severe; Vision)" in shown, shown
    assert inbox(exchange.engine).select("source_event_id", "state").rows() == [
        ("search:disability_card_expired:71000091:2026-10-01", "received")]  # fmt: skip

    exchange.registry.people = [pwd("71000091", "Expired"), pwd("71000020", "Expired")]
    exchange.registry.everyone = True
    other = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert other.exit_code != 0 and "reg_records.1: civil_number 71000020, not the '71000091'" in other.output
    exchange.registry.everyone = False
    exchange.registry.people = [pwd("71000091", "Expired", last_updated="5 November")]
    bad = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert bad.exit_code != 0 and "reg_records.0.last_updated '5 November': not a date" in bad.output, bad.output
    exchange.registry.people, exchange.registry.everyone = [{"disability_status": "Expired"}], True
    shapeless = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert shapeless.exit_code != 0, shapeless.output
    assert "reg_records.0.personal_details: Field required (DCI DR SearchResponse)" in shapeless.output
    assert inbox(exchange.engine).height == 1 and [s for _, s in searches(exchange.engine)] == ["answered"]


@pytest.mark.parametrize(
    ("field", "theirs", "reasons"),
    [
        # Born in 1950 where the registry's 71000091 was born in 1990: a mistyped number there.
        ("date_of_birth", "1950-01-01", ("was born '1950-01-01'", "was born 1990-05-15")),
        # The birth date and the family name, another given name: a twin's, under a mistyped number
        # (the birth date alone would have taken it).
        ("name", {"first_name": "Salim", "last_name": "Test"}, ("is named 'Salim'", "is 'Name91 Test'")),
    ],
    ids=["another-birth-date", "another-given-name"],
)
def test_a_record_of_another_person_under_the_number_goes_to_a_registrar(
    exchange: Exchange,  # noqa: F811
    oman: PolicyPack,
    field: str,
    theirs: Any,
    reasons: tuple[str, str],
) -> None:
    """The disability registry's record under 71000091 is not this person's: it must not end this
    person's card. A registrar decides, told both sides."""
    _as_disability_registry(exchange, oman)
    exchange.registry.people = [pwd("71000091", "Expired", last_updated="2026-11-05T00:00:00Z")]
    exchange.registry.people[0]["personal_details"][field] = theirs
    taken = dr_search(exchange, "--civil", "71000091", "--take-expired")
    assert taken.exit_code == 0, taken.output
    assert f"(for a registrar: the disability registry's record of 71000091 {reasons[0]}" in taken.output
    [(state, reason)] = inbox(exchange.engine).select("state", "reason").rows()
    assert state == "needs_review" and all(r in reason for r in reasons), reason
    exchange.himaya_cli("events", "process")
    assert current(exchange.engine, "71000091")["disability_card"] is True


def test_a_name_in_latin_letters_is_the_arabic_name(exchange: Exchange, oman: PolicyPack) -> None:  # noqa: F811
    """The registry holds her name in Arabic only; the disability registry writes it in Latin
    letters: the same name (as the name search reads it), so her card's end is taken."""
    _as_disability_registry(exchange, oman)
    card = {"disability_card": True, "disability_category": "visual"}
    khadija = person("71000092", "F9", "head", "F", "1990-05-15", "single", **card)
    khadija.update(given_name_en=None, family_name_en=None, given_name_ar="خديجة", family_name_ar="الشبلي")
    add(exchange.engine, oman, khadija)
    exchange.registry.people = [pwd("71000092", "Expired", last_updated="2026-11-05T00:00:00Z")]
    exchange.registry.people[0]["personal_details"]["name"] = {"first_name": "Khadija", "last_name": "Al Shibli"}
    taken = dr_search(exchange, "--civil", "71000092", "--take-expired")
    assert "taken into the inbox: 1 new, 0 already there" in taken.output, taken.output
    assert "for a registrar" not in taken.output
    exchange.himaya_cli("events", "process")
    assert current(exchange.engine, "71000092")["disability_card"] is False
