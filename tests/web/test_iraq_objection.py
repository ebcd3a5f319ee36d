"""An objection (Iraq's appeal) to a refused change request, through the API under Iraq's pack: the
committee's grant writes the change the refusal did not, dated as the request asked; the officer who
prepared it cannot decide it. On both databases."""

from __future__ import annotations

from himaya.core.clock import today
from tests.web.test_iraq_office import Iraq, ask_to_move, iraq  # noqa: F401  (the fixture)


def _move(iraq: Iraq, number: str, version: int, to: str, user: str, **more: str) -> dict[str, object]:  # noqa: F811
    moved = iraq.client.post(
        f"/cases/{number}/decision", json={"version": version, "to": to, **more}, headers=iraq.headers(user)
    )
    assert moved.status_code == 200, (to, moved.text)
    return dict(moved.json())


def test_an_objection_to_a_refused_change_request_writes_the_change(iraq: Iraq) -> None:  # noqa: F811
    registrar = iraq.headers("registrar")
    request, district = ask_to_move(iraq, "770000000006", "IQ-NEW-0003", sex="F", status="widowed", name="Zainab")
    _move(iraq, request, 1, "in_review", "officer")
    _move(iraq, request, 2, "prepared", "officer")
    _move(iraq, request, 3, "refused", "registrar", reason="no lease shown")

    objection = {
        "type": "appeal", "civil_number": "770000000006", "channel": "branch",
        "form": {"decision": request, "notified_on": today("Asia/Baghdad").isoformat(), "grounds": "the lease"},
    }  # fmt: skip
    filed = iraq.client.post("/cases", json=objection, headers=iraq.headers("officer"))
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    _move(iraq, number, 1, "committee", "officer")
    prepared_by_officer = iraq.client.post(
        f"/cases/{number}/decision",
        json={"version": 2, "to": "granted", "reason": "ok"},
        headers=iraq.headers("officer"),
    )
    assert prepared_by_officer.status_code == 403, prepared_by_officer.text  # who prepared it does not decide it
    granted = _move(iraq, number, 2, "granted", "registrar", reason="the lease was shown to the committee")
    assert granted["wrote"]["reverses"] == request, granted
    person = iraq.client.get("/people/770000000006", headers=registrar).json()["person"]
    assert person["wilayat"] == district  # the district the refused request asked for

    moved_away = iraq.client.post("/cases", json=objection, headers=iraq.headers("officer"))
    assert moved_away.status_code == 404, moved_away.text  # she lives in another branch's district now
    again = iraq.client.post("/cases", json=objection, headers=registrar)  # whose branches hold both districts
    assert again.status_code in (409, 422), again.text  # a decision is objected to once
