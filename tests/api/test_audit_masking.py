"""The masking of audit contents, without a database: what stays, what is masked, what is keyed."""

from __future__ import annotations

from himaya.api import audit_masking
from himaya.db import audit

KEY = b"k" * 32


def test_people_are_keyed_pseudonyms_other_text_is_masked_numbers_stay() -> None:
    content = {
        "filters": {"name": "Mubarak", "birth_date": "1980-01-01", "family_number": "F123"},
        "people": ["71722468", 71722469],
        "merged": "71722470",
        "moved": {"incomes": 2, "closed": True},
        "state": "approved",
        "mobile": "+96890000000",
    }
    masked = audit_masking.content(KEY, content)
    assert masked["filters"] == {"name": "***", "birth_date": "***", "family_number": "***"}
    assert masked["people"] == [audit.pseudonym(KEY, "71722468"), audit.pseudonym(KEY, "71722469")]
    assert masked["merged"] == audit.pseudonym(KEY, "71722470")
    assert masked["moved"] == {"incomes": 2, "closed": True}
    assert masked["state"] == "approved" and masked["mobile"] == "***"
    assert audit_masking.subject(KEY, "person:71722468") == "person:" + audit.pseudonym(KEY, "71722468")
    assert audit_masking.subject(KEY, "run:2026-01") == "run:2026-01"


def test_pseudonyms_depend_on_the_key() -> None:
    assert audit.pseudonym(KEY, "71722468") != audit.pseudonym(b"j" * 32, "71722468")
    assert audit.pseudonym(KEY, "71722468").startswith("anon-") and len(audit.pseudonym(KEY, "1")) == 21


def test_unkeyed_hashes_are_not_shown() -> None:
    row = {"subject": "person:1", "before": None, "after": None, "previous_hash": "a" * 64, "hash": "b" * 64}
    assert audit_masking.entry(KEY, {**row, "scheme": 2})["hash"] is None
    keyed = audit_masking.entry(KEY, {**row, "scheme": 3})
    assert keyed["hash"] == "b" * 64 and keyed["previous_hash"] is None
