"""A case's letter: a grievance decided and its decision printed with its reasons and appeal date; a
referral's letter; the branch scope; no letter before there is something to say."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from himaya.adapters.letters import render_pdf
from himaya.cases import actions, referral_actions
from himaya.cases.model import Consent, NewCase
from himaya.core.access import Role, Scope
from himaya.core.errors import ConflictError, ForbiddenError, NotFoundError
from himaya.policy.packs import load_pack
from tests.adapters.pdf_text import pdf_text
from tests.cases.conftest import Branches, user

PACK = load_pack()
CATALOGUE = PACK.cases
DAY = date(2026, 1, 7)
LATIN = re.compile(r"[A-Za-z]")


def test_a_grievance_decided_and_its_letter_printed(branches: Branches, tmp_path: Path) -> None:
    here = (Scope("wilayat", branches.here["wilayat"]),)
    wafa, huda = user("wafa", Role.CASE_WORKER, scopes=here), user("huda", Role.SUPERVISOR, scopes=here)
    request = NewCase(
        "grievance", "branch", civil_number=branches.here["person_id"], category="wrong_amount", form={"details": "x"}
    )
    opened = actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    with pytest.raises(ConflictError, match="not decided"):
        actions.letter(
            branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution, what="decision"
        )
    moved = actions.move(
        branches.uow(), CATALOGUE, opened.number, "in_review", expected_version=1, reason=None, principal=wafa
    )
    reason = "صُرف الفرق في دفعة يناير"
    actions.move(
        branches.uow(), CATALOGUE, opened.number, "resolved", expected_version=moved.version, reason=reason,
        principal=huda, today=DAY,
    )  # fmt: skip
    letter = actions.letter(
        branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution, today=DAY
    )
    assert letter.title == f"الرد على شكواكم رقم {opened.number}"
    assert any("تمت معالجتها" in p and reason in p for p in letter.opening) and letter.blocks == ()  # said once
    words = [letter.title, *letter.opening, *(b.heading for b in letter.blocks), *letter.closing, *letter.addressee]
    assert not any(LATIN.search(w.replace(opened.number, "")) for w in words), words  # the number is an identifier
    text = pdf_text(render_pdf(letter), tmp_path)
    assert f"الرد على شكواكم رقم {opened.number}" in text and "الأسباب" in text and "يحق لكم التظلم حتى" in text
    assert branches.here["given_name_ar"] in text and f"الرقم المدني: {branches.here['person_id']}" in text
    english = actions.letter(
        branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution, language="en", today=DAY
    )
    assert english.title == f"Answer to your complaint {opened.number}" and "Resolved" in english.opening[1]
    reads = [
        e for e in branches.rows("audit_entry") if e["subject"] == f"case:{opened.number}" and e["action"] == "read"
    ]
    assert len(reads) == 2 and all("letter.decision" in str(e["after"]) for e in reads)


def test_a_referral_letter(branches: Branches) -> None:
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", branches.here["wilayat"]),))
    form = {"service": "assistive_devices", "provider": "مركز التأهيل في نزوى", "reason": "كرسي متحرك"}
    request = NewCase("referral", "branch", civil_number=branches.here["person_id"], form=form)
    opened = actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    with pytest.raises(ConflictError, match="no letter to give in state proposed"):
        actions.letter(branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution)
    with pytest.raises(ForbiddenError, match="records the person's consent"):  # never sent without it
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "consented", expected_version=1, reason=None, principal=wafa
        )
    consent = Consent("the person", "in_person")
    referral_actions.confirm(
        branches.uow(), CATALOGUE, PACK.services, opened.number, consent, expected_version=1, principal=wafa,
        provider="mosd_assistive_devices",
    )  # fmt: skip
    letter = actions.letter(
        branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution, services=PACK.services
    )
    assert letter.title == f"تمت إحالتكم إلى خدمة (رقم {opened.number})"
    assert "الأجهزة التعويضية والمساعدة لدى قسم الأجهزة التعويضية" in letter.opening[1]
    assert [line.text for line in letter.blocks[0].lines] == [
        "الجهة المقدمة للخدمة: قسم الأجهزة التعويضية والمساعدة (على مستوى السلطنة)",
        "سبب الإحالة: كرسي متحرك",
    ]
    coded = actions.letter(branches.uow(), CATALOGUE, opened.number, principal=wafa, sender=PACK.institution)
    assert "mosd_assistive_devices" in coded.opening[1]  # without the catalogue: the codes, never a blank


def test_another_branch_gets_no_letter(branches: Branches) -> None:
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", branches.here["wilayat"]),))
    omar = user("omar", Role.CASE_WORKER, scopes=(Scope("wilayat", branches.there["wilayat"]),))
    request = NewCase("grievance", "branch", civil_number=branches.here["person_id"], category="wrong_amount",
                      form={"details": "x"})  # fmt: skip
    opened = actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    with pytest.raises(NotFoundError):
        actions.letter(branches.uow(), CATALOGUE, opened.number, principal=omar, sender=PACK.institution)
    probes = [e for e in branches.rows("audit_entry") if e["action"] == "probe"]
    assert probes and "case.letter" in str(probes[-1]["after"])
