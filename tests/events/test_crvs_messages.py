"""The DCI CRVS notify message read as the spec defines it, on DCI's own mockup payload
(`spdci-mockup-compliance/CRVS-Mockup-Compliance`): its CRVSPerson example read into the people
table's words; what is not the spec's refused naming the field."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from himaya.adapters.crvs.messages import NotifyRefusedError, facts_of, kind_of, read_notify
from himaya.events.model import EventKind
from tests.conftest import SHARED

MOCKUP = "external/spdci-mockup-compliance/CRVS-Mockup-Compliance/mockoon-crvs.json"
HEADER = {"message_id": "m1", "message_ts": "2026-11-30T10:00:00+00:00", "action": "notify", "status": "succ",
          "sender_id": "civil-registry.example", "total_count": 1}  # fmt: skip


def mockup_notify() -> dict[str, Any]:
    """The request body of the mockup's `crvs/notify` route (the file is not strict JSON: read by its text)."""
    text = (SHARED / MOCKUP).read_text(encoding="utf-8")
    found = re.search(r'"endpoint": "crvs/notify",\s*"request":\s*\{\s*"body":\s*("(?:[^"\\]|\\.)*")', text)
    assert found, "the mockup's notify request"
    return dict(json.loads(json.loads(found.group(1))))


@pytest.mark.shared
def test_the_mockups_notify_is_checked_and_its_person_read() -> None:
    message = mockup_notify()
    with pytest.raises(NotifyRefusedError, match=r"message.transaction_id: Input should be a valid string"):
        read_notify({"header": HEADER, "message": message})  # the mockup sends a number: the spec a string
    message["transaction_id"] = str(message["transaction_id"])
    event = message["notify_event"][0]
    with pytest.raises(NotifyRefusedError, match=r"reg_records: Value error, identifier: Field required"):
        read_notify({"header": HEADER, "message": message})  # the mockup's record is the schema's text
    event["data"]["reg_records"] = event["data"]["reg_records"]["xample"]  # the CRVSPerson example in it
    event["timestamp"] = "2026-11-30T10:00:00+00:00"
    read = read_notify({"header": HEADER, "message": message})
    kind, when, facts = facts_of(0, read.message.notify_event[0])
    assert (kind, when) == (EventKind.BIRTH, date(1980, 3, 23))
    assert facts == {"person_id": "197382465", "sex": "F", "mother_id": "537564821", "father_id": "564582793",
                     "given_name_en": "Elena", "family_name_en": "Martinez"}  # fmt: skip
    # Two records under one reference_id in one message: refused whole, not the second taken for a copy.
    message["notify_event"].append({**event, "timestamp": "2026-11-30T11:00:00+00:00"})
    with pytest.raises(NotifyRefusedError, match=r"notify_event: Value error, 1.reference_id .* of notify_event.0 too"):
        read_notify({"header": HEADER, "message": message})


def test_event_types_and_bad_records() -> None:
    assert [kind_of(c) for c in ("spdci-common:RegistryEventType:LiveBirth", "Death", "event:live_birth")] == [
        EventKind.BIRTH, EventKind.DEATH, EventKind.BIRTH]  # fmt: skip
    assert [kind_of(c) for c in ("event:adoption", "spdci-common:RegistryEventType:FetalDeath")] == [
        EventKind.ADOPTION, EventKind.FETAL_DEATH]  # fmt: skip
    with pytest.raises(NotifyRefusedError, match="reg_event_type 'event:emigration': LiveBirth, Death"):
        kind_of("event:emigration")
    record = {"identifier": [{"identifier_type": "UIN", "identifier_value": "71000001"}], "sex": "x",
              "death_date": "2026-01-02"}  # fmt: skip
    event = {"reference_id": "D1", "timestamp": "t", "data": {"reg_event_type": "Death", "reg_record_type": "Person",
                                                              "reg_records": record}}  # fmt: skip
    read = read_notify({"header": HEADER, "message": {"transaction_id": "t1", "notify_event": [event]}})
    with pytest.raises(NotifyRefusedError, match=r"notify_event.0.data.reg_records.sex: 'x' is not male or female"):
        facts_of(0, read.message.notify_event[0])
    record |= {"sex": "male", "death_date": "02/01/2026"}
    read = read_notify({"header": HEADER, "message": {"transaction_id": "t1", "notify_event": [event]}})
    with pytest.raises(NotifyRefusedError, match=r"death_date: '02/01/2026' is not an ISO 8601 date"):
        facts_of(0, read.message.notify_event[0])
    for bad, said in (([1], "not a JSON object"), ({"header": HEADER | {"action": "search"}}, "header.action")):
        with pytest.raises(NotifyRefusedError, match=said):
            read_notify(bad)
    with pytest.raises(NotifyRefusedError, match="lone surrogate"):
        read_notify({"header": HEADER, "message": {"transaction_id": "\ud800", "notify_event": [event]}})
