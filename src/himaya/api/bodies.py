"""What every request body shares: unknown fields refused, and no lax coercion.

pydantic's lax mode would take `"version": true` as 1, `"sensitive": "yes"` as true or `"version": "3"`
as 3: a client's mistake (or a probe) silently becoming a value. A request body is strict: a number
is a JSON number, a boolean `true` or `false`. JSON has no date, so a date is its ISO text
(`"2026-01-05"`), and only that (not a number of seconds).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a date like 2026-01-31 (YYYY-MM-DD)") from None
    if isinstance(value, date):
        return value
    raise ValueError("a date is written as text, YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
