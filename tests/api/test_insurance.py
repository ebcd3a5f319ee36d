"""`/insurance`: an insured person's career and their pension, job security benefit and maternity
allowance explained, on SQLite and PostgreSQL (the `world` fixture); and the forbidden requests: a
person of another branch answered as one who does not exist, a reader without person.identify or
without the permission refused, bad days and claims refused with the rule."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from himaya.bootstrap import insurance as store
from himaya.core.periods import Period
from himaya.db.tables import audit_entry
from himaya.policy.packs import load_pack
from tests.api.conftest import World

MONTHS = ("2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02")


@pytest.fixture(scope="module")
def insured(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Six months of 600.000 declared for the inside head, a woman of its governorate and the outside head."""
    people, pack = world.people, load_pack()
    here = pl.col("governorate") == world.inside["governorate"]  # the supervisor's scope
    families = people.filter(pl.col("relationship") == "head", here)
    woman = people.filter(
        pl.col("family_id").is_in(families["family_id"].to_list()), pl.col("sex") == "F",
        pl.col("birth_date") < date(2000, 1, 1), pl.col("death_date").is_null(),
        pl.col("person_id") != world.inside["person_id"],
    ).row(0, named=True)  # fmt: skip
    chosen = {"head": world.inside["person_id"], "woman": woman["person_id"], "outside": world.outside["person_id"]}
    tmp = tmp_path_factory.mktemp("insurance")
    employers = tmp / "employers.csv"
    employers.write_text(f"cr_number,name,sector,wilayat\n1234567,Test Company,private,{world.inside['wilayat']}\n")
    store.register_employers(world.engine, pack, employers, actor="setup")
    for month in MONTHS:
        declared = tmp / f"{month}.csv"
        days = Period.parse(month).end.day
        rows = "".join(f"{c},600.000,{days},\n" for c in chosen.values())
        declared.write_text("civil_number,wage,days,basic_wage\n" + rows)
        store.declare(
            world.engine, pack, declared, Period.parse(month), actor="setup", today=date(2026, 3, 1), employer="1234567"
        )
    return chosen


def get(world: World, user: str, path: str, **params: Any) -> tuple[int, dict[str, Any]]:
    response = world.client.get(path, headers=world.headers(user), params=params)
    return response.status_code, dict(response.json())


def test_a_career_read_in_the_branch(world: World, insured: dict[str, str]) -> None:
    status, body = get(world, "case_worker", f"/insurance/people/{insured['head']}/career")
    assert status == 200, body
    assert body["months"] == 6 and body["wages"] == "3600.000" and len(body["lines"]) == 6
    assert body["lines"][0] == {"month": "2025-09", "cr_number": "1234567", "employer": "Test Company",
                                "wage": "600.000", "days": 30}  # fmt: skip


def test_a_maternity_allowance_explained_in_both_languages(world: World, insured: dict[str, str]) -> None:
    path = f"/insurance/people/{insured['woman']}/maternity"
    status, body = get(world, "supervisor", path, birth_on="2026-03-10")
    assert status == 200, body
    assert (body["benefit"], body["status"], body["amount"]) == ("maternity", "entitled", "1960.000")
    steps = {s["label"]: s["value"] for s in body["steps"]}
    assert steps["Average monthly wage"] == "600.000 OMR" and steps["Days of leave paid"] == "98"
    used = {p["path"]: p for p in body["parameters"]}
    assert used["insurance.maternity.benefit.days"]["status"] == "ASSUMED"
    assert used["insurance.maternity.benefit.days"]["value"] == "98"
    status, arabic = get(world, "supervisor", path, birth_on="2026-03-10", lang="ar")
    assert status == 200 and arabic["name"] == "بدل الأمومة" and arabic["status_text"] == "مستحق"
    assert "أيام الإجازة المدفوعة" in arabic["text"]
    status, before = get(world, "supervisor", path, birth_on="2024-07-18")
    assert status == 200 and before["status"] == "before_branch" and before["amount"] == "0.000"


def test_a_pension_and_a_job_security_claim_explained(world: World, insured: dict[str, str]) -> None:
    base = f"/insurance/people/{insured['head']}"
    status, body = get(world, "supervisor", base + "/pension", as_of="2026-03-01")
    assert status == 200, body
    assert body["benefit"] == "old_age" and body["status"] in ("too_young", "too_few_months")
    assert {"Months of old-age insurance": "6"}.items() <= {s["label"]: s["value"] for s in body["steps"]}.items()
    assert any(p["path"] == "insurance.pension.minimum_months" for p in body["parameters"])
    status, body = get(world, "supervisor", base + "/pension", as_of="2026-03-01", kind="disability")
    assert status == 200 and body["benefit"] == "disability"
    status, body = get(world, "case_worker", base + "/job-security", lost_on="2026-03-10", claim=1)
    assert status == 200 and body["status"] == "too_few_months"
    assert {s["label"]: s["value"] for s in body["steps"]}["Months of contributions in them"] == "6"


def test_another_branch_is_answered_as_nobody(world: World, insured: dict[str, str]) -> None:
    unknown = get(world, "other_registrar", "/insurance/people/91234567/career")
    for what, params in (("career", {}), ("maternity", {"birth_on": "2026-03-10"}), ("pension", {})):
        status, body = get(world, "other_registrar", f"/insurance/people/{insured['woman']}/{what}", **params)
        assert status == 404 and body["error"]["code"] == unknown[1]["error"]["code"], body
        assert "in your branches" in body["error"]["message"]
    with world.engine.connect() as connection:
        probes = connection.execute(
            select(audit_entry.c.after).where(
                audit_entry.c.actor == "other_registrar", audit_entry.c.subject == f"person:{insured['woman']}"
            )
        ).scalars().all()  # fmt: skip
    found = [(json.loads(p) if isinstance(p, str) else p)["found"] for p in probes]
    assert found and not any(found)
    status, body = get(world, "registrar", f"/insurance/people/{insured['outside']}/career")
    assert status == 404


@pytest.mark.parametrize("user", ["policy_analyst", "auditor", "finance_officer", "partner", "nobody", "admin"])
def test_without_the_permissions_refused(world: World, insured: dict[str, str], user: str) -> None:
    for what, params in (
        ("career", {}),
        ("maternity", {"birth_on": "2026-03-10"}),
        ("job-security", {"lost_on": "2026-03-10"}),
    ):
        status, body = get(world, user, f"/insurance/people/{insured['head']}/{what}", **params)
        assert status == 403, (user, what, body)
        assert insured["head"] not in str(body)


def test_bad_requests_name_the_rule(world: World, insured: dict[str, str]) -> None:
    base = f"/insurance/people/{insured['woman']}"
    status, body = get(world, "supervisor", base + "/maternity", birth_on="2023-06-30")
    assert status == 422 and "the birth on 2023-06-30 is before 2024-01-01" in body["error"]["message"]
    status, body = get(world, "supervisor", base + "/job-security", lost_on="2026-03-10", claim=0)
    assert status == 422
    status, body = get(world, "supervisor", base + "/pension", kind="death")
    assert status == 422
    status, body = get(world, "supervisor", f"/insurance/people/{insured['head']}/maternity", birth_on="2026-03-10")
    if world.people.filter(pl.col("person_id") == insured["head"])["sex"][0] == "M":
        assert status == 422 and "not recorded as a woman" in body["error"]["message"]
    in_branch = world.people.filter(
        pl.col("relationship") == "head", pl.col("governorate") == world.inside["governorate"],
        ~pl.col("person_id").is_in(list(insured.values())),
    )["person_id"][0]  # fmt: skip
    status, body = get(world, "supervisor", f"/insurance/people/{in_branch}/career")
    assert status == 404 and "no declared month" in body["error"]["message"]
