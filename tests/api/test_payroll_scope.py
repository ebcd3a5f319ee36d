"""The payroll's reads are scoped like every other read (issue 12, item 2): a user of one branch sees
and sums only the people of that branch (a person's branch is the branch of their family's head),
in the rows and in the counts; a country-wide user sees everyone. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import polars as pl

from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.core.money import format_omr, parse_omr
from himaya.db import access
from tests.api.conftest import PASSWORD, World


def _login(world: World, user: str, scope: Scope) -> dict[str, str]:
    access.create_user(world.engine, user, hash_password(PASSWORD), actor="test")
    access.grant(world.engine, user, roles=["auditor", "case_worker"], scopes=[scope], actor="test")
    return {"Authorization": f"Bearer {world.login(user)['access_token']}"}


def _branch_people(world: World, wilayat: str) -> set[str]:
    heads = world.people.filter(pl.col("relationship") == "head").select("family_id", pl.col("wilayat").alias("at"))
    people = world.people.join(heads, on="family_id").filter(pl.col("at") == wilayat)
    return set(people["person_id"].to_list())


def _calculated(world: World) -> None:
    access.create_user(world.engine, "national", hash_password(PASSWORD), actor="test")
    access.grant(world.engine, "national", roles=["supervisor"], scopes=[Scope("all")], actor="test")
    national = {"Authorization": f"Bearer {world.login('national')['access_token']}"}
    assert world.client.post("/enrollments/sync/2026-01", headers=national).status_code == 200
    run = world.client.post("/payroll/2026-01/run", headers=world.headers("finance_officer"))
    assert run.status_code == 200, run.text


def test_a_branch_user_reads_only_the_payroll_of_their_branch(world: World) -> None:
    _calculated(world)
    everywhere = _login(world, "auditor.all", Scope("all"))
    full = world.client.get("/payroll/2026-01/diff?limit=10000", headers=everywhere).json()
    everyone = {row["person_id"] for row in full["rows"]}
    # The branch: the wilayat of someone paid, so that the branch has payments of its own.
    paid = world.people.filter(pl.col("person_id").is_in(sorted(everyone)), pl.col("relationship") == "head")
    wilayat, governorate = paid["wilayat"][0], paid["governorate"][0]
    here = _login(world, "auditor.here", Scope("wilayat", wilayat))
    mine = _branch_people(world, wilayat)
    scoped = world.client.get("/payroll/2026-01/diff?limit=10000", headers=here).json()
    seen = {row["person_id"] for row in scoped["rows"]}
    assert everyone - mine, "the test needs people paid outside the branch"
    assert seen == everyone & mine and seen
    assert scoped["counts"] == {"new": len(scoped["rows"])}
    assert full["counts"] == {"new": len(full["rows"])}

    omr = re.compile(r"\d+\.\d{3}")  # what a person reads is in OMR with three decimals
    assert all(omr.fullmatch(row["now"]) and row["before"] is None for row in full["rows"])
    runs = world.client.get("/payroll", headers=everywhere).json()["runs"]
    assert all(omr.fullmatch(run[c]) for run in runs for c in ("payable", "held", "paid_amount"))
    totals = world.client.get("/payroll/2026-01/report", headers=here).json()["totals"]
    assert totals["programme"] == "total" and omr.fullmatch(totals["amount"])
    report_all = world.client.get("/payroll/2026-01/report", headers=everywhere).json()["rows"]
    report_here = world.client.get("/payroll/2026-01/report", headers=here).json()["rows"]
    beneficiaries = sum(r["beneficiaries"] for r in report_here)
    # One line per person and programme here: a beneficiary of two programmes counts in both rows.
    assert beneficiaries == len(scoped["rows"]) and report_here
    assert {r["governorate"] for r in report_here} == {governorate}
    assert sum(r["beneficiaries"] for r in report_all) == len(full["rows"]) > beneficiaries
    assert parse_omr(totals["amount"]) == sum(parse_omr(r["amount"]) for r in report_here) > 0

    # The lines held for want of an account: the branch's only, amounts in OMR.
    held_all = world.client.get("/payroll/2026-01/held?limit=10000", headers=everywhere).json()
    held_here = world.client.get("/payroll/2026-01/held?limit=10000", headers=here).json()
    assert held_all["lines"] == len(held_all["rows"]) > held_here["lines"] == len(held_here["rows"])
    assert {row["person_id"] for row in held_here["rows"]} == {r["person_id"] for r in held_all["rows"]} & mine
    assert all(re.fullmatch(r"\d+\.\d{3}", row["amount"]) for row in held_all["rows"])
    total = sum(parse_omr(row["amount"]) for row in held_all["rows"])
    assert held_all["amount"] == format_omr(total) and total > 0
    masked = world.client.get("/payroll/2026-01/held", headers=world.headers("policy_analyst")).json()["rows"]
    assert masked and all(set(row) >= {"ref", "amount"} and "person_id" not in row for row in masked)
