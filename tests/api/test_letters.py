"""Letters (PDF), the citizen's explanation and the name search over HTTP: what a registrar gets,
and what other branches, analysts and forged numbers do not."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from himaya.db.tables import audit_entry
from tests.adapters.pdf_text import pdf_text
from tests.api.conftest import World


def test_a_registrar_prints_the_familys_statement_in_arabic(world: World, tmp_path: Path) -> None:
    family = world.inside["family_id"]
    explained = world.client.get(
        f"/families/{family}/explanation?period=2026-01&lang=ar", headers=world.headers("registrar")
    )
    assert explained.status_code == 200, explained.text
    statement = explained.json()
    arabic = [statement["title"], *(s["title"] for s in statement["sections"])]
    arabic += [line["text"] for s in statement["sections"] for line in s["lines"]]
    assert not [t for t in arabic if re.search("[A-Za-z]", t)]  # no code, status or English word
    response = world.client.get(f"/families/{family}/letter?period=2026-01&lang=ar", headers=world.headers("registrar"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    head = world.inside
    assert "بيان الاستحقاقات" in text and f"الرقم المدني: {head['person_id']}" in text
    assert head["given_name_ar"] in text
    assert statement["total"] in text
    assert all(s["title"].split(" — ")[0] in text for s in statement["sections"])
    with world.engine.connect() as connection:
        reads = connection.execute(
            sa.select(audit_entry.c.after).where(audit_entry.c.subject == f"family:{family}")
        ).scalars()
        assert any('"letter"' in str(r) for r in reads)


def test_the_explanation_names_nobody_to_an_analyst(world: World) -> None:
    family = world.inside["family_id"]
    response = world.client.get(
        f"/families/{family}/explanation?period=2026-01", headers=world.headers("policy_analyst")
    )
    assert response.status_code == 200
    assert world.inside["person_id"] not in response.text and world.inside["given_name_en"] not in response.text
    letter = world.client.get(f"/families/{family}/letter?period=2026-01", headers=world.headers("policy_analyst"))
    assert letter.status_code == 403


def test_a_case_letter_in_either_language(world: World, tmp_path: Path) -> None:
    number = world.inside["case_number"]
    arabic = world.client.get(f"/cases/{number}/letter", headers=world.headers("case_worker"))
    assert arabic.status_code == 200, arabic.text
    text = pdf_text(arabic.content, tmp_path)
    assert f"تم استلام شكواكم رقم {number}" in text and "مبلغ غير صحيح" in text
    english = world.client.get(f"/cases/{number}/letter?lang=en", headers=world.headers("case_worker"))
    assert f"Your complaint {number} was received" in pdf_text(english.content, tmp_path)
    undecided = world.client.get(f"/cases/{number}/letter?what=decision", headers=world.headers("case_worker"))
    assert undecided.status_code == 409


def test_another_branch_gets_no_letter_and_no_search_hit(world: World) -> None:
    inside = world.inside
    for path in (f"/cases/{inside['case_number']}/letter", f"/families/{inside['family_id']}/letter"):
        assert world.client.get(path, headers=world.headers("other_registrar")).status_code == 404
    for query in (inside["given_name_ar"] + " " + (inside["family_name_ar"] or ""), inside["person_id"]):
        found = world.client.get("/people", params={"q": query}, headers=world.headers("other_registrar"))
        assert inside["person_id"] not in found.text
        mine = world.client.get("/people", params={"q": query}, headers=world.headers("registrar"))
        assert inside["person_id"] in mine.text, mine.text
