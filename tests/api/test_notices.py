"""`/notify`: a branch's letters printed as one PDF batch, a lost batch printed again, the staff inbox;
what another branch's officer, an analyst and a case worker do not get."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from himaya.cases import actions
from himaya.cases.model import NewCase
from himaya.core.access import Role
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from tests.api.conftest import World, _case
from tests.cases.conftest import user


def test_a_branch_prints_its_letters_and_no_other_branch_does(world: World) -> None:
    with world.engine.begin() as connection:
        connection.execute(text("UPDATE person SET mobile = NULL"))  # a case's messages are letters
    number = _case(world.client, world.tokens["case_worker"], world.inside["person_id"])
    here = world.inside["wilayat"]
    stolen = world.client.post(f"/notify/letters?branch={here}", headers=world.headers("other_registrar"))
    assert stolen.status_code == 403 and "not one of your branches" in stolen.text
    analyst = world.client.post(f"/notify/letters?branch={here}", headers=world.headers("policy_analyst"))
    assert analyst.status_code == 403
    printed = world.client.post(f"/notify/letters?branch={here}", headers=world.headers("case_worker"))
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf" and printed.content.startswith(b"%PDF")
    batch, count = int(printed.headers["X-Letter-Batch"]), int(printed.headers["X-Letters"])
    assert count >= 1
    with world.engine.connect() as connection:
        marked = connection.execute(
            text("SELECT o.state, c.number FROM notification_outbox o JOIN case_file c ON c.id = o.case_id"
                 " WHERE o.batch_id = :b"), {"b": batch}
        ).all()  # fmt: skip
    assert ("printed", number) in [tuple(r) for r in marked] and len(marked) == count
    again = world.client.post(f"/notify/letters?branch={here}", headers=world.headers("case_worker"))
    assert again.status_code == 204 and again.content == b""
    path = f"/notify/letters/batches/{batch}/reprint"
    assert world.client.post(path, headers=world.headers("other_registrar")).status_code == 404
    assert world.client.post(path, headers=world.headers("policy_analyst")).status_code == 403
    reprinted = world.client.post(path, headers=world.headers("case_worker"))
    assert reprinted.status_code == 200 and reprinted.headers["X-Letters"] == str(count)
    assert world.client.post("/notify/letters?branch=Atlantis", headers=world.headers("case_worker")).status_code == 422


def test_the_staff_inbox_holds_the_escalations_of_ones_role_and_branches(world: World) -> None:
    request = NewCase(
        "grievance", "branch", civil_number=world.inside["person_id"], category="wrong_amount",
        form={"details": "paid 10 OMR less", "period": "2025-12", "amount": "10"},
    )  # fmt: skip
    everyone = user("setup", Role.SUPERVISOR)
    catalogue = load_pack().cases
    number = actions.open_case(
        SqlUnitOfWork(world.engine), catalogue, request, principal=everyone, today=date(2026, 1, 4)
    ).number
    actions.overdue(SqlUnitOfWork(world.engine), catalogue, principal=everyone, escalate=True, today=date(2026, 1, 8))
    assert world.client.get("/notify/inbox").status_code == 401
    mine = world.client.get("/notify/inbox", headers=world.headers("supervisor"))
    assert mine.status_code == 200, mine.text
    [message] = [m for m in mine.json()["messages"] if m["case"] == number]
    assert message["read_at"] is None and message["recipient"] == f"role:supervisor@{world.inside['wilayat']}"
    for other in ("case_worker", "other_registrar", "auditor"):  # not their role, or not their branch
        assert world.client.get("/notify/inbox", headers=world.headers(other)).json() == {"messages": []}, other
    body = {"ids": [message["id"]]}
    refused = world.client.post("/notify/inbox/read", json=body, headers=world.headers("case_worker"))
    assert refused.status_code == 404
    read = world.client.post("/notify/inbox/read", json=body, headers=world.headers("supervisor"))
    assert read.status_code == 200 and read.json() == {"marked": 1}
    unread = world.client.get("/notify/inbox?unread=true", headers=world.headers("supervisor")).json()
    assert message["id"] not in [m["id"] for m in unread["messages"]]
