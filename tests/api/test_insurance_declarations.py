"""`POST /insurance/declarations` on SQLite and PostgreSQL (the `world` fixture): an employer's system
declares its month (JSON or CSV), a repeated request is answered as the first with nothing written,
other lines are a conflict unless corrected, the Fund's officer declares a batch; and the attacker's
side: roles without insurance.declare, another employer than the client's own (registered or not), a
branch-scoped officer, a refused file that writes nothing and tells an employer only that a civil
number cannot be declared (tests/insurance/test_rules.py: never a person's dates), bodies that are
not a declaration."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from himaya.bootstrap import hash_password
from himaya.bootstrap import insurance as store
from himaya.core.access import Scope
from himaya.db import access
from himaya.db.insurance_tables import insurance_declaration, insurance_line
from himaya.db.tables import audit_entry
from himaya.insurance.rules import UNDISCLOSED
from himaya.policy.packs import load_pack
from tests.api.conftest import PASSWORD, World

OURS, THEIRS = "1111111", "2222222"
PATH = "/insurance/declarations"


@pytest.fixture(scope="module")
def clients(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two employers; an employer's system (acme: employer:1111111), the Fund's officer (all) and a
    branch-scoped officer; three living Omani heads to declare."""
    tmp = tmp_path_factory.mktemp("declarations")
    register = tmp / "employers.csv"
    wilayat = world.inside["wilayat"]
    register.write_text(
        f"cr_number,name,sector,wilayat\n{OURS},Acme,private,{wilayat}\n{THEIRS},Other,private,{wilayat}\n"
    )
    store.register_employers(world.engine, load_pack(), register, actor="setup")
    grants = {
        "acme": ("client", ["employer"], [Scope("employer", OURS)]),
        "fund_officer": ("person", ["insurance_officer"], [Scope("all")]),
        "branch_officer": ("person", ["insurance_officer"], [Scope("wilayat", wilayat)]),
    }
    for name, (kind, roles, scopes) in grants.items():
        access.create_user(world.engine, name, hash_password(PASSWORD), kind=kind, actor="setup")
        access.grant(world.engine, name, roles=roles, scopes=scopes, actor="setup")
    acme = world.client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "acme", "client_secret": PASSWORD}
    )
    world.tokens["acme"] = acme.json()["access_token"]
    for name in ("fund_officer", "branch_officer"):
        world.tokens[name] = str(world.login(name)["access_token"])
    alive = world.people.filter(
        pl.col("relationship") == "head", pl.col("death_date").is_null(), pl.col("birth_date") < date(2000, 1, 1)
    )
    return {"people": alive["person_id"].head(3).to_list()}


def post(world: World, user: str, body: Any, **params: Any) -> tuple[int, dict[str, Any]]:
    if isinstance(body, str):
        response = world.client.post(
            PATH, content=body, params=params, headers=world.headers(user) | {"Content-Type": "text/csv"}
        )
    else:
        response = world.client.post(PATH, json=body, params=params, headers=world.headers(user))
    return response.status_code, dict(response.json())


def lines(people: list[str], wage: str = "500.000") -> list[dict[str, Any]]:
    return [{"civil_number": c, "wage": wage, "days": 31} for c in people]


def count(world: World, what: Any, **where: Any) -> int:
    with world.engine.connect() as connection:
        query = select(func.count()).select_from(what)
        for column, value in where.items():
            query = query.where(what.c[column] == value)
        return int(connection.execute(query).scalar_one())


def probes(world: World, actor: str, subject: str) -> list[dict[str, Any]]:
    """The `probe` audit entries of `actor` on `subject` (what they tried), oldest first."""
    with world.engine.connect() as connection:
        found = connection.execute(
            select(audit_entry.c.after)
            .where(audit_entry.c.actor == actor, audit_entry.c.action == "probe", audit_entry.c.subject == subject)
            .order_by(audit_entry.c.id)
        ).scalars()
        return [json.loads(a) if isinstance(a, str) else dict(a) for a in found]


def declared(world: World, month: str) -> int:
    return count(world, insurance_declaration, month=date.fromisoformat(month + "-01"))


def test_an_employer_declares_its_month_once_and_a_replay_writes_nothing(world: World, clients: dict[str, Any]) -> None:
    people = clients["people"]
    status, body = post(world, "acme", lines(people), month="2026-01", employer=OURS)
    assert status == 201, body
    assert body == {"month": "2026-01", "employers": 1, "insured": 3, "wages": "1500.000", "due": body["due"],
                    "corrected": False, "replayed": False}  # fmt: skip
    assert body["due"] != "0.000"
    audited = count(world, audit_entry, actor="acme", action="insurance.declare")
    rows = count(world, insurance_line)
    again = post(world, "acme", list(reversed(lines(people))), month="2026-01", employer=OURS)  # same lines, reordered
    assert again == (200, body | {"replayed": True})
    assert (count(world, audit_entry, actor="acme", action="insurance.declare"), count(world, insurance_line)) == (
        audited, rows,
    )  # fmt: skip
    other = post(world, "acme", lines(people, "600.000"), month="2026-01", employer=OURS)
    assert other[0] == 409 and "already declared for employer 1111111" in other[1]["error"]["message"]
    corrected = post(world, "acme", lines(people, "600.000"), month="2026-01", employer=OURS, correct="true")
    assert corrected[0] == 201 and corrected[1]["corrected"] and corrected[1]["wages"] == "1800.000"
    replayed = post(world, "acme", lines(people, "600.000"), month="2026-01", employer=OURS, correct="true")
    assert replayed == (200, corrected[1] | {"replayed": True})
    assert count(world, audit_entry, actor="acme", action="insurance.correct") == 1


def test_the_funds_officer_declares_a_batch_in_csv(world: World, clients: dict[str, Any]) -> None:
    a, b, c = clients["people"]
    csv = f"cr_number,civil_number,wage,days,basic_wage\n{OURS},{a},400.000,28,\n{THEIRS},{b},350.500,14,300\n"
    status, body = post(world, "fund_officer", csv + f"{THEIRS},{c},700,28,\n", month="2026-02")
    assert status == 201, body
    assert (body["employers"], body["insured"], body["wages"]) == (2, 3, "1450.500")


def test_a_refused_file_names_every_problem_and_writes_nothing(world: World, clients: dict[str, Any]) -> None:
    good = clients["people"][0]
    rows = [
        {"civil_number": good, "wage": "420.0001", "days": 31},
        {"civil_number": "99999999", "wage": "300", "days": 31},
        {"civil_number": clients["people"][1], "wage": "0", "days": 32},
    ]
    status, body = post(world, "acme", rows, month="2026-03", employer=OURS)
    assert status == 422, body
    fields = {(f["row"], f["field"]) for f in body["error"]["fields"]}
    assert {(1, "wage"), (2, "civil_number"), (3, "wage"), (3, "days")} <= fields
    unknown = next(f for f in body["error"]["fields"] if f["row"] == 2)
    assert unknown["message"] == UNDISCLOSED and unknown["value"] == "99999999"
    assert declared(world, "2026-03") == 0
    assert probes(world, "acme", "declaration:2026-03") == [{"action": "insurance.declare", "refused": "persons",
                                                               "count": 1, "civil_numbers": ["99999999"]}]  # fmt: skip


def test_a_file_of_bad_rows_alone_names_them_not_an_unregistered_employer(
    world: World, clients: dict[str, Any]
) -> None:
    """An outside attack declared one row with a negative wage for its registered employer: the answer
    was "no employer registered" (404), not the row's problem."""
    status, body = post(world, "acme", [{"civil_number": clients["people"][0], "wage": "-1", "days": 30}],
                        month="2026-03", employer=OURS)  # fmt: skip
    assert status == 422, body
    assert {(f["row"], f["field"]) for f in body["error"]["fields"]} == {(1, "wage")}
    assert declared(world, "2026-03") == 0


def test_rows_naming_another_employer_than_the_one_declared_for_are_refused(
    world: World, clients: dict[str, Any]
) -> None:
    """An outside attack declared for its own employer with a cr_number column naming another on a
    row: the column was dropped and the row's wage put on the employer's account, silently."""
    rows = [r | {"cr_number": cr} for r, cr in zip(lines(clients["people"]), [OURS, "", THEIRS], strict=True)]
    status, body = post(world, "acme", rows, month="2026-03", employer=OURS)
    assert status == 422, body
    assert [(f["row"], f["field"], f["value"]) for f in body["error"]["fields"]] == [(3, "cr_number", THEIRS)]
    assert "names another employer than 1111111" in body["error"]["fields"][0]["message"]
    assert declared(world, "2026-03") == 0
    assert post(world, "acme", lines(clients["people"]), month="2026-05", employer=OURS)[0] == 201
    conflict = post(world, "acme", lines(clients["people"], "501.000"), month="2026-05", employer=OURS)
    assert conflict[0] == 409 and "correct=true in the API" in conflict[1]["error"]["message"], conflict


@pytest.mark.parametrize("user", ["supervisor", "case_worker", "registrar", "finance_officer", "partner", "nobody"])
def test_without_insurance_declare_refused(world: World, clients: dict[str, Any], user: str) -> None:
    status, body = post(world, user, lines(clients["people"]), month="2026-04", employer=OURS)
    assert status == 403 and "insurance.declare" in body["error"]["message"], body
    assert declared(world, "2026-04") == 0


@pytest.mark.parametrize(
    ("user", "params", "batch"),
    [
        ("acme", {"employer": THEIRS}, None),  # another registered employer
        ("acme", {"employer": "9999999"}, None),  # one not registered: refused alike, nothing told
        ("acme", {}, THEIRS),  # a batch naming another employer on a row
        ("branch_officer", {"employer": OURS}, None),  # a branch gives no employer
    ],
)
def test_another_employer_than_ones_own_is_refused(
    world: World, clients: dict[str, Any], user: str, params: dict[str, str], batch: str | None
) -> None:
    rows = lines(clients["people"])
    if batch is not None:
        rows = [r | {"cr_number": OURS} for r in rows[:2]] + [rows[2] | {"cr_number": batch}]
    status, body = post(world, user, rows, month="2026-04", **params)
    assert status == 403, body
    named = params.get("employer") or batch
    assert f"you may not declare for employer {named}" in body["error"]["message"]
    assert declared(world, "2026-04") == 0
    assert {"refused": "scope", "employers": [named]}.items() <= probes(world, user, f"employer:{named}")[-1].items()


def test_bodies_and_months_that_are_not_a_declaration(world: World, clients: dict[str, Any]) -> None:
    people = clients["people"]
    headers = world.headers("acme")
    xml = world.client.post(PATH, content="<a/>", params={"month": "2026-04", "employer": OURS},
                            headers=headers | {"Content-Type": "application/xml"})  # fmt: skip
    assert xml.status_code == 415
    broken = world.client.post(PATH, content="[{", params={"month": "2026-04", "employer": OURS},
                               headers=headers | {"Content-Type": "application/json"})  # fmt: skip
    assert broken.status_code == 422 and "is not valid JSON" in broken.json()["error"]["message"]
    for body, month, message in (
        ({"civil_number": people[0]}, "2026-04", "must hold a JSON array of objects"),
        ([], "2026-04", "the array is empty"),
        (lines(people), "2026-13", "query.month"),
        (lines(people), "2099-01", "is after the current month"),
        (lines(people), "2023-12", "before"),
        ("civil_number,wage\n", "2026-04", "has no rows"),
        (f"civil_number,wage\n{people[0]},1\n", "2026-04", "days"),
    ):
        status, answer = post(world, "acme", body, month=month, employer=OURS)
        assert status == 422 and message in str(answer), (body, month, answer)
    assert declared(world, "2026-04") == 0
