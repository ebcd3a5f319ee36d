"""The permission matrix: every endpoint, every role, inside and outside the user's branch.

Each row names the roles that may use the endpoint; every other role must get 403, a request
without a token 401, and a branch user asking about another branch's family or person 404 (the
same answer as for one that does not exist, so that nothing leaks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import World
from tests.conftest import REPO

ROLES = (
    "registrar",
    "case_worker",
    "supervisor",
    "finance_officer",
    "payroll_approver",
    "policy_analyst",
    "auditor",
    "admin",
    "partner",
    "civil_registry",
    "nobody",
)
BRANCH = {"registrar", "case_worker", "supervisor", "nobody"}  # the users scoped to one branch
READERS = {"registrar", "case_worker", "supervisor", "policy_analyst", "auditor"}
IDENTIFIERS = {"registrar", "case_worker", "supervisor"}
CASE_WORKERS = frozenset({"registrar", "case_worker", "supervisor"})  # case.read, case.open and case.work


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict[str, Any]], str]  # from the target family head
    allowed: frozenset[str]
    ok: int = 200  # what an allowed role gets inside its branch
    body: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None  # or made from the head
    scoped: bool = False  # about one family or person: a branch user gets 404 outside the branch
    form: bool = False


def _dci(head: dict[str, Any]) -> dict[str, Any]:
    return {
        "header": {
            "version": "1.0.0",
            "message_id": "m-1",
            "message_ts": "2026-01-01T10:00:00+04:00",
            "action": "search",
            "sender_id": "partner",
            "total_count": 1,
        },
        "message": {
            "transaction_id": "t-1",
            "search_request": [
                {
                    "reference_id": "r-1",
                    "timestamp": "2026-01-01T10:00:00+04:00",
                    "search_criteria": {
                        "query_type": "idtype-value",
                        "query": {"type": "UIN", "value": head["person_id"]},
                    },
                }
            ],
        },
    }


_BIRTH = json.loads((REPO / "tests" / "events" / "fixtures" / "birth-bundle.json").read_text())

ENDPOINTS = [
    Endpoint("search people", "GET", lambda h: f"/people?family_number={h['family_id']}", frozenset(READERS)),
    Endpoint("read person", "GET", lambda h: f"/people/{h['person_id']}", frozenset(IDENTIFIERS), scoped=True),
    Endpoint("family", "GET", lambda h: f"/families/{h['family_id']}", frozenset(READERS), scoped=True),
    Endpoint(
        "entitlements",
        "GET",
        lambda h: f"/families/{h['family_id']}/entitlements?period=2026-01&lang=ar",
        frozenset({"registrar", "case_worker", "supervisor", "policy_analyst"}),
        scoped=True,
    ),
    Endpoint(
        "explanation for a citizen",
        "GET",
        lambda h: f"/families/{h['family_id']}/explanation?period=2026-01&lang=ar",
        frozenset({"registrar", "case_worker", "supervisor", "policy_analyst"}),
        scoped=True,
    ),
    Endpoint(
        "statement letter (PDF)",
        "GET",
        lambda h: f"/families/{h['family_id']}/letter?period=2026-01&lang=ar",
        frozenset({"registrar", "case_worker", "supervisor"}),
        scoped=True,
    ),
    Endpoint(
        "search by phone",
        "GET",
        lambda h: f"/people?phone={h['mobile'] or '91234567'}",
        frozenset(IDENTIFIERS),
    ),
    Endpoint(
        "enrollments", "GET", lambda h: f"/people/{h['person_id']}/enrollments", frozenset(IDENTIFIERS), scoped=True
    ),
    Endpoint(
        "update (stale version)",
        "PATCH",
        lambda h: f"/people/{h['person_id']}",
        frozenset({"registrar", "supervisor"}),
        ok=409,
        body={"version": 999, "changes": {"mobile": "+96891234567"}},
        scoped=True,
    ),
    Endpoint(
        "incomes (stale version)",
        "PUT",
        lambda h: f"/people/{h['person_id']}/incomes",
        frozenset(IDENTIFIERS),
        ok=409,
        body={"version": 999, "wage": "100.000"},
        scoped=True,
    ),
    Endpoint(
        "parameters",
        "GET",
        lambda h: "/parameters",
        frozenset(set(ROLES) - {"partner", "civil_registry", "nobody"}),
    ),
    Endpoint(
        "payroll status",
        "GET",
        lambda h: "/payroll",
        frozenset({"finance_officer", "payroll_approver", "policy_analyst", "auditor"}),
    ),
    Endpoint(
        "payroll submit (no run)", "POST", lambda h: "/payroll/2031-01/submit", frozenset({"finance_officer"}), ok=404
    ),
    Endpoint(
        "payroll approve (no run)",
        "POST",
        lambda h: "/payroll/2031-01/approve",
        frozenset({"payroll_approver"}),
        ok=404,
    ),
    # Country-wide: even the supervisor, scoped to one governorate, may not.
    Endpoint("enrollment sync", "POST", lambda h: "/enrollments/sync/2026-01", frozenset()),
    Endpoint("audit verify", "GET", lambda h: "/audit/verify", frozenset({"auditor", "admin"})),
    Endpoint("audit entries", "GET", lambda h: "/audit/entries?limit=5", frozenset({"auditor", "admin"})),
    Endpoint("DCI sync search", "POST", lambda h: "/registry/sync/search", frozenset({"partner"})),
    Endpoint(
        "OpenCRVS event", "POST", lambda h: "/events/opencrvs", frozenset({"civil_registry"}), ok=202, body=_BIRTH
    ),
    # a message not the spec's: refused (422) to the civil registry, and to any other role before it is read
    Endpoint("DCI CRVS notify", "POST", lambda h: "/events/dci/notify", frozenset({"civil_registry"}), ok=422, body={}),
    Endpoint(
        "DCI CRVS on-subscribe",
        "POST",
        lambda h: "/events/dci/on-subscribe",
        frozenset({"civil_registry"}),
        ok=422,
        body={},
    ),
    Endpoint(
        "DCI CRVS on-search", "POST", lambda h: "/events/dci/on-search", frozenset({"civil_registry"}), ok=422, body={}
    ),
    Endpoint("who am I", "GET", lambda h: "/auth/me", frozenset(ROLES)),
    Endpoint(
        "open case",
        "POST",
        lambda h: "/cases",
        CASE_WORKERS,
        ok=201,
        body=lambda h: {
            "type": "grievance",
            "civil_number": h["person_id"],
            "category": "data_error",
            "form": {"details": "x"},
        },
        scoped=True,
    ),
    Endpoint("case inbox", "GET", lambda h: "/cases?state=received", CASE_WORKERS),
    Endpoint("services", "GET", lambda h: f"/services?wilayat={h['wilayat']}", CASE_WORKERS),
    Endpoint("referrals", "GET", lambda h: "/referrals?state=sent", CASE_WORKERS),
    Endpoint("overdue cases", "GET", lambda h: "/cases/overdue", CASE_WORKERS),
    Endpoint("read case", "GET", lambda h: f"/cases/{h['case_number']}", CASE_WORKERS, scoped=True),
    Endpoint("case letter (PDF)", "GET", lambda h: f"/cases/{h['case_number']}/letter", CASE_WORKERS, scoped=True),
    Endpoint(
        "assign case (stale version)",
        "POST",
        lambda h: f"/cases/{h['case_number']}/assign",
        CASE_WORKERS,
        ok=409,
        body={"version": 999, "to": "case_worker"},
        scoped=True,
    ),
    Endpoint(
        "case note",
        "POST",
        lambda h: f"/cases/{h['case_number']}/notes",
        CASE_WORKERS,
        ok=201,
        body={"text": "called"},
        scoped=True,
    ),
    Endpoint(
        "case decision (stale version)",
        "POST",
        lambda h: f"/cases/{h['case_number']}/decision",
        CASE_WORKERS,
        ok=409,
        body={"version": 999, "to": "in_review"},
        scoped=True,
    ),
    Endpoint(
        "close case (stale version)",
        "POST",
        lambda h: f"/cases/{h['case_number']}/close",
        CASE_WORKERS,
        ok=409,
        body={"version": 999},
        scoped=True,
    ),
]


def _call(world: World, endpoint: Endpoint, head: dict[str, Any], user: str | None) -> Any:
    headers = world.headers(user) if user else {}
    body = _dci(head) if endpoint.name.startswith("DCI") else endpoint.body
    if callable(body):
        body = body(head)
    return world.client.request(endpoint.method, endpoint.path(head), headers=headers, json=body)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_role_inside_its_branch(world: World, endpoint: Endpoint) -> None:
    for role in ROLES:
        response = _call(world, endpoint, world.inside, role)
        expected = endpoint.ok if role in endpoint.allowed else 403
        if role == "nobody" and endpoint.name == "who am I":
            expected = 200
        assert response.status_code == expected, f"{endpoint.name} as {role}: {response.status_code} {response.text}"
        if expected == 403:
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.scoped], ids=[e.name for e in ENDPOINTS if e.scoped])
def test_outside_the_branch_is_not_found(world: World, endpoint: Endpoint) -> None:
    for role in ROLES:
        response = _call(world, endpoint, world.outside, role)
        if role not in endpoint.allowed:
            assert response.status_code == 403, f"{endpoint.name} as {role}"
        elif role in BRANCH:  # another branch's family: exactly as if it did not exist
            assert response.status_code == 404, f"{endpoint.name} as {role}: {response.text}"
            assert world.outside["given_name_en"] not in response.text
            missing = {
                **world.outside,
                "person_id": "99999999",
                "family_id": "F99999999",
                "case_number": "C-2099-999999",
            }
            unknown = _call(world, endpoint, missing, role)
            assert unknown.status_code == 404
            assert unknown.json()["error"]["message"].replace("C-2099-999999", "?").replace("99999999", "?") == (
                response.json()["error"]["message"]
                .replace(world.outside["case_number"], "?")
                .replace(world.outside["person_id"], "?")
                .replace(world.outside["family_id"][1:], "?")
            )
        else:  # a user of every branch
            assert response.status_code == endpoint.ok, f"{endpoint.name} as {role}: {response.text}"


def test_another_branchs_registrar_cannot_use_this_branchs_family(world: World) -> None:
    inside = world.inside
    for path in (
        f"/families/{inside['family_id']}",
        f"/families/{inside['family_id']}/entitlements?period=2026-01",
        f"/families/{inside['family_id']}/explanation?period=2026-01",
        f"/families/{inside['family_id']}/letter?period=2026-01",
        f"/people/{inside['person_id']}",
        f"/people?name={inside['given_name_en']}",
        f"/people?q={inside['person_id']}",
        f"/people?family_number={inside['family_id']}",
    ):
        response = world.client.get(path, headers=world.headers("other_registrar"))
        assert response.status_code in (200, 404), path
        assert inside["given_name_en"] not in response.text, path
        if response.status_code == 200:
            assert response.json()["people"] == []
    response = world.client.patch(
        f"/people/{inside['person_id']}",
        headers=world.headers("other_registrar"),
        json={"version": 1, "changes": {"mobile": "+96891234567"}},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_no_token_no_access(world: World, endpoint: Endpoint) -> None:
    response = _call(world, endpoint, world.inside, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_analysts_and_auditors_see_no_names_or_civil_numbers(world: World) -> None:
    family = world.people.filter(world.people["family_id"] == world.inside["family_id"])
    secrets = [
        v for column in ("person_id", "given_name_en", "given_name_ar", "family_name_ar") for v in family[column]
    ]
    secrets += [v for v in family["iban"] if v] + [v for v in family["mobile"] if v]
    for role in ("policy_analyst", "auditor"):
        for path in (
            f"/people?family_number={world.inside['family_id']}",
            f"/families/{world.inside['family_id']}",
            f"/families/{world.inside['family_id']}/entitlements?period=2026-01",
            f"/families/{world.inside['family_id']}/explanation?period=2026-01&lang=ar",
            "/audit/entries?limit=1000",
        ):
            response = world.client.get(path, headers=world.headers(role))
            if response.status_code == 403:
                continue
            assert response.status_code == 200, (role, path, response.text)
            leaked = [s for s in secrets if s and s in response.text]
            assert not leaked, (role, path, leaked)
        listed = world.client.get(f"/people?family_number={world.inside['family_id']}", headers=world.headers(role))
        if listed.status_code == 200:
            assert all(p["ref"].startswith("anon-") for p in listed.json()["people"])
        by_name = world.client.get("/people?name=Al", headers=world.headers(role))
        assert by_name.status_code == 403


def test_a_registrar_sees_the_names(world: World) -> None:
    response = world.client.get(f"/families/{world.inside['family_id']}", headers=world.headers("registrar"))
    assert world.inside["given_name_en"] in response.text
    assert world.inside["person_id"] in response.text
