"""An override that holds, over the API, on both databases: the decision's body names the exception's
review month and amount (`override_until`, `override_amount`), refused with 422 naming the field when
missing and nothing written; `GET /cases/exceptions` lists those in force in the user's branches;
`POST /cases/exceptions/{id}/end` is a supervisor's, from the version read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db.exception_tables import benefit_exception
from tests.api.conftest import World
from tests.api.test_attacks_applications import _decide, _prepared


def _review() -> str:
    """Three months from the service's today, in Muscat (computed when the test runs, never at import)."""
    return str(Period.containing(today("Asia/Muscat")).shifted(3))


def _exceptions(world: World) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(benefit_exception)).scalar_one())


def _version(world: World, number: str) -> Any:
    return world.client.get(f"/cases/{number}", headers=world.headers("supervisor")).json()["version"]


def test_an_override_over_the_api_records_its_exception_and_a_supervisor_ends_it(world: World) -> None:
    number = _prepared(world, "en", programme="disability", disability_category="visual")  # no card: not entitled
    override = {"to": "approved", "override": "card renewal pending: minutes 9"}
    missing = _decide(world, number, **override | {"override_amount": "130.000"})
    assert missing.status_code == 422 and "override_until: required" in missing.json()["error"]["message"]
    missing = _decide(world, number, **override | {"override_until": _review()})
    assert missing.status_code == 422 and "override_amount: required" in missing.json()["error"]["message"]
    malformed = _decide(world, number, **override | {"override_until": _review(), "override_amount": "lots"})
    assert malformed.status_code == 422 and "override_amount" in malformed.text
    too_much = _decide(world, number, **override | {"override_until": _review(), "override_amount": "500.000"})
    assert too_much.status_code == 422 and "parameter exception.max_amount.disability" in too_much.text
    assert (_exceptions(world), _version(world, number)) == (0, 3)  # nothing half-written
    approved = _decide(world, number, **override | {"override_until": _review(), "override_amount": "120.500"})
    assert approved.status_code == 200, approved.text
    held = approved.json()["wrote"]["exception"]
    assert (held["programme"], held["from"], held["until"], held["amount"]) == (
        "disability", "2026-11", _review(), "120.500",
    )  # fmt: skip
    listed = world.client.get("/cases/exceptions", headers=world.headers("case_worker"))
    assert listed.status_code == 200, listed.text
    mine = [e for e in listed.json() if e["case_number"] == number]
    assert [(e["id"], e["amount"], e["version"]) for e in mine] == [(held["exception"], "120.500", 1)]
    end = f"/cases/exceptions/{held['exception']}/end"
    body = {"version": 1, "last": str(Period.containing(today("Asia/Muscat"))), "reason": "the card was renewed"}
    assert world.client.post(end, headers=world.headers("case_worker"), json=body).status_code == 403
    stale = world.client.post(end, headers=world.headers("supervisor"), json=body | {"version": 2})
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"]["message"] == "version 2 does not exist: the exception is at version 1"
    ended = world.client.post(end, headers=world.headers("supervisor"), json=body)
    assert ended.status_code == 200 and ended.json() == {"exception": held["exception"], "until": body["last"],
                                                         "version": 2}, ended.text  # fmt: skip
