"""A job security claim computed as entitled proposes the claimant's referral to the Ministry of
Labour's job placement, on both databases: a proposed case for a case worker to confirm with the
person's consent, once; and the bad paths: a claim not entitled, an unknown person, someone out of
working age, a user of another branch or without case.open, a reform, nothing half-written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from himaya.cases.claims import propose_on_claim
from himaya.core.access import Role, Scope
from himaya.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from himaya.policy.packs import load_pack
from tests.cases.conftest import Branches, user

PACK = load_pack()
LOST_ON = date(2026, 3, 10)
TODAY = date(2026, 4, 2)
SALIM = user("salim", Role.SUPERVISOR)
RULE = "job_security_claimant_placement"


def person(branches: Branches, *, working_age: bool = True) -> dict[str, Any]:
    """A living person of the `here` head's wilayat of working age (18 to 59 on 1 March 2026), or
    anyone living out of it."""
    where = "wilayat = :w AND " if working_age else ""
    with branches.engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT civil_number, birth_date, wilayat FROM person WHERE {where}death_date IS NULL"),
            {"w": branches.here["wilayat"]} if working_age else {},
        ).mappings()
        people = [dict(r) for r in rows]
    for row in sorted(people, key=lambda r: r["civil_number"]):
        born = row["birth_date"] if isinstance(row["birth_date"], date) else date.fromisoformat(str(row["birth_date"]))
        age = 2026 - born.year - ((born.month, born.day) > (3, 1))
        if (18 <= age <= 59) == working_age:
            return row
    pytest.fail("no such person in the synthetic registry")


def claim(branches: Branches, civil_number: str, amount: int = 252_000, **options: Any) -> Any:
    return propose_on_claim(
        branches.uow(), PACK, "job_security", civil_number, amount, LOST_ON,
        principal=options.pop("principal", SALIM), today=TODAY, **options,
    )  # fmt: skip


def referrals(branches: Branches) -> list[dict[str, Any]]:
    with branches.engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT c.number, c.state, c.type, c.wilayat, c.civil_number, r.service, r.rule, r.provider, r.period"
                " FROM referral r JOIN case_file c ON c.id = r.case_id ORDER BY c.id"
            )
        ).mappings()
        return [dict(r) for r in found]


def test_an_entitled_claim_proposes_job_placement_once(branches: Branches) -> None:
    claimant = person(branches)
    done = claim(branches, claimant["civil_number"], language="en")
    assert (done.proposed, done.by_rule, done.first) == (1, {RULE: 1}, "C-2026-000001")
    [made] = referrals(branches)
    assert (made["state"], made["type"], made["service"], made["rule"]) == (
        "proposed", "referral", "job_placement", RULE,
    )  # fmt: skip
    assert made["civil_number"] == claimant["civil_number"] and str(made["period"]) == "2026-03-01"
    assert made["provider"] is None or made["provider"].startswith("mol_")
    audit = [(e["action"], e["subject"]) for e in branches.rows("audit_entry") if e["action"] == "referral.propose"]
    assert audit == [("referral.propose", f"claim:job_security:{claimant['civil_number']}:{LOST_ON}")]
    again = claim(branches, claimant["civil_number"])
    assert (again.proposed, again.held) == (0, 1) and len(referrals(branches)) == 1


def test_the_month_s_proposals_do_not_run_the_claim_rule() -> None:
    assert RULE in {r.key for r in PACK.services.rules}
    assert RULE not in {r.key for r in PACK.services.monthly}
    assert [r.key for r in PACK.services.on_claim("job_security")] == [RULE]


@pytest.mark.parametrize(
    ("amount", "civil_number", "error", "message"),
    [
        (0, None, InvalidInputError, "is not entitled: nothing to refer"),
        (252_000, "99999999", NotFoundError, "no person with civil number '99999999'"),
    ],
)
def test_a_claim_not_entitled_or_of_nobody_refers_no_one(
    branches: Branches, amount: int, civil_number: str | None, error: type[Exception], message: str
) -> None:
    number = civil_number or person(branches)["civil_number"]
    with pytest.raises(error, match=message):
        claim(branches, number, amount)
    assert referrals(branches) == [] and branches.rows("case_file") == []


def test_out_of_working_age_another_branch_or_no_right_proposes_nothing(branches: Branches) -> None:
    old = claim(branches, person(branches, working_age=False)["civil_number"])
    assert (old.proposed, old.held, old.elsewhere) == (0, 0, 0)
    claimant = person(branches)["civil_number"]
    elsewhere = user("nasser", Role.CASE_WORKER, scopes=(Scope("governorate", branches.there["governorate"]),))
    outside = claim(branches, claimant, principal=elsewhere)
    assert (outside.proposed, outside.elsewhere) == (0, 1)
    with pytest.raises(ForbiddenError):
        claim(branches, claimant, principal=user("fatma", Role.FINANCE_OFFICER))
    with pytest.raises(InvalidInputError, match="after today"):
        propose_on_claim(branches.uow(), PACK, "job_security", claimant, 1, date(2026, 5, 1), principal=SALIM,
                         today=TODAY)  # fmt: skip
    with pytest.raises(InvalidInputError, match="'maternity' is not a claim"):
        propose_on_claim(branches.uow(), PACK, "maternity", claimant, 1, LOST_ON, principal=SALIM, today=TODAY)
    assert referrals(branches) == []
