"""What a screen shows of a family in one read: its members and its people tables on given days
(for the rules), read in one snapshot with one audit entry, as `actions.family_members` and
`actions.family_table` are each alone.

The front office's family page shows the members and this month's and next month's entitlements;
read separately, that was three transactions and three audit entries a page, each a write that the
other requests wait for on SQLite. The read itself takes no write lock (`uow.reading()`); only its
entry on the audit chain does, briefly, after it (as the branch inbox's read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from himaya.core.access import Principal
from himaya.core.errors import NotFoundError
from himaya.core.uow import record_read
from himaya.registry.model import Search
from himaya.registry.ports import RegistryUnitOfWork

MEMBERS_SHOWN = 100


@dataclass(frozen=True)
class FamilyView:
    members: list[dict[str, Any]]
    tables: dict[date, Any]  # the people table on each day asked (a Polars frame)


def family_view(
    uow: RegistryUnitOfWork, family_number: str, days: Sequence[date], *, principal: Principal
) -> FamilyView:
    """The family's current members and its people table on each of `days`, if the family is in
    the user's branches; one audit entry names the people returned, the days, and a probe too."""
    with uow.reading():  # on SQLite without the write lock: two pages are read side by side
        members = uow.registry.search(principal, Search(family_number=family_number), limit=MEMBERS_SHOWN, offset=0)
        tables = {day: uow.registry.family_table(principal, family_number, day) for day in days} if members else {}
    read = {
        "what": "members" + (" and entitlements" if days else ""),
        "people": [r["civil_number"] for r in members],
        "found": bool(members),
    }
    if days:
        read["days"] = list(days)
    record_read(uow, f"family:{family_number}", read, actor=principal.username)
    if not members:
        raise NotFoundError(f"no family {family_number!r} in your branches")
    empty = [day for day, table in tables.items() if table is None or table.is_empty()]
    if empty:
        raise NotFoundError(f"no family {family_number!r} in your branches with members on {empty[0]}")
    return FamilyView(members, tables)
