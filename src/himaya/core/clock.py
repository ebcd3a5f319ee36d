"""Time: always zone-aware. "Today" depends on where the programme runs, so it takes a zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def today(timezone: str) -> date:
    """Today's date in `timezone` (an IANA name such as Asia/Muscat)."""
    return now().astimezone(ZoneInfo(timezone)).date()
