"""What each event wrote on the audit trail is linked to it (`event_effect`, migration 0049), so that
undoing a cancelled registration finds it by index, not by reading the trail's text: the worker
links the entries in the batch's transaction (a correction's under the registration it corrects),
and the migration backfills the same links from the trail. On both databases."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from alembic import command
from sqlalchemy import Engine, event, text

from himaya.adapters.records import PackContract
from himaya.db.audit import verify
from himaya.db.migrate import alembic_config, upgrade
from himaya.events.model import LifeEvent
from tests.events.conftest import current, death, inbox, process, receive


def links(store: Engine) -> list[tuple[int, int, str, str, Any]]:
    """(registration, event, action, subject, the entry's `event`) of every link, in the trail's order."""
    with store.connect() as connection:
        rows = connection.execute(
            text("SELECT l.registration, l.event, a.action, a.subject, a.after FROM event_effect l"
                 " JOIN audit_entry a ON a.hash = l.entry_hash ORDER BY a.id")
        ).all()  # fmt: skip
    return [(r[0], r[1], r[2], r[3], json.loads(r[4])["event"]) for r in rows]


def corrected_death(registry: Engine, contract: PackContract) -> None:
    receive(registry, death("D1", "71000020", "2026-10-06"))
    process(registry, contract)
    fix = LifeEvent("crvs", "K1", "correction", date(2026, 10, 8), {"person_id": "71000020", "corrects": "D1",
                                                                   "death_date": "2026-10-04"})  # fmt: skip
    receive(registry, fix)
    assert process(registry, contract).applied == 1, inbox(registry)


def test_the_worker_links_each_event_to_the_entries_it_wrote(registry: Engine, contract: PackContract) -> None:
    corrected_death(registry, contract)
    found = links(registry)
    assert ("person.update", "person:71000020") in {(a, s) for _, _, a, s, _ in found}
    assert {(r, e) for r, e, *_ in found} == {(1, 1), (1, 2)}, found  # the correction's under the death
    assert all(e == named for _, e, _, _, named in found), found  # each entry is the one naming its event
    statements: list[str] = []

    def seen(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(registry, "before_cursor_execute", seen)
    try:
        receive(registry, LifeEvent("crvs", "C1", "cancellation", date(2026, 11, 2),
                                    {"person_id": "71000020", "corrects": "D1"}))  # fmt: skip
        assert process(registry, contract).applied == 1, inbox(registry)
    finally:
        event.remove(registry, "before_cursor_execute", seen)
    assert current(registry, "71000020")["death_date"] is None  # the death and its correction undone
    read_back = [s for s in statements if "audit_entry" in s and "event_effect" in s]
    assert read_back and not any("LIKE" in s.upper() for s in read_back), read_back
    assert not [s for s in statements if "audit_entry.after LIKE" in s]  # the trail's text is not searched
    with registry.connect() as connection:
        assert verify(connection).intact


def test_the_migration_backfills_the_links_from_the_trail(registry: Engine, contract: PackContract) -> None:
    corrected_death(registry, contract)
    receive(registry, LifeEvent("crvs", "M1", "marriage", date(2026, 10, 1), {"person_id": "71000010"}))
    process(registry, contract)
    written = links(registry)
    assert {e for _, e, *_ in written} == {1, 2, 3}, written
    command.downgrade(alembic_config(registry), "0046")
    with registry.connect() as connection:
        tables = connection.execute(text("SELECT count(*) FROM event_inbox")).scalar_one()
    assert tables == 3
    upgrade(registry)
    assert links(registry) == written
