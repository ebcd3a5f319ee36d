"""What a subscription asks of the civil registry beside the event type (crvs_api `subscribe_criteria`):
a `filter` (only the events whose record says so, e.g. a death in Nizwa) and a `frequency` (the
registry sends its notify messages on a schedule, a cron expression, between two times).

The filter is a `predicate`, as a search's: one expression per condition, `attribute_name eq
attribute_value`, every one required. Its attributes are the `CRVSPerson` record's (a place's
part by a dotted path: `death_place.address.locality`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from himaya.core.errors import InvalidInputError

ATTRIBUTES = ("sex", "birth_place", "death_place", "marital_status", "nationality")  # a record's, filterable
_CRON = re.compile(r"^[0-9A-Za-z*?/,#LW-]+( [0-9A-Za-z*?/,#LW-]+){4,6}$")


@dataclass(frozen=True)
class Criteria:
    where: tuple[tuple[str, str], ...] = ()  # (attribute, value): every one required
    frequency: str | None = None  # a cron expression
    start: datetime | None = None
    end: datetime | None = None

    def asked(self) -> dict[str, Any]:
        """The subscribe_criteria members: filter_type and filter, and frequency when given."""
        said: dict[str, Any] = {"filter_type": "expression", "filter": {}}
        if self.where:
            said = {"filter_type": "predicate", "filter": [
                {"seq_num": i, "expression1": {"attribute_name": a, "operator": "eq", "attribute_value": v}}
                for i, (a, v) in enumerate(self.where, 1)]}  # fmt: skip
        if self.frequency:
            assert self.start is not None and self.end is not None
            said["frequency"] = {"start_time": self.start.isoformat(), "end_time": self.end.isoformat(),
                                 "frequency": self.frequency}  # fmt: skip
        return said

    def refuses(self, record: dict[str, Any], sent: datetime | None) -> str | None:
        """Why a record the registry notified at `sent` is not one this subscription asked for (None:
        it is): a filter's attribute with another value, or a time outside the frequency's window."""
        for attribute, value in self.where:
            found = _attribute(record, attribute)
            if found is None:
                return f"it has no {attribute}, the subscription's filter asks {value!r}"
            if str(found) != value:
                return f"its {attribute} is {str(found)[:40]!r}, the subscription's filter asks {value!r}"
        if self.start is not None and self.end is not None:
            if sent is None:
                return "its header.message_ts is not a time with its zone, and the subscription has a time window"
            if not self.start <= sent <= self.end:
                return f"it was sent at {sent.isoformat()}, outside the subscription's window {self.words()}"
        return None

    def words(self) -> str:
        """As `himaya events crvs-subscriptions` lists it."""
        parts = [" and ".join(f"{a}={v}" for a, v in self.where)] if self.where else []
        if self.frequency and self.start and self.end:
            parts.append(f"every {self.frequency!r} from {self.start.isoformat()} until {self.end.isoformat()}")
        return "; ".join(parts)


def criteria(where: list[str], frequency: str | None, start: str | None, end: str | None) -> Criteria:
    """The options checked, or refused naming the option, value and rule."""
    pairs = []
    for given in where:
        attribute, sep, value = given.partition("=")
        if not sep or not value.strip() or attribute.split(".")[0] not in ATTRIBUTES:
            raise InvalidInputError(f"--filter {given!r}: ATTRIBUTE=VALUE, the attribute one of {', '.join(ATTRIBUTES)}"
                                    " (a place's part by a dotted path)")  # fmt: skip
        pairs.append((attribute.strip(), value.strip()))
    if frequency is None and start is None and end is None:
        return Criteria(tuple(pairs))
    if not (frequency and start and end):
        raise InvalidInputError("--frequency, --from and --until go together (the spec's frequency needs all three)")
    if not _CRON.match(frequency.strip()):
        raise InvalidInputError(
            f"--frequency {frequency!r}: a cron expression of 5 to 7 fields, e.g. '0 0 0 5,15 * ? *'"
        )
    when = [_time(start, "--from"), _time(end, "--until")]
    if when[1] <= when[0]:
        raise InvalidInputError(f"--until {end}: must come after --from {start}")
    return Criteria(tuple(pairs), frequency.strip(), when[0], when[1])


def _attribute(record: dict[str, Any], path: str) -> Any:
    """A record's attribute by its dotted path (`death_place.address.locality`), or None."""
    found: Any = record
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _time(text: str, option: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{option} {text!r}: not a time like 2026-12-01T00:00:00+04:00") from None
    if found.tzinfo is None:
        raise InvalidInputError(f"{option} {text!r}: give the time's zone (e.g. +04:00 or Z)")
    return found


def read(stored: dict[str, Any] | None) -> Criteria:
    """A subscription's criteria as stored (`asked()`), back."""
    if not stored:
        return Criteria()
    where = tuple((e["expression1"]["attribute_name"], e["expression1"]["attribute_value"])
                  for e in stored.get("filter") or [] if isinstance(e, dict))  # fmt: skip
    window = stored.get("frequency") or {}
    start, end = window.get("start_time"), window.get("end_time")
    return Criteria(where, window.get("frequency"), datetime.fromisoformat(start) if start else None,
                    datetime.fromisoformat(end) if end else None)  # fmt: skip
