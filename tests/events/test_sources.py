"""The sources, read into events: OpenCRVS's real FHIR documents (../shared), our own anonymised
ones (always), CSV files; and end to end through the inbox on both databases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from himaya.adapters.event_files import read_events_csv
from himaya.adapters.opencrvs import read_document, read_json
from himaya.adapters.records import PackContract
from himaya.core.errors import InvalidInputError
from tests.conftest import SHARED, shared_files
from tests.events.conftest import FIXTURES, current, inbox, process, receive

EXAMPLES = "external/opencrvs-mosip/example-events"
EXPECTED = {  # file: (kind, tracking id, event date, person, mother, spouse)
    "incoming-birth-bundle-informant-mother-father.json": ("birth", "BIHFXFY", "2025-02-02", None, "1234512345", None),
    "incoming-birth-bundle-mother-father.json": ("birth", "BN6TQN5", "2025-01-01", None, "1234567890", None),
    "incoming-birth-bundle.json": ("birth", "BXXDBIC", "2024-01-01", None, "1234567893", None),
    "incoming-death-bundle-deceased-informant.json": ("death", "D8B6ATF", "2025-02-02", "1234512345", None, None),
    "incoming-death-bundle-deceased-spouse.json": ("death", "D8B6ATF", "2025-02-02", "1234512345", None, "4444333322"),
    "incoming-death-bundle.json": ("death", "DYC3RFC", "2024-12-02", "0000000001", None, "1234234233"),
}


@pytest.mark.parametrize("path", shared_files(EXAMPLES, "*.json"))
def test_opencrvs_example_events_are_read(path: Path) -> None:
    (event,) = read_json(path.read_bytes())
    kind, tracking, day, person, mother, spouse = EXPECTED[path.name]
    assert (event.kind, event.source_event_id, event.event_date) == (kind, tracking, date.fromisoformat(day))
    assert (event.facts.get("person_id"), event.facts.get("mother_id"), event.facts.get("spouse_id")) == (
        person, mother, spouse
    )  # fmt: skip
    assert event.problem is None and event.facts["status"] == "WAITING_VALIDATION"
    assert "nationality" not in event.facts  # OpenCRVS's demonstration country FAR is no country


@pytest.mark.shared
def test_the_example_events_in_the_inbox(registry: Engine, contract: PackContract) -> None:
    events = [e for p in sorted((SHARED / EXAMPLES).glob("*.json")) for e in read_json(p.read_bytes())]
    done = receive(registry, *events)
    assert (done.received, done.duplicate) == (5, 1)  # the two D8B6ATF documents are one registration
    process(registry, contract)
    states = dict(zip(inbox(registry)["source_event_id"], inbox(registry)["state"], strict=True))
    # Their children have no national id yet; their deceased are in no registry of ours: never guessed.
    assert states == {"BIHFXFY": "needs_review", "BN6TQN5": "needs_review", "BXXDBIC": "needs_review",
                      "D8B6ATF": "held", "DYC3RFC": "held"}  # fmt: skip


def test_our_own_documents_apply_end_to_end(registry: Engine, contract: PackContract) -> None:
    events = [
        e for name in ("birth-bundle.json", "death-bundle.json") for e in read_json((FIXTURES / name).read_bytes())
    ]
    assert receive(registry, *events).received == 2
    assert process(registry, contract).applied == 2, inbox(registry)
    assert current(registry, "71000004")["given_name_en"] == "Huda"
    assert current(registry, "71000001")["death_date"] == date(2026, 9, 10)
    assert current(registry, "71000002")["marital_status"] == "widowed"


def test_a_webhook_delivery_is_read_like_a_bundle() -> None:
    bundle = json.loads((FIXTURES / "birth-bundle.json").read_text())
    delivery = {"timestamp": "2026-10-06T09:00:00Z", "id": "x", "event": {"hub": {"topic": "BIRTH_REGISTERED"},
                                                                          "context": [bundle]}}  # fmt: skip
    assert read_document(json.dumps(delivery)) == read_document(json.dumps(bundle))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "Expecting property name"),
        ('{"resourceType": "Patient", "id": "1"}', "not 'Bundle'"),
        ('{"resourceType": "Bundle", "entry": []}', "no Composition"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Composition", "id": "c",'
         ' "type": {"coding": [{"code": "marriage-declaration"}]}}}]}', "neither a birth nor a death"),
    ],
)  # fmt: skip
def test_unreadable_documents_are_failed_events_with_a_stable_id(text: str, said: str) -> None:
    (event,) = read_document(text)
    assert event.problem is not None and said in event.problem
    assert event.source_event_id == read_document(text)[0].source_event_id


def test_a_csv_of_events(registry: Engine, contract: PackContract) -> None:
    events = read_events_csv(FIXTURES / "events.csv", source="civil-registry")
    done = receive(registry, *events)
    assert (done.received, done.failed) == (4, 2)
    process(registry, contract)
    states = dict(zip(inbox(registry)["source_event_id"], inbox(registry)["state"], strict=True))
    assert states == {"M1": "applied", "B2": "applied", "X1": "failed", "U1": "failed"}
    assert current(registry, "71000010")["marital_status"] == "married"


def test_a_csv_with_unknown_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_id,kind,event_date,income\n1,death,2026-01-01,5\n")
    with pytest.raises(InvalidInputError, match="unknown columns income"):
        read_events_csv(path, source="file")
