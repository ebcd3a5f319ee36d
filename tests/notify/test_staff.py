"""The staff inbox (`cases/staff.py`): an escalation to `role:supervisor@WILAYAT` reaches the users who
hold that role at that branch (by wilayat, by governorate, or every branch) and no one else; each
marks their own copy read; one that nobody receives stays waiting, named by `notify status`, until
someone is given the role there."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from himaya.cases import actions, staff
from himaya.cases.model import NewCase
from himaya.core.access import Principal, Role, Scope
from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.db import access
from himaya.policy.packs import load_pack
from tests.cases.conftest import Branches, user

CATALOGUE = load_pack().cases


def late_case(b: Branches, head: dict[str, object]) -> str:
    """A grievance of the head's branch opened on 4 January and escalated, past its deadline, on the 8th."""
    request = NewCase(
        "grievance",
        "branch",
        civil_number=str(head["person_id"]),
        category="wrong_amount",
        form={"details": "paid 10 OMR less", "period": "2025-12", "amount": "10"},
    )
    everyone = user("nasser", Role.SUPERVISOR)
    number = actions.open_case(b.uow(), CATALOGUE, request, principal=everyone, today=date(2026, 1, 4)).number
    actions.overdue(b.uow(), CATALOGUE, principal=everyone, escalate=True, today=date(2026, 1, 8))
    return number


def people(b: Branches) -> dict[str, Principal]:
    here, there = b.here, b.there
    return {
        "huda": user("huda", Role.SUPERVISOR, scopes=(Scope("wilayat", here["wilayat"]),)),
        "salim": user("salim", Role.SUPERVISOR, scopes=(Scope("governorate", here["governorate"]),)),
        "noor": user("noor", Role.SUPERVISOR),  # every branch
        "wafa": user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", here["wilayat"]),)),
        "omar": user("omar", Role.SUPERVISOR, scopes=(Scope("wilayat", there["wilayat"]),)),
        "hamed": user("hamed", Role.SUPERVISOR, scopes=(Scope("governorate", there["governorate"]),)),
    }


def subjects(b: Branches, who: Principal, *, unread: bool = False) -> list[str]:
    return [r["subject"] for r in staff.inbox(b.uow(), principal=who, unread=unread)]


def test_an_escalation_reaches_the_branchs_supervisors_and_no_one_else(branches: Branches) -> None:
    number = late_case(branches, branches.here)
    p = people(branches)
    for name in ("huda", "salim", "noor"):  # the wilayat's, its governorate's, every branch's supervisor
        assert [number in s for s in subjects(branches, p[name])] == [True], name
    for name in ("wafa", "omar", "hamed"):  # a case worker of the branch; another branch's supervisors
        assert subjects(branches, p[name]) == [], name
    [message] = staff.inbox(branches.uow(), principal=p["huda"])
    assert message["case"] == number and message["recipient"] == f"role:supervisor@{branches.here['wilayat']}"
    # Each reads their own copy.
    assert staff.mark_read(branches.uow(), [message["id"]], principal=p["huda"]) == 1
    assert subjects(branches, p["huda"], unread=True) == [] and len(subjects(branches, p["huda"])) == 1
    assert len(subjects(branches, p["salim"], unread=True)) == 1
    staff.mark_read(branches.uow(), [message["id"]], principal=p["huda"])  # again: no harm
    # Someone else's message is answered as a missing one, and nothing is marked.
    for name in ("wafa", "omar"):
        with pytest.raises(NotFoundError, match=f"no message {message['id']} in your inbox"):
            staff.mark_read(branches.uow(), [message["id"]], principal=p[name])
    with pytest.raises(NotFoundError):
        staff.mark_read(branches.uow(), [message["id"], message["id"] + 1], principal=p["salim"])
    with branches.engine.connect() as connection:
        readers = list(connection.execute(text("SELECT username FROM staff_read")).scalars())
    assert readers == ["huda"]
    with pytest.raises(InvalidInputError):
        staff.mark_read(branches.uow(), [], principal=p["huda"])


def test_a_message_nobody_receives_waits_until_someone_holds_the_role(branches: Branches) -> None:
    late_case(branches, branches.there)
    there = f"role:supervisor@{branches.there['wilayat']}"
    assert staff.deliver(branches.uow(), actor="sender") == 0  # no user holds the role there
    assert staff.waiting(branches.uow())[1] == {there: 1}
    [message] = [m for m in branches.rows("notification_outbox") if m["channel"] == "staff"]
    assert message["state"] == "pending"
    # A case worker of that branch is not its recipient; a supervisor of another branch neither.
    scope = [Scope("wilayat", branches.there["wilayat"])]
    access.create_user(branches.engine, "rashid", "not-a-hash", actor="setup", roles=["case_worker"], scopes=scope)
    access.create_user(branches.engine, "huda", "not-a-hash", actor="setup", roles=["supervisor"],
                       scopes=[Scope("wilayat", branches.here["wilayat"])])  # fmt: skip
    assert staff.deliver(branches.uow(), actor="sender") == 0
    # A supervisor given that branch: the message is theirs, and the sender marks it delivered.
    access.create_user(branches.engine, "omar", "not-a-hash", actor="setup", roles=["supervisor"], scopes=scope)
    assert staff.waiting(branches.uow())[1] == {}
    assert staff.deliver(branches.uow(), actor="sender") == 1
    [message] = [m for m in branches.rows("notification_outbox") if m["channel"] == "staff"]
    assert (message["state"], message["address"]) == ("sent", "inbox")
    assert len(subjects(branches, people(branches)["omar"])) == 1
    assert staff.deliver(branches.uow(), actor="sender") == 0  # once
