"""The enrollment's states (the table's CHECK constraint is built from them) and what its actions answer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True)
class SyncSummary:
    enrolled: int
    ended: int
    decisions: int = 0  # the endings recorded as decisions the person is told of and may appeal
