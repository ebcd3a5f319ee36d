"""`GET /insurance/people/{civil_number}/awards` on SQLite and PostgreSQL (the `world` fixture): a
person's awards as the insured person, scoped to the reader's branches and audited like the other
insurance reads; another branch's insurance officer answered as nobody; a reader without the awards'
own permission (`insurance.read`: a registrar, who reads the person's entitlements) or without
identify refused."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from himaya.bootstrap import access, hash_password
from himaya.bootstrap import insurance as store
from himaya.core.access import Principal, Scope
from himaya.db.tables import audit_entry
from himaya.policy.packs import load_pack
from tests.api.conftest import PASSWORD, World
from tests.api.test_insurance import insured  # noqa: F401  (the fixture: six months declared)


def test_a_persons_awards_read_in_the_branch(world: World, insured: dict[str, str]) -> None:  # noqa: F811
    pack, woman = load_pack(), insured["woman"]
    officer = Principal("officer", frozenset({"insurance_officer"}), frozenset({"insurance.award"}), (Scope("all"),))
    made = store.award(
        world.engine, pack, woman, store.Benefit.MATERNITY, date(2026, 3, 10), principal=officer,
        today=date(2026, 3, 20),
    )  # fmt: skip
    path = f"/insurance/people/{woman}/awards"
    response = world.client.get(path, headers=world.headers("supervisor"))
    assert response.status_code == 200, response.text
    [award] = response.json()
    assert (award["id"], award["benefit"], award["amount"], award["state"]) == (made.award, "maternity", "1960.000",
                                                                                "prepared")  # fmt: skip
    assert (award["start"], award["end"], award["prepared_by"], award["shares"]) == (
        "2026-03-10",
        "2026-06-15",
        "officer",
        [],
    )
    with world.engine.connect() as connection:
        who = (audit_entry.c.actor == "supervisor") & (audit_entry.c.subject == f"person:{woman}")
        after = connection.execute(select(audit_entry.c.after).where(who)).scalars().all()
    assert any("insurance.awards" in str(a) for a in after)
    # an insurance officer of another branch: the person is answered as one who does not exist
    access.create_user(world.engine, "officer_there", hash_password(PASSWORD), actor="setup")
    there = Scope("wilayat", world.outside["wilayat"])
    access.grant(world.engine, "officer_there", roles=["insurance_officer"], scopes=[there], actor="setup")
    token = {"Authorization": f"Bearer {world.login('officer_there')['access_token']}"}
    elsewhere = world.client.get(path, headers=token)
    assert elsewhere.status_code == 404, elsewhere.text
    unknown = world.client.get("/insurance/people/91234567/awards", headers=token)
    assert elsewhere.json()["error"]["code"] == unknown.json()["error"]["code"]
    # a registrar of the branch reads the person's entitlements, not their awards; nor do these
    for user in ("registrar", "case_worker", "policy_analyst", "nobody", "other_registrar"):
        refused = world.client.get(path, headers=world.headers(user))
        assert refused.status_code == 403, (user, refused.text)
