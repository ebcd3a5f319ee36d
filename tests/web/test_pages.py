"""The front office without a browser: cookies, CSRF, headers, scoping and masking, on both stores."""

from __future__ import annotations

import html
import re
import time
from datetime import date

import jwt
import pytest
from sqlalchemy import select

from himaya.bootstrap import payroll
from himaya.cases import actions
from himaya.cases.model import NewCase
from himaya.core.access import Role
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.tables import refresh_token
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.web import session
from tests.cases.conftest import user as acting_user
from tests.web.conftest import Office, csrf, log_in

pytestmark = pytest.mark.slow  # a served store on both cores


def test_the_login_page_is_arabic_rtl_with_the_pages_security_headers(office: Office) -> None:
    page = office.client().get("/office/login")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text and "تسجيل الدخول" in page.text
    policy = page.headers["content-security-policy"]
    assert policy == "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in page.headers
    assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
    assert "strict-transport-security" in office.client(https=True).get("/office/login").headers
    assert (
        office.client().get("/people").headers["content-security-policy"]
        == "default-src 'none'; frame-ancestors 'none'"
    )


def test_the_session_cookie_is_httponly_strict_and_secure_behind_tls(office: Office) -> None:
    for https in (False, True):
        client = office.client(https=https)
        token = csrf(client.get("/office/login").text)
        response = client.post(
            "/office/login", data={"username": "case_worker", "password": "correct-horse-battery-9", "csrf": token},
            follow_redirects=False,
        )  # fmt: skip
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("himaya_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert ("Secure" in cookie) is https


def test_a_form_without_its_csrf_token_is_refused(office: Office) -> None:
    client = office.client()
    client.get("/office/login")
    refused = client.post("/office/login", data={"username": "case_worker", "password": "correct-horse-battery-9"})
    assert refused.status_code == 403 and "انتهت صلاحية النموذج" in refused.text
    forged = client.post("/office/login", data={"username": "case_worker", "password": "x", "csrf": "0" * 64})
    assert forged.status_code == 403
    assert "himaya_session" not in client.cookies


def test_a_forms_token_is_bound_to_the_login_it_was_given_in(office: Office) -> None:
    """A token read from one officer's page (a shared branch computer, a page left open) is refused
    once another officer has logged in on the same browser: the token is bound to the session."""
    client = office.client()
    log_in(client, "registrar")
    token = csrf(client.get("/office/").text)
    client.cookies.delete("himaya_session")
    log_in(client, "case_worker")
    refused = client.post("/office/logout", data={"csrf": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/office/", follow_redirects=False).status_code == 200  # still logged in
    own = csrf(client.get("/office/").text)
    assert client.post("/office/logout", data={"csrf": own}, follow_redirects=False).status_code == 303


def test_partner_systems_and_wrong_passwords_cannot_log_in(office: Office) -> None:
    client = office.client()
    for user, password in (("partner", "correct-horse-battery-9"), ("case_worker", "wrong-password-1")):
        token = csrf(client.get("/office/login").text)
        response = client.post("/office/login", data={"username": user, "password": password, "csrf": token})
        assert response.status_code == 401 and "himaya_session" not in client.cookies


def test_logout_and_deactivation_end_the_session(office: Office) -> None:
    client = office.client()
    log_in(client, "registrar")
    home = client.get("/office/")
    assert home.status_code == 200 and "صندوق وارد الفرع" in home.text
    client.post("/office/logout", data={"csrf": csrf(home.text)})
    assert client.get("/office/", follow_redirects=False).headers["location"].startswith("/office/login")
    log_in(client, "registrar")
    assert client.get("/office/", follow_redirects=False).status_code == 200
    access.set_active(office.engine, "registrar", False, actor="test")
    try:
        assert client.get("/office/", follow_redirects=False).status_code == 303
    finally:
        access.set_active(office.engine, "registrar", True, actor="test")


def test_another_branch_answers_like_a_missing_record(office: Office) -> None:
    client = office.client()
    log_in(client, "registrar")
    there = client.get(f"/office/people/{office.outside['person_id']}")
    missing = client.get("/office/people/99999999999")
    assert there.status_code == missing.status_code == 404 and there.text.count("لا يوجد سجل") == 1
    # Word for word (but the address asked, which the page echoes): nothing tells that it exists elsewhere.
    assert there.text.replace(office.outside["person_id"], "?") == missing.text.replace("99999999999", "?")
    assert office.outside["family_name_ar"] not in there.text
    assert client.get(f"/office/people/{office.inside['person_id']}").status_code == 200
    assert client.get(f"/office/families/{office.outside['family_id']}").status_code == 404
    assert client.get("/office/cases/C-2026-999999").status_code == 404


def test_a_user_without_person_identify_sees_masked_values(office: Office) -> None:
    client = office.client()
    log_in(client, "auditor")
    page = client.get(f"/office/families/{office.inside['family_id']}")
    assert page.status_code == 200 and "محجوب" in page.text
    assert office.inside["person_id"] not in page.text and office.inside["given_name_ar"] not in page.text
    assert client.get(f"/office/people/{office.inside['person_id']}").status_code == 403
    client.cookies.clear()
    log_in(client, "registrar")
    shown = client.get(f"/office/families/{office.inside['family_id']}")
    assert office.inside["person_id"] in shown.text


def test_a_payroll_run_is_approved_by_a_second_user_and_refused_to_its_maker(office: Office) -> None:
    pack, month = load_pack(), Period.parse("2026-01")
    payroll.sync_enrollments(office.engine, pack, month, actor="test", today=month.start)
    payroll.calculate(office.engine, pack, month, actor="finance_officer")
    maker = office.client()
    log_in(maker, "finance_officer")
    page = maker.get("/office/payroll")
    assert page.status_code == 200 and "محسوبة" in page.text
    maker.post("/office/payroll/2026-01/submit", data={"csrf": csrf(page.text)})
    refused = maker.post("/office/payroll/2026-01/approve", data={"csrf": csrf(page.text)})
    assert refused.status_code == 403  # finance officers do not hold payroll.approve
    access.grant(office.engine, "finance_officer", roles=["payroll_approver"], scopes=[], actor="test")
    log_in(maker, "finance_officer")
    page = maker.get("/office/payroll")
    refused = maker.post("/office/payroll/2026-01/approve", data={"csrf": csrf(page.text)})
    assert refused.status_code == 403 and "مستخدم آخر" in refused.text  # maker-checker, in words
    checker = office.client()
    log_in(checker, "payroll_approver")
    page = checker.get("/office/payroll")
    approved = checker.post("/office/payroll/2026-01/approve", data={"csrf": csrf(page.text)})
    assert approved.status_code == 200 and "معتمدة" in approved.text
    held = checker.get("/office/payroll/2026-01/held")
    people = payroll.held(office.engine, month)["person_id"].to_list()
    assert held.status_code == 200 and people, "the test needs people without a valid bank account"
    assert held.text.count("anon-") == len(people) and not any(p in held.text for p in people)


def test_english_and_arabic_indic_digits_are_settings_of_the_reader(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    home = client.get("/office/?page=abc")
    assert home.status_code == 200 and 'dir="rtl"' in home.text
    client.post("/office/settings", data={"csrf": csrf(home.text), "digits": "arab", "next": "/office/"})
    number = client.get(f"/office/people/{office.inside['person_id']}")
    arabic = office.inside["person_id"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert arabic in number.text
    asked = {"csrf": csrf(home.text), "language": "en", "next": "//evil.example"}
    english = client.post("/office/settings", data=asked, follow_redirects=False)
    assert english.headers["location"] == "/office/"  # never to another site
    page = client.get("/office/")
    assert '<html lang="en" dir="ltr">' in page.text and "The branch inbox" in page.text


def test_failed_logins_are_throttled_as_in_the_api(office: Office) -> None:
    client = office.client()
    statuses = []
    for _ in range(7):
        token = csrf(client.get("/office/login").text)
        statuses.append(client.post("/office/login", data={"username": "nobody", "password": "x", "csrf": token}))
    assert [r.status_code for r in statuses] == [401] * 5 + [429] * 2
    assert "محاولات دخول فاشلة كثيرة" in statuses[-1].text
    assert int(statuses[-1].headers["retry-after"]) > 0 and "retry-after" not in statuses[0].headers


def test_family_page_explains_entitlements_and_serves_the_letters(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    family = office.inside["family_id"]
    page = client.get(f"/office/families/{family}")
    assert page.status_code == 200
    assert "statement" in page.text and f"/office/families/{family}/letter.pdf?lang=ar" in page.text
    shown = page.text.split('class="card statement"', 1)[1].split(">", 1)[1].split("</main>")[0]
    words = re.sub(r"<[^>]+>", " ", shown)
    assert "ر.ع." in words and not re.search(r"[A-Za-z]{2,}", words), "Latin words in the Arabic explanation"
    pdf = client.get(f"/office/families/{family}/letter.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/office/families/{office.outside['family_id']}/letter.pdf").status_code == 404
    analyst = office.client()
    log_in(analyst, "policy_analyst")
    masked = analyst.get(f"/office/families/{family}")
    assert masked.status_code == 200 and "letter.pdf" not in masked.text
    assert analyst.get(f"/office/families/{family}/letter.pdf").status_code == 403


def test_one_search_box_finds_by_name_civil_number_and_phone(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    person = office.inside
    opened = client.get("/office/people", params={"q": person["person_id"]}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/office/people/{person['person_id']}"
    local = person["mobile"].removeprefix("+968")
    by_phone = client.get("/office/people", params={"q": f"{local[:4]} {local[4:]}"})
    assert by_phone.status_code == 200 and f"/office/people/{person['person_id']}" in by_phone.text
    # Typed with an Arabic keyboard (an outside attack found them searched as a name): the same answers.
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    typed = client.get("/office/people", params={"q": person["person_id"].translate(arabic)}, follow_redirects=False)
    assert typed.status_code == 303 and typed.headers["location"] == f"/office/people/{person['person_id']}"
    by_arabic_phone = client.get("/office/people", params={"q": local.translate(arabic)})
    assert f"/office/people/{person['person_id']}" in by_arabic_phone.text
    path = client.get(f"/office/people/{person['person_id'].translate(arabic)}", follow_redirects=False)
    assert path.status_code == 303 and path.headers["location"] == f"/office/people/{person['person_id']}"
    by_name = client.get("/office/people", params={"q": person["family_name_ar"]})
    assert f"/office/people/{person['person_id']}" in by_name.text
    assert person["mobile"] not in client.get("/office/people", params={"q": office.outside["mobile"]}).text
    analyst = office.client()
    log_in(analyst, "policy_analyst")
    assert analyst.get("/office/people", params={"q": local}).status_code == 403


def test_the_public_dashboard_needs_no_login_and_never_publishes_a_small_cell(office: Office) -> None:
    pack, month = load_pack(), Period.parse("2026-01")
    payroll.sync_enrollments(office.engine, pack, month, actor="test", today=month.start)
    client = office.client()
    page = client.get("/public")
    assert page.status_code == 200 and 'lang="ar"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "style=" not in page.text and "<script" not in page.text and "<svg" in page.text
    assert "✱" in page.text and "/public/statistics.csv?" in page.text
    shown = [int(n.replace(",", "")) for n in re.findall(r"<td>([0-9,]+)</td>", page.text)]
    assert shown and all(n == 0 or n >= 10 for n in shown), "a count under 10 is on the page"
    data = client.get("/public/statistics.csv")
    assert data.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    client.cookies.set("himaya_lang", "en")
    english = client.get("/public", params={"measure": "spending_omr"})
    assert english.status_code == 200 and "Spending (OMR)" in english.text


def test_a_newborn_is_registered_into_a_family_with_errors_next_to_fields(office: Office) -> None:
    client = office.client()
    log_in(client, "registrar")
    family = office.inside["family_id"]
    form = client.get(f"/office/families/{family}/newborn")
    assert form.status_code == 200
    token = csrf(form.text)
    wrong = {"csrf": token, "person_id": "123", "sex": "", "birth_date": "2026-11-01", "given_name_ar": "ريم"}
    refused = client.post(f"/office/families/{family}/newborn", data=wrong)
    assert refused.status_code == 422 and 'id="person_id-error"' in refused.text and 'id="sex-error"' in refused.text
    assert "يجب أن يكون رقمًا مدنيًا من 8 أرقام لا يبدأ بصفر." in refused.text  # the pack's rule, in Arabic
    assert "هذه القيمة مطلوبة." in refused.text
    assert 'value="ريم"' in refused.text  # what was typed is kept
    good = wrong | {"person_id": "98765432", "sex": "F", "given_name_en": "Reem", "nationality": "OM"}
    assert client.post(f"/office/families/{family}/newborn", data=good | {"csrf": ""}).status_code == 403
    done = client.post(f"/office/families/{family}/newborn", data=good, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/office/people/98765432"
    again = client.post(f"/office/families/{family}/newborn", data=good)
    assert again.status_code == 409 and 'id="person_id-error"' in again.text
    members = client.get(f"/office/families/{family}").text
    assert "98765432" in members
    other = office.client()
    log_in(other, "other_registrar")
    assert other.get(f"/office/families/{family}/newborn").status_code == 404
    worker = office.client()
    log_in(worker, "case_worker")  # no person.create
    assert worker.post(f"/office/families/{family}/newborn", data=good | {"person_id": "98765433"}).status_code == 403


def test_a_disability_assessment_is_recorded_from_the_person_page(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    person = office.inside["person_id"]
    page = client.get(f"/office/people/{person}")
    assert f"/office/people/{person}/assessment" in page.text
    form = client.get(f"/office/people/{person}/assessment")
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {
        "csrf": csrf(form.text),
        "version": version.group(1),
        "disability_category": "visual",
        "disability_card": "1",
    }
    refused = client.post(f"/office/people/{person}/assessment", data=data | {"valid_from": "1990-01-01"})
    assert refused.status_code == 422 and 'id="valid_from-error"' in refused.text
    done = client.post(f"/office/people/{person}/assessment", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert "الإعاقة البصرية" in client.get(f"/office/people/{person}/assessment").text
    stale = client.post(f"/office/people/{person}/assessment", data=data)
    assert stale.status_code == 409
    other = office.client()
    log_in(other, "other_registrar")
    assert other.post(f"/office/people/{person}/assessment", data=data).status_code in (403, 404)


def test_places_and_the_timeline_are_written_in_arabic(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    page = client.get(f"/office/people/{office.inside['person_id']}").text
    names = load_pack().code_names
    assert names["wilayat"][office.inside["wilayat"]].ar in page
    assert names["governorate"][office.inside["governorate"]].ar in page
    timeline = page.split('class="timeline"', 1)[1].split(">", 1)[1].split("</ol>")[0]
    words = re.sub(r"<[^>]+>", " ", re.sub(r'<bdi dir="ltr">[^<]*</bdi>', "", timeline))  # IBANs, family numbers
    assert "الحالة الاجتماعية" in words and not re.search(r"[A-Za-z]{2,}", words), words


def test_an_oman_registry_keeps_its_words_and_rials(office: Office) -> None:
    """The words and the currency come from the registry's pack (issue 17): Oman's are these."""
    client = office.client()
    log_in(client, "case_worker")
    assert client.app.state.pack.name == "oman"  # type: ignore[attr-defined]
    arabic = client.get(f"/office/families/{office.inside['family_id']}").text
    assert "الرقم المدني" in arabic and "الولاية" in arabic and re.search(r"[0-9,]+\.[0-9]{3} ر\.ع\.", arabic)
    client.cookies.set("himaya_lang", "en")
    english = client.get(f"/office/families/{office.inside['family_id']}").text
    assert "Civil number" in english and "Wilayat" in english and re.search(r"OMR [0-9,]+\.[0-9]{3}", english)
    assert "National ID number" not in english and "IQD" not in english


def test_a_cases_letter_is_served_as_the_apis_with_its_scope(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    form = client.get("/office/cases/new?type=payment_issue")
    opened = client.post(
        "/office/cases/new",
        data={
            "csrf": csrf(form.text), "type": "payment_issue", "channel": "branch", "language": "ar",
            "civil_number": office.inside["person_id"], "category": "no_account", "form.period": "2026-01",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    case = opened.headers["location"]
    assert "letter.pdf" not in client.get(case).text  # a payment issue's only letter is its decision
    assert client.get(f"{case}/letter.pdf").status_code == 409
    grievance = client.get("/office/cases/new?type=grievance")
    opened = client.post(
        "/office/cases/new",
        data={
            "csrf": csrf(grievance.text), "type": "grievance", "channel": "branch", "language": "ar",
            "civil_number": office.inside["person_id"], "category": "wrong_amount", "form.details": "المبلغ أقل",
        },
        follow_redirects=False,
    )  # fmt: skip
    case = opened.headers["location"]
    assert f"{case}/letter.pdf?lang=ar" in client.get(case).text  # its receipt
    pdf = client.get(f"{case}/letter.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = office.client()
    log_in(other, "other_registrar")
    assert other.get(f"{case}/letter.pdf").status_code == 404
    analyst = office.client()
    log_in(analyst, "auditor")
    assert analyst.get(f"{case}/letter.pdf").status_code == 403


def test_a_change_request_asks_typed_fields_and_names_the_one_refused(office: Office) -> None:
    client = office.client()
    log_in(client, "case_worker")
    page = client.get("/office/cases/new?type=change_request")
    assert page.status_code == 200 and 'name="form.iban"' in page.text
    assert '<option value="Nizwa">Nizwa</option>' in page.text  # the wilayat is one of the pack's places
    refused = client.post(
        "/office/cases/new",
        data={
            "csrf": csrf(page.text), "type": "change_request", "channel": "branch", "language": "ar",
            "civil_number": office.inside["person_id"], "form.change": "bank_account", "form.iban": "OM00ABC",
            "form.effective_from": "2026-01-05", "form.evidence": "bank letter",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 422 and 'id="iban-error"' in refused.text, refused.text
    other = office.client()
    log_in(other, "other_registrar")
    theirs = other.get("/office/cases/new?type=payment_issue")
    opened = other.post(
        "/office/cases/new",
        data={
            "csrf": csrf(theirs.text), "type": "payment_issue", "channel": "branch", "language": "ar",
            "civil_number": office.outside["person_id"], "category": "no_account", "form.period": "2026-01",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    elsewhere = opened.headers["location"].rsplit("/", 1)[1]
    appeal = client.get("/office/cases/new?type=appeal")
    answered = client.post(
        "/office/cases/new",
        data={
            "csrf": csrf(appeal.text), "type": "appeal", "channel": "branch", "language": "ar",
            "civil_number": office.inside["person_id"], "form.decision": elsewhere, "form.grounds": "wrong",
            "form.notified_on": today("Asia/Muscat").isoformat(),
        },
        follow_redirects=False,
    )  # fmt: skip
    assert answered.status_code == 422 and 'id="decision-error"' in answered.text, answered.text


def _cookie(office: Office, user: str, *, started: int, active: int) -> str:
    """A session cookie as the service would have issued it at `active` for a login at `started`."""
    state = office.app.state  # type: ignore[attr-defined]
    with office.engine.connect() as connection:
        record = access.load_user(connection, user)
    assert record is not None
    idle = state.settings.web_idle_minutes * 60
    claims = {
        "iss": session.ISSUER, "aud": session.AUDIENCE, "sub": user, "ver": record.token_version,
        "iat": started, "act": active, "exp": min(started + session.LIFETIME, active + idle),
    }  # fmt: skip
    return jwt.encode(claims, state.tokens.key, algorithm=session.ALGORITHM)


def _claims(office: Office, response_cookie: str) -> dict[str, int]:
    value = response_cookie.split(";", 1)[0].split("=", 1)[1]
    state = office.app.state  # type: ignore[attr-defined]
    return jwt.decode(value, state.tokens.key, algorithms=[session.ALGORITHM], audience=session.AUDIENCE)


def test_an_idle_session_ends_and_a_working_one_is_renewed_within_the_day(office: Office) -> None:
    """30 minutes without a page end the session (an unattended screen in a branch); each page renews
    the cookie, but never past eight hours after the login."""
    now = int(time.time())
    idle = 30 * 60
    client = office.client()
    client.cookies.set(session.SESSION, _cookie(office, "registrar", started=now - 3600, active=now - idle - 5))
    assert client.get("/office/", follow_redirects=False).headers["location"].startswith("/office/login")

    client = office.client()
    client.cookies.set(session.SESSION, _cookie(office, "registrar", started=now - 3600, active=now - 120))
    page = client.get("/office/", follow_redirects=False)
    assert page.status_code == 200
    renewed = _claims(office, next(c for c in page.headers.get_list("set-cookie") if c.startswith("himaya_session=")))
    assert renewed["iat"] == now - 3600 and renewed["act"] >= now and renewed["exp"] >= now + idle

    client = office.client()  # near the end of the working day: renewed, but not beyond it
    late = now - session.LIFETIME + 90
    client.cookies.set(session.SESSION, _cookie(office, "registrar", started=late, active=now - 120))
    page = client.get("/office/", follow_redirects=False)
    cookie = next(c for c in page.headers.get_list("set-cookie") if c.startswith("himaya_session="))
    assert _claims(office, cookie)["exp"] == late + session.LIFETIME and "Max-Age=" in cookie

    client = office.client()  # a page seen a moment ago: no new cookie
    client.cookies.set(session.SESSION, _cookie(office, "registrar", started=now - 60, active=now - 5))
    page = client.get("/office/", follow_redirects=False)
    assert page.status_code == 200
    assert not [c for c in page.headers.get_list("set-cookie") if c.startswith("himaya_session=")]


def test_logging_out_is_not_undone_by_the_renewal(office: Office) -> None:
    now = int(time.time())
    client = office.client()
    client.cookies.set(session.SESSION, _cookie(office, "registrar", started=now - 600, active=now - 300))
    home = client.get("/office/")
    out = client.post("/office/logout", data={"csrf": csrf(home.text)}, follow_redirects=False)
    cleared = next(c for c in out.headers.get_list("set-cookie") if c.startswith("himaya_session="))
    assert "HttpOnly" in cleared and "SameSite=strict" in cleared  # cleared with the flags it was set with
    assert client.get("/office/", follow_redirects=False).headers["location"].startswith("/office/login")


def test_a_web_login_leaves_no_api_refresh_token_behind(office: Office) -> None:
    def tokens() -> int:
        with office.engine.connect() as connection:
            return len(connection.execute(select(refresh_token.c.id)).all())

    before = tokens()
    log_in(office.client(), "case_worker")
    assert tokens() == before


def test_the_dashboards_filters_show_published_cells_only(office: Office) -> None:
    """A programme and a governorate chosen: the trend is that published cell month by month (✱ where
    it is hidden), never a sum of cells; the open-data links carry the filters."""
    pack = load_pack()
    for month in ("2026-01", "2026-02"):
        period = Period.parse(month)
        payroll.sync_enrollments(office.engine, pack, period, actor="test", today=period.start)
    client = office.client()
    client.cookies.set("himaya_lang", "en")
    published = client.get("/public/statistics", params={"from": "2026-01", "to": "2026-02"}).json()
    rows = published["rows"]
    governorate = office.inside["governorate"]
    wanted = {r["month"]: r for r in rows if r["programme"] == "child" and r["governorate"] == governorate}
    query = {"programme": "child", "governorate": governorate, "from": "2026-01", "to": "2026-02"}
    page = client.get("/public", params=query)
    assert page.status_code == 200 and "Month by month: Child benefit" in page.text
    trend = page.text.split("<caption>Month by month:", 1)[1].split("</table>", 1)[0]
    shown = re.findall(r'<th scope="row">([^<]+)</th><td>(.*?)</td>', trend)
    assert [m for m, _ in shown] == ["Jan 2026", "Feb 2026"]
    for (_, cell), month in zip(shown, ("2026-01", "2026-02"), strict=True):
        row = wanted[month]
        assert ("✱" in cell) if row["suppressed"] else cell == f"{row['beneficiaries']:,}"
    assert f"governorate={governorate.replace(' ', '+')}" in page.text and "programme=child" in page.text
    assert client.get("/public", params=query | {"programme": "pension"}).status_code == 422
    backwards = client.get("/public", params={"from": "2026-02", "to": "2026-01"})
    assert backwards.status_code == 422 and "The first month, 2026-02, is after the last, 2026-01." in backwards.text
    reasons = {  # the reason in the reader's language (here English), never a 500 or the default months
        "from=2026-13": "2026-13 is not a month", "to=2099-12": "The last month, 2099-12, has not come yet",
        "from=2019-01": "The first month, 2019-01, is before",
        "to=9999-12": "9999-12 is outside the calendar: the years run from 1900 to 2999.",
        "month=abc": "No statistics for this month", "measure=income": "measure 'income'",
    }  # fmt: skip
    for wrong, reason in reasons.items():
        page = client.get("/public?" + wrong)
        assert page.status_code == 422 and "<html" in page.text and reason in html.unescape(page.text), wrong
    arabic = office.client().get("/public?from=2026-02&to=2026-01")
    assert "الشهر الأول، 2026-02، يأتي بعد الشهر الأخير، 2026-01." in arabic.text
    assert '<a href="/public">العودة إلى الأرقام</a>' in arabic.text and "العودة إلى صندوق الوارد" not in arabic.text


def test_incomes_and_a_bank_account_are_recorded_from_the_person_page(office: Office) -> None:
    """The API's record_facts with its validation and versions: refusals in Arabic next to their fields,
    a stale form refused, the values read back on the next form, another branch not found."""
    client = office.client()
    log_in(client, "case_worker")
    person = office.inside["person_id"]
    assert f"/office/people/{person}/incomes" in client.get(f"/office/people/{person}").text
    form = client.get(f"/office/people/{person}/incomes")
    assert form.status_code == 200 and "ر.ع." in form.text
    token, version = csrf(form.text), re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    base = {"csrf": token, "version": version.group(1)}
    wrong = client.post(f"/office/people/{person}/incomes", data=base | {"wage": "12.34567", "pension": "-3"})
    assert wrong.status_code == 422 and 'id="wage-error"' in wrong.text and 'id="pension-error"' in wrong.text
    assert "يجب ألا يزيد المبلغ على 3 منازل عشرية." in wrong.text and 'value="12.34567"' in wrong.text
    done = client.post(f"/office/people/{person}/incomes", data=base | {"wage": "250.5"}, follow_redirects=False)
    assert done.status_code == 303
    again = client.get(f"/office/people/{person}/incomes")
    assert 'value="250.500"' in again.text
    stale = client.post(f"/office/people/{person}/incomes", data=base | {"wage": "300"})
    assert stale.status_code == 409  # the form was read at the version before the wage
    page = client.get(f"/office/people/{person}/bank-account")
    token = csrf(page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    base = {"csrf": token, "version": version.group(1)}
    bad = client.post(f"/office/people/{person}/bank-account", data=base | {"iban": "OM000000000000000000000"})
    assert bad.status_code == 422 and "رقما التحقق" in bad.text
    iban = "OM810180000001299123456"
    good = client.post(f"/office/people/{person}/bank-account", data=base | {"iban": iban}, follow_redirects=False)
    assert good.status_code == 303, good.text
    assert iban in client.get(f"/office/people/{person}/bank-account").text
    other = office.client()
    log_in(other, "other_registrar")
    assert other.get(f"/office/people/{person}/incomes").status_code == 404
    auditor = office.client()
    log_in(auditor, "auditor")
    assert auditor.get(f"/office/people/{person}/bank-account").status_code == 403
    assert client.get(f"/office/people/{person}/salary").status_code == 404


def test_a_new_family_is_registered_with_its_head_in_the_users_branch_only(office: Office) -> None:
    client = office.client()
    log_in(client, "registrar")
    assert "/office/families/new" in client.get("/office/people").text
    form = client.get("/office/families/new")
    assert form.status_code == 200 and 'name="family_id"' in form.text and 'value="OM"' in form.text
    head = {
        "csrf": csrf(form.text), "family_id": "F-NEW-0001", "person_id": "91234567", "sex": "F",
        "birth_date": "1980-04-02", "nationality": "OM", "marital_status": "widowed", "resident": "1",
        "wilayat": office.inside["wilayat"], "given_name_ar": "مريم", "family_name_ar": "الهنائي",
        "given_name_en": "Maryam", "family_name_en": "Al Hinai",
    }  # fmt: skip
    wrong = client.post("/office/families/new", data=head | {"person_id": "0123", "marital_status": "engaged"})
    assert (
        wrong.status_code == 422 and 'id="person_id-error"' in wrong.text and 'id="marital_status-error"' in wrong.text
    )
    assert "أرمل أو أرملة" in wrong.text and 'value="مريم"' in wrong.text  # the codes by name; what was typed kept
    elsewhere = client.post("/office/families/new", data=head | {"wilayat": office.outside["wilayat"]})
    assert elsewhere.status_code == 403 and 'id="wilayat-error"' in elsewhere.text
    done = client.post("/office/families/new", data=head, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/office/people/91234567"
    family = client.get("/office/families/F-NEW-0001")
    assert family.status_code == 200 and "مريم" in family.text
    again = client.post("/office/families/new", data=head)
    assert again.status_code == 409 and 'id="person_id-error"' in again.text
    ours = client.post("/office/families/new", data=head | {"person_id": "91234568"})  # the family has its head
    assert ours.status_code == 409 and 'id="family_id-error"' in ours.text and 'id="person_id-error"' not in ours.text
    theirs = client.post("/office/families/new", data=head | {"person_id": "91234569",
                         "family_id": office.outside["family_id"]})  # fmt: skip
    assert theirs.status_code == 409 and 'id="family_id-error"' in theirs.text  # in use: where, it does not say
    path = client.post("/office/families/new", data=head | {"person_id": "91234570", "family_id": "../x"})
    assert path.status_code == 422 and 'id="family_id-error"' in path.text  # no family its page cannot reach
    worker = office.client()
    log_in(worker, "case_worker")  # no person.create
    assert worker.get("/office/families/new").status_code == 403


def test_the_home_page_lists_the_officers_unread_staff_messages(office: Office) -> None:
    request = NewCase(
        "grievance", "branch", civil_number=office.inside["person_id"], category="wrong_amount",
        form={"details": "paid 10 OMR less", "period": "2025-12", "amount": "10"},
    )  # fmt: skip
    everyone = acting_user("setup", Role.SUPERVISOR)
    catalogue = load_pack().cases
    number = actions.open_case(
        SqlUnitOfWork(office.engine), catalogue, request, principal=everyone, today=date(2026, 1, 4)
    ).number
    actions.overdue(SqlUnitOfWork(office.engine), catalogue, principal=everyone, escalate=True, today=date(2026, 1, 8))
    supervisor, worker = office.client(), office.client()
    log_in(supervisor, "supervisor")
    log_in(worker, "case_worker")
    assert "Deadline breached: " + number in supervisor.get("/office/?lang=en").text
    assert "Deadline breached: " + number not in worker.get("/office/?lang=en").text  # not their role
    home = supervisor.get("/office/?lang=en").text
    ids = re.search(r'name="ids" value="([0-9]+)"', home)
    assert ids
    refused = worker.post("/office/messages/read", data={"csrf": csrf(worker.get("/office/").text), "ids": ids[1]})
    assert refused.status_code == 404  # not the worker's message: answered as a missing one
    for bad in ("", "1,,2", "x", "1;2"):
        assert supervisor.post("/office/messages/read", data={"csrf": csrf(home), "ids": bad}).status_code == 422
    read = supervisor.post("/office/messages/read", data={"csrf": csrf(home), "ids": ids[1]}, follow_redirects=False)
    assert read.status_code == 303
    assert "Deadline breached: " + number not in supervisor.get("/office/?lang=en").text  # read: off the home page
