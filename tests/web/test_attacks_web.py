"""The front office attacked from outside: a logged-in user whose roles do not allow a page must
not read through it what the API refuses them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import himaya.policy.packs
from himaya.bootstrap import hash_password
from himaya.cases import proposals
from himaya.core.access import Role, Scope
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.case_tables import case_file
from himaya.db.tables import person
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from tests.api.conftest import PASSWORD
from tests.cases.conftest import user
from tests.web.conftest import Office, csrf, log_in

pytestmark = pytest.mark.slow  # a served store on both cores


def _grievance(office: Office, details: str) -> str:
    """A grievance opened through the API by the branch's case worker; its number."""
    api = office.client()
    token = api.post(
        "/auth/token", data={"grant_type": "password", "username": "case_worker", "password": PASSWORD}
    ).json()["access_token"]
    opened = api.post(
        "/cases",
        json={
            "type": "grievance",
            "civil_number": office.inside["person_id"],
            "category": "wrong_amount",
            "form": {"details": details},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert opened.status_code == 201, opened.text
    number: str = opened.json()["number"]
    return number


@pytest.mark.parametrize("user", ["auditor", "finance_officer", "payroll_approver", "policy_analyst"])
def test_a_user_without_case_read_cannot_read_a_case_page(office: Office, user: str) -> None:
    """The API answers these country-wide roles 403 for `GET /cases/{n}`; the page answered 200 with
    the citizen's civil number and the grievance's words."""
    number = _grievance(office, "secret words of the citizen")
    client = office.client()
    log_in(client, user)
    page = client.get(f"/office/cases/{number}")
    assert page.status_code == 403
    assert office.inside["person_id"] not in page.text and "secret words" not in page.text


def _api(office: Office, user: str) -> tuple[TestClient, dict[str, str]]:
    api = office.client()
    token = api.post("/auth/token", data={"grant_type": "password", "username": user, "password": PASSWORD}).json()[
        "access_token"
    ]
    return api, {"Authorization": f"Bearer {token}"}


def _person_row(office: Office, civil: str) -> dict[str, Any]:
    with office.engine.connect() as connection:
        row = connection.execute(select(person).where(person.c.civil_number == civil)).mappings().first()
        return dict(row) if row else {}


def test_a_newborn_takes_the_familys_place_whatever_the_form_says(office: Office) -> None:
    """The newborn page writes through `registry.actions.register`, which now checks the place written
    against the user's branches; the page gives the child the family's place, never one from the form
    (a pin: the page held before the action's check, and must hold with it)."""
    client = office.client()
    log_in(client, "registrar")
    family = office.inside["family_id"]
    far = next(w for w, g in load_pack().places.items() if g != office.inside["governorate"])
    page = client.get(f"/office/families/{family}/newborn")
    posted = {
        "csrf": csrf(page.text), "person_id": "97000001", "sex": "M", "birth_date": "2026-10-01",
        "nationality": "OM", "given_name_ar": "سالم", "given_name_en": "Salim",
        "wilayat": far, "governorate": load_pack().places[far],
    }  # fmt: skip
    done = client.post(f"/office/families/{family}/newborn", data=posted, follow_redirects=False)
    assert done.status_code == 303, done.text
    child = _person_row(office, "97000001")
    assert (child["wilayat"], child["governorate"]) == (office.inside["wilayat"], office.inside["governorate"])


def test_an_assessment_page_refuses_a_card_without_its_category(office: Office) -> None:
    """The page recorded a disability card with "No disability" chosen as the category."""
    client = office.client()
    log_in(client, "case_worker")
    civil = office.inside["person_id"]
    form = client.get(f"/office/people/{civil}/assessment")
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {"csrf": csrf(form.text), "version": version.group(1), "disability_category": "", "disability_card": "1"}
    refused = client.post(f"/office/people/{civil}/assessment", data=data, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    assert 'id="disability_category-error"' in refused.text
    assert "اختر الفئة التي صدرت لها البطاقة" in refused.text
    assert _person_row(office, civil)["version"] == int(version.group(1))


def test_a_form_whose_version_is_not_a_number_is_refused_as_invalid(office: Office) -> None:
    """version=abc (or a superscript digit, which str.isdigit accepts) is a damaged form: 422 with
    its reason, not a 409 that tells the officer to reload a record that did not change."""
    client = office.client()
    log_in(client, "case_worker")
    civil = office.inside["person_id"]
    form = client.get(f"/office/people/{civil}/assessment")
    before = _person_row(office, civil)["version"]
    for bad in ("abc", "²", "-1", "9" * 40, "2147483648", " 1"):
        data = {"csrf": csrf(form.text), "version": bad, "disability_category": "moderate", "disability_card": "1"}
        refused = client.post(f"/office/people/{civil}/assessment", data=data, follow_redirects=False)
        assert refused.status_code == 422, (bad, refused.status_code)
        assert "رقم نسخة السجل فيه ليس رقمًا" in refused.text
    assert _person_row(office, civil)["version"] == before


def _prepared(office: Office, **form: Any) -> str:
    """An application about the inside head, opened and prepared over the API by the case worker."""
    worker, as_worker = _api(office, "case_worker")
    body = {
        "type": "application", "civil_number": office.inside["person_id"],
        "form": {"applied_on": "2026-11-02", "evidence": "papers"} | form,
    }  # fmt: skip
    opened = worker.post("/cases", headers=as_worker, json=body)
    assert opened.status_code == 201, opened.text
    number: str = opened.json()["number"]
    for version, state in ((1, "in_review"), (2, "prepared")):
        moved = worker.post(f"/cases/{number}/decision", headers=as_worker, json={"version": version, "to": state})
        assert moved.status_code == 200, moved.text
    return number


def _review() -> str:
    """An override's review month, three months from the service's today (in Muscat)."""
    return str(Period.containing(today("Asia/Muscat")).shifted(3))


def test_the_timeline_names_the_application_that_wrote_a_fact(office: Office) -> None:
    """An income written by an approved application showed "the registry's record" as its source."""
    number = _prepared(office, programme="family_income_support", monthly_income="77.000")
    supervisor, as_supervisor = _api(office, "supervisor")
    decision = {"version": 3, "to": "approved", "reason": "slips seen"}
    approved = supervisor.post(f"/cases/{number}/decision", headers=as_supervisor, json=decision)
    if approved.status_code == 409:  # not entitled by the rules: the supervisor's override
        approved = supervisor.post(
            f"/cases/{number}/decision",
            headers=as_supervisor,
            json=decision | {"override": "minutes 3", "override_amount": "50.000", "override_until": _review()},
        )
    assert approved.status_code == 200, approved.text
    client = office.client()
    log_in(client, "case_worker")
    page = client.get(f"/office/people/{office.inside['person_id']}").text
    timeline = page.split('class="timeline"', 1)[1].split("</ol>")[0]
    assert "القرار في الحالة رقم" in timeline, timeline


def test_an_application_is_decided_on_its_page_by_the_rules(office: Office) -> None:
    """The case page moved an application to its decision without the rules (a server error): it now
    runs them as the API does: an approval they do not support is refused in words, a refusal stands."""
    number = _prepared(office, programme="disability", disability_category="visual")  # no card: not entitled
    client = office.client()
    log_in(client, "supervisor")
    page = client.get(f"/office/cases/{number}")
    data = {"csrf": csrf(page.text), "version": "3", "reason": "no card"}
    approved = client.post(f"/office/cases/{number}/move", data=data | {"to": "approved"}, follow_redirects=False)
    assert approved.status_code == 409 and "قواعد الاستحقاق لا تدعم هذه الموافقة" in approved.text
    assert "بطاقة إعاقة" in approved.text  # the condition that failed, in the reader's language
    refused = client.post(f"/office/cases/{number}/move", data=data | {"to": "refused"}, follow_redirects=False)
    assert refused.status_code == 303, refused.text[:300]
    shown = client.get(f"/office/cases/{number}").text
    assert "مرفوض" in shown


EVIDENCE = Path(himaya.policy.packs.__file__).parent / "oman" / "examples" / "evidence-letter.pdf"


def test_evidence_is_attached_on_the_case_page_and_served_only_in_its_branch(office: Office) -> None:
    number = _grievance(office, "a letter from the bank")
    client = office.client()
    log_in(client, "case_worker")
    page = client.get(f"/office/cases/{number}")
    assert 'enctype="multipart/form-data"' in page.text and "لم يُرفق أي مستند." in page.text
    pdf = EVIDENCE.read_bytes()
    files = {"file": ("كشف الحساب.pdf", pdf, "application/pdf")}
    assert client.post(f"/office/cases/{number}/evidence", files=files, data={"csrf": "0" * 64}).status_code == 403
    posing = {"file": ("receipt.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")}
    refused = client.post(f"/office/cases/{number}/evidence", files=posing, data={"csrf": csrf(page.text)})
    assert refused.status_code == 422 and "الملف فارغ أو ليس ملف PDF أو JPEG أو PNG." in refused.text, re.findall(
        r"role=.alert.[^>]*>([^<]*)", refused.text
    )
    reasons = {  # each refusal says which rule, not one sentence for all
        ("كشف\u202egpj.pdf", pdf): "لا يصلح اسم الملف",
        ("empty.pdf", b""): "الملف فارغ.",
        ("scan.png", pdf): "اسم الملف لا يوافق محتواه: سمِّه بالامتداد ….pdf",
    }
    two = [("file", ("a.pdf", pdf, "application/pdf")), ("file", ("b.pdf", pdf + b" ", "application/pdf"))]
    both = client.post(f"/office/cases/{number}/evidence", files=two, data={"csrf": csrf(page.text)})
    assert both.status_code == 422 and "أرفق ملفًا واحدًا في كل مرة." in both.text  # not the last kept alone
    for (name, content), said in reasons.items():
        answer = client.post(
            f"/office/cases/{number}/evidence", files={"file": (name, content, "application/pdf")},
            data={"csrf": csrf(page.text)},
        )  # fmt: skip
        assert answer.status_code == 422 and said in answer.text, (
            name,
            re.findall(r"role=.alert.[^>]*>([^<]*)", answer.text),
        )
    attached = client.post(
        f"/office/cases/{number}/evidence", files=files, data={"csrf": csrf(page.text)}, follow_redirects=False
    )
    assert attached.status_code == 303
    page = client.get(f"/office/cases/{number}")
    assert "كشف الحساب.pdf" in page.text and "receipt.pdf" not in page.text
    link = re.search(rf'href="(/office/cases/{number}/evidence/[0-9a-f]{{64}})"', page.text)
    assert link is not None
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.content == pdf and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;") and got.headers["x-content-type-options"]
    assert "default-src 'none'" in got.headers.get_list("content-security-policy")[0]
    other = office.client()
    log_in(other, "other_registrar")
    assert other.get(link.group(1)).status_code == 404  # another branch: as if it did not exist
    sneaky = other.post(
        f"/office/cases/{number}/evidence", files=files, data={"csrf": csrf(other.get("/office/").text)}
    )
    assert sneaky.status_code == 404
    auditor = office.client()
    log_in(auditor, "auditor")
    assert 'enctype="multipart/form-data"' not in auditor.get(f"/office/cases/{number}").text


def test_a_referral_is_sent_from_its_page_only_with_the_consent_recorded(office: Office) -> None:
    pack = load_pack()
    proposals.propose(
        SqlUnitOfWork(office.engine), pack, Period(2026, 1), principal=user("setup", Role.SUPERVISOR),
        today=date(2026, 2, 4),
    )  # fmt: skip
    with office.engine.connect() as connection:
        number, wilayat = connection.execute(
            select(case_file.c.number, case_file.c.wilayat)
            .where(case_file.c.type == "referral", case_file.c.state == "proposed")
            .order_by(case_file.c.id)
        ).first() or (None, None)
    assert number is not None, "the month proposes no referral"
    for name, place in (
        ("referral.worker", wilayat),
        ("referral.elsewhere", next(w for w in pack.places if w != wilayat)),
    ):
        access.create_user(office.engine, name, hash_password(PASSWORD), actor="setup", roles=["case_worker"],
                           scopes=[Scope("wilayat", place)])  # fmt: skip
    client = office.client()
    log_in(client, "referral.worker")
    page = client.get(f"/office/cases/{number}")
    assert 'action="/office/cases/' + number + '/consent"' in page.text
    assert '<option value="consented">' not in page.text  # consent only through its own form
    data = {"csrf": csrf(page.text), "version": re.search(r'name="version" value="(\d+)"', page.text).group(1)}  # type: ignore[union-attr]
    missing = client.post(f"/office/cases/{number}/consent", data=data | {"given_by": "", "channel": "phone"})
    assert missing.status_code == 422 and "من وافق" in missing.text
    other = office.client()
    log_in(other, "referral.elsewhere")
    stolen = other.post(f"/office/cases/{number}/consent", data=data | {"csrf": csrf(other.get("/office/").text),
                        "given_by": "someone", "channel": "phone"})  # fmt: skip
    assert stolen.status_code == 404
    with office.engine.connect() as connection:
        service = connection.execute(select(case_file.c.form).where(case_file.c.number == number)).scalar()
    service = (service if isinstance(service, dict) else __import__("json").loads(service))["service"]
    far = next(
        p.key for p in pack.services.offered(service=service) if p.coverage(wilayat, pack.services.places) is None
    )
    refused = client.post(f"/office/cases/{number}/consent", data=data | {"given_by": "x", "channel": "phone",
                          "provider": far})  # fmt: skip
    assert refused.status_code == 422  # a provider of another wilayat would read the person's details
    long = client.post(f"/office/cases/{number}/consent", data=data | {"given_by": "x" * 201, "channel": "phone"})
    assert long.status_code == 422  # refused, never cut to fit
    sent = client.post(
        f"/office/cases/{number}/consent", data=data | {"given_by": "the person", "channel": "in_person"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    with office.engine.connect() as connection:
        state = connection.execute(select(case_file.c.state).where(case_file.c.number == number)).scalar()
    assert state == "sent"
    replay = client.post(f"/office/cases/{number}/consent", data=data | {"given_by": "the person", "channel": "phone"})
    assert replay.status_code == 409  # the form of the version before: nothing sent twice


def test_the_guards_refusals_on_a_page_are_pages_not_the_apis_json(office: Office) -> None:
    """A NUL in an office address, or a body past the guard's limit, is refused before the page runs:
    the refusal is a page in Arabic and English (an outside attack got the API's English JSON)."""
    client = office.client()
    log_in(client, "case_worker")
    for path in ("/office/families/F00001004%00", "/office/people?q=%00", "/public?governorate=%00"):
        answer = client.get(path)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html"), path
        assert "يحتوي الطلب على محارف غير مقبولة." in answer.text and "NUL" in answer.text
        assert ('href="/public"' in answer.text) == path.startswith("/public")
    number = _grievance(office, "a very large scan")
    page = client.get(f"/office/cases/{number}")
    huge = {"file": ("scan.pdf", EVIDENCE.read_bytes() + b"0" * (12 << 20), "application/pdf")}
    refused = client.post(f"/office/cases/{number}/evidence", files=huge, data={"csrf": csrf(page.text)})
    assert refused.status_code == 413 and refused.headers["content-type"].startswith("text/html")
    assert "أكبر من الحد المسموح به" in refused.text
    api = client.get("/people?q=%00", headers={"Authorization": "Bearer x"})
    assert api.headers["content-type"] == "application/json"  # the API answers as before
