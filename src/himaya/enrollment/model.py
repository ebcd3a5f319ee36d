"""The enrollment's states: the table's CHECK constraint is built from them."""

from __future__ import annotations

from enum import StrEnum


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
