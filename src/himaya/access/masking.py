"""How people are shown to a user: identifying fields masked unless the user may identify people,
a civil number replaced by a keyed pseudonym. One rule for every entry point (the API's JSON and the
web's pages alike), so a page never shows what the API would hide."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from himaya.core.access import Principal

# What a user who may not identify people never sees.
IDENTIFYING = frozenset(
    {
        *(f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")),
        "civil_number",
        "person_id",
        "mobile",
        "iban",
        "bank_code",
        "card_number",
    }
)


def pseudonym(key: str, civil_number: str) -> str:
    """A stable stand-in for a civil number, for users who may not see it (keyed: not reversible
    by hashing every civil number).

    >>> pseudonym("k", "71722468") == pseudonym("k", "71722468") != pseudonym("j", "71722468")
    True
    """
    return "anon-" + hmac.new(key.encode(), civil_number.encode(), hashlib.sha256).hexdigest()[:16]


def present(key: str, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the user may see it: identifying fields masked unless they may identify people."""
    shown = {k: v for k, v in row.items() if k not in ("id", "merged_into")}
    if principal.identifies:
        return shown
    masked = {k: v for k, v in shown.items() if k not in IDENTIFYING}
    civil = row.get("civil_number") or row.get("person_id")
    if civil is not None:
        masked["ref"] = pseudonym(key, str(civil))
    return masked
