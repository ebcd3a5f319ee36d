"""The audit trail as a user who may not identify people sees it.

Nothing shown may let such a user recompute a hidden value: civil numbers become pseudonyms keyed
with the audit key (not the token-signing key, so rotating one leaves the other), any other text
of an entry's content is masked unless its field is known to hold nothing about a person (states,
periods, counts, file names), and only keyed hashes are shown (an entry's own, scheme 3): an
unkeyed hash over content that names a civil number can be matched by trying every number.
"""

from __future__ import annotations

import re
from typing import Any

from himaya.bootstrap import audit

MASK = "***"
# Fields whose text says nothing about who a person is: shown as written.
CLEAR = frozenset(
    {
        "action",
        "as_of",
        "file",
        "files",
        "grant",
        "kind",
        "period",
        "programme",
        "roles",  # a user's grant: staff roles and branch scopes, not people
        "scopes",
        "state",
        "what",
    }
)
# Fields that hold civil numbers (one or a list): shown as pseudonyms, so that entries about the
# same person can still be told apart and followed.
PEOPLE = frozenset({"civil_number", "drop", "keep", "merged", "people", "person_id"})
# Subjects that name a person: `person:<civil number>`.
_PERSON_SUBJECT = re.compile(r"^person:(.+)$")


def subject(key: bytes, text: str) -> str:
    """An entry's subject with any civil number in it replaced by its pseudonym."""
    match = _PERSON_SUBJECT.match(text)
    return "person:" + audit.pseudonym(key, match.group(1)) if match else text


def content(key: bytes, value: Any, field: str | None = None) -> Any:
    """An entry's `before` or `after` with people pseudonymised and any other text masked; numbers,
    true/false and the field names stay, so the auditor still sees what changed and how much."""
    if isinstance(value, dict):
        return {k: content(key, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [content(key, v, field) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if field in PEOPLE:
        return audit.pseudonym(key, str(value))
    if isinstance(value, int | float):
        return value
    return value if field in CLEAR else MASK


def entry(key: bytes, row: dict[str, Any]) -> dict[str, Any]:
    """One entry (already decoded) as a masked user sees it."""
    shown = dict(row)
    shown["subject"] = subject(key, row["subject"])
    shown["before"] = content(key, row["before"])
    shown["after"] = content(key, row["after"])
    # An unkeyed hash can be matched by trying every civil number; a keyed entry's previous hash
    # may be the last unkeyed one.
    shown["previous_hash"] = None
    if row["scheme"] < audit.KEYED:
        shown["hash"] = None
    return shown
