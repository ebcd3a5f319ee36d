"""Change requests and appeals over the API, on SQLite and PostgreSQL: a change with a bad value is a
422 naming the field and the value; its approval writes the change, and one on a record changed since
the request is a 409 naming both versions that writes nothing; an appeal reverses a refused
application (its facts dated from the application), is refused after the deadline (422), against a
case of another branch (404, like a missing one) and a second time (409)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from himaya.core.clock import today
from himaya.db.case_tables import case_file, notification_outbox
from himaya.db.tables import bank_account, disability, enrollment, person
from tests.api.conftest import World
from tests.cases.flows import iban

TODAY = today("Asia/Muscat")  # when the module was loaded: a notice is dated on the day it is read (below)
APPLIED = TODAY - timedelta(days=20)


def _post(world: World, path: str, body: dict[str, Any], user: str = "case_worker") -> Any:
    return world.client.post(path, headers=world.headers(user), json=body)


def _prepared(world: World, kind: str, form: dict[str, Any]) -> str:
    """A case about the inside head opened and prepared by the case worker (version 3)."""
    opened = _post(world, "/cases", {"type": kind, "civil_number": world.inside["person_id"], "form": form})
    assert opened.status_code == 201, opened.text
    number = str(opened.json()["number"])
    for version, state in ((1, "in_review"), (2, "prepared")):
        moved = _post(world, f"/cases/{number}/decision", {"version": version, "to": state})
        assert moved.status_code == 200, moved.text
    return number


def _decide(world: World, number: str, to: str, version: int = 3, **body: Any) -> Any:
    return _post(world, f"/cases/{number}/decision", {"version": version, "to": to, "reason": "decided"} | body,
                 "supervisor")  # fmt: skip


def _accounts(world: World) -> list[tuple[Any, ...]]:
    with world.engine.connect() as connection:
        key = select(person.c.id).where(person.c.civil_number == world.inside["person_id"]).scalar_subquery()
        found = connection.execute(
            select(bank_account.c.iban, bank_account.c.valid_from)
            .where(bank_account.c.person_id == key, bank_account.c.valid_to.is_(None))
        )  # fmt: skip
        return [tuple(r) for r in found]


def _change(account: str) -> dict[str, Any]:
    return {"change": "bank_account", "iban": account, "effective_from": APPLIED.isoformat(), "evidence": "letter"}


def test_a_change_with_an_invalid_iban_is_a_422_naming_field_and_value(world: World) -> None:
    bad = "OM00" + "018" + "9" * 16
    answer = _post(world, "/cases", {"type": "change_request", "civil_number": world.inside["person_id"],
                                     "form": _change(bad)})  # fmt: skip
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert f"form field iban, value '{bad}'" in message and "check digits" in message, message
    missing = _post(world, "/cases", {"type": "change_request", "civil_number": world.inside["person_id"],
                                      "form": _change(bad) | {"change": "address", "iban": None}})  # fmt: skip
    assert missing.status_code == 422 and "form field wilayat: required for change address" in missing.text


def test_a_change_is_written_and_one_on_a_record_changed_since_is_a_409(world: World) -> None:
    civil = world.inside["person_id"]
    first = iban(18, 5555666677778888)
    number = _prepared(world, "change_request", _change(first))
    detail = world.client.get(f"/cases/{number}", headers=world.headers("case_worker")).json()
    opened = detail["record_version"]
    assert isinstance(opened, int)
    # The registrar corrects the mobile meanwhile: the record moves on.
    record = world.client.get(f"/people/{civil}", headers=world.headers("registrar")).json()["person"]
    fixed = world.client.patch(f"/people/{civil}", headers=world.headers("registrar"),
                               json={"version": record["version"], "changes": {"mobile": "+96899887766"}})  # fmt: skip
    assert fixed.status_code == 200, fixed.text
    before = _accounts(world)
    conflict = _decide(world, number, "approved")
    assert conflict.status_code == 409, conflict.text
    error = conflict.json()["error"]
    assert (
        error["code"] == "record_changed"
        and f"person {civil} is at version {opened + 1}, not {opened}" in (error["message"])
    )
    assert _accounts(world) == before
    assert _decide(world, number, "refused", reason="the record changed: a new request").status_code == 200
    again = _prepared(world, "change_request", _change(first))
    approved = _decide(world, again, "approved")
    assert approved.status_code == 200, approved.text
    assert approved.json()["wrote"]["to"] == {"iban": first, "bank_code": "018"}
    assert _accounts(world) == [(first, APPLIED)]


def _refused_application(world: World) -> str:
    form = {"programme": "disability", "applied_on": APPLIED.isoformat(), "disability_category": "visual",
            "disability_card": True, "evidence": "card"}  # fmt: skip
    number = _prepared(world, "application", form)
    assert _decide(world, number, "refused", reason="the card was not shown").status_code == 200
    return number


def _appeal(world: World, number: str, **form: Any) -> Any:
    body = {"type": "appeal", "civil_number": world.inside["person_id"],
            "form": {"decision": number, "grounds": "the card was shown"} | form}  # fmt: skip
    return _post(world, "/cases", body)


def test_an_appeal_granted_reverses_a_refused_application_from_its_date(world: World) -> None:
    number = _refused_application(world)
    opened = _appeal(world, number, notified_on=today("Asia/Muscat").isoformat())
    assert opened.status_code == 201, opened.text
    appeal = opened.json()["number"]
    committee = _post(world, f"/cases/{appeal}/decision", {"version": 1, "to": "committee"})
    assert committee.status_code == 200, committee.text
    granted = _decide(world, appeal, "granted", version=2)
    assert granted.status_code == 200, granted.text
    assert granted.json()["wrote"]["reverses"] == number and granted.json()["rules"]["entitled"]
    with world.engine.connect() as connection:
        key = select(person.c.id).where(person.c.civil_number == world.inside["person_id"]).scalar_subquery()
        assessed = connection.execute(select(disability.c.category, disability.c.valid_from).where(
            disability.c.person_id == key, disability.c.valid_to.is_(None))).all()  # fmt: skip
        starts = connection.execute(select(enrollment.c.start_month).where(
            enrollment.c.person_id == key, enrollment.c.programme == "disability")).scalars().all()  # fmt: skip
    assert [tuple(r) for r in assessed] == [("visual", APPLIED)]
    assert starts == [APPLIED.replace(day=1)]
    shown = world.client.get(f"/cases/{number}", headers=world.headers("case_worker")).json()
    assert shown["reversed_by"] == appeal
    twice = _appeal(world, number, notified_on=today("Asia/Muscat").isoformat())
    assert twice.status_code == 409 and "reversed already" in twice.json()["error"]["message"]


def test_an_appeal_after_the_deadline_is_a_422(world: World) -> None:
    number = _refused_application(world)
    delivered = datetime.now(UTC) - timedelta(days=40)
    with world.engine.begin() as connection:  # the decision's SMS was delivered 40 days ago
        case_id = select(case_file.c.id).where(case_file.c.number == number).scalar_subquery()
        connection.execute(
            update(notification_outbox)
            .where(notification_outbox.c.case_id == case_id, notification_outbox.c.id == select(
                notification_outbox.c.id).where(notification_outbox.c.case_id == case_id).order_by(
                notification_outbox.c.id.desc()).limit(1).scalar_subquery())
            .values(state="sent", sent_at=delivered)
        )  # fmt: skip
    late = _appeal(world, number)
    assert late.status_code == 422, late.text
    assert "the day its message was delivered" in late.text and "had to be filed within 30 days" in late.text


def test_an_appeal_against_a_case_of_another_branch_is_a_404(world: World) -> None:
    answer = _appeal(world, world.outside["case_number"], notified_on=today("Asia/Muscat").isoformat())
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["message"] == f"no case '{world.outside['case_number']}' in your branches"
    unknown = _appeal(world, "C-2099-000001", notified_on=today("Asia/Muscat").isoformat())
    assert unknown.status_code == 404 and unknown.json()["error"]["message"].startswith("no case 'C-2099-000001'")
    shape = _appeal(world, "letter 12/2026", notified_on=today("Asia/Muscat").isoformat())
    assert shape.status_code == 422 and "form field decision" in shape.text
