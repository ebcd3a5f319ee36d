"""The front office's newer screens in a real browser (Chromium, as `test_browser.py`): a bank
account recorded with its bank code checked against the IBAN, a new family registered, evidence
attached to a case, the public dashboard filtered. Each screen passes axe-core (WCAG 2.1 A/AA);
screenshots go to docs/screens/."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

import himaya.policy.packs
from himaya.bootstrap import payroll
from himaya.core.periods import Period
from himaya.policy.packs import load_pack
from tests.api.conftest import PASSWORD
from tests.web import test_browser as journeys
from tests.web.test_browser import Site, _by, accessible, click, log_in, shoot, text

site, browser = journeys.site, journeys.browser  # the journeys' fixtures: a server and a browser

pytestmark = pytest.mark.slow
EVIDENCE = Path(himaya.policy.packs.__file__).parent / "oman" / "examples" / "evidence-letter.pdf"
IBAN = "OM810180000001299123456"  # bank 018, ISO 13616 check digits hold


def _type(driver: object, field: str, value: str) -> None:
    found = driver.find_element(_by("ID"), field)  # type: ignore[attr-defined]
    found.clear()
    found.send_keys(value)


def _error(driver: object, field: str) -> str:
    return str(driver.find_element(_by("ID"), f"{field}-error").text)  # type: ignore[attr-defined]


def test_a_bank_account_whose_bank_code_is_not_the_ibans_is_refused_then_recorded(browser: object, site: Site) -> None:
    log_in(browser, site, "registrar")
    person = site.inside["person_id"]
    browser.get(f"{site.url}/office/people/{person}/bank-account")  # type: ignore[attr-defined]
    _type(browser, "iban", IBAN)
    _type(browser, "bank_code", "019")
    click(browser, "form.card button.primary")
    assert "يجب أن تكون جزءًا منه" in _error(browser, "bank_code")  # the rule, in Arabic, at the field
    assert browser.find_element(_by("ID"), "iban").get_attribute("value") == IBAN  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "bank-account-refused-ar")
    _type(browser, "bank_code", "018")
    click(browser, "form.card button.primary")
    assert browser.current_url.endswith(f"/office/people/{person}")  # type: ignore[attr-defined]
    assert IBAN in text(browser)  # the timeline shows the account, left to right
    accessible(browser)


def test_a_new_family_registered_with_its_head(browser: object, site: Site) -> None:
    log_in(browser, site, "registrar")
    browser.get(f"{site.url}/office/families/new")  # type: ignore[attr-defined]
    for field, value in (
        ("family_id", "F-BROWSER-1"), ("person_id", "91234599"), ("given_name_ar", "مريم"),
        ("family_name_ar", "الهنائي"), ("given_name_en", "Maryam"), ("family_name_en", "Al Hinai"),
    ):  # fmt: skip
        _type(browser, field, value)
    browser.find_element(_by("CSS_SELECTOR"), "#sex option[value=F]").click()  # type: ignore[attr-defined]
    browser.find_element(_by("CSS_SELECTOR"), "#marital_status option[value=widowed]").click()  # type: ignore[attr-defined]
    wilayat = site.inside["wilayat"]
    browser.find_element(_by("CSS_SELECTOR"), f"#wilayat option[value='{wilayat}']").click()  # type: ignore[attr-defined]
    browser.find_element(_by("ID"), "resident").click()  # type: ignore[attr-defined]
    born = browser.find_element(_by("ID"), "birth_date")  # type: ignore[attr-defined]
    browser.execute_script("arguments[0].value = '1980-04-02'", born)  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "new-family-ar")
    click(browser, "form.card button.primary")
    errors = [e.get_attribute("id") for e in browser.find_elements(_by("CSS_SELECTOR"), "[id$=-error]")]  # type: ignore[attr-defined]
    assert browser.current_url.endswith("/office/people/91234599"), errors  # type: ignore[attr-defined]
    assert "مريم" in text(browser)
    browser.get(f"{site.url}/office/families/F-BROWSER-1")  # type: ignore[attr-defined]
    assert "مريم" in text(browser) and "الهنائي" in text(browser)
    accessible(browser)


def _grievance(site: Site) -> str:
    """A grievance opened through the API by the branch's case worker; its number."""
    import json  # noqa: PLC0415

    form = b"grant_type=password&username=case_worker&password=" + PASSWORD.encode()
    with urllib.request.urlopen(urllib.request.Request(f"{site.url}/auth/token", data=form)) as answer:
        token = json.load(answer)["access_token"]
    body = {"type": "grievance", "civil_number": site.inside["person_id"], "category": "wrong_amount",
            "form": {"details": "a letter from the bank"}}  # fmt: skip
    request = urllib.request.Request(
        f"{site.url}/cases", data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request) as answer:
        return str(json.load(answer)["number"])


def test_evidence_attached_to_a_case_from_its_page(browser: object, site: Site) -> None:
    number = _grievance(site)
    log_in(browser, site, "case_worker")
    browser.get(f"{site.url}/office/cases/{number}")  # type: ignore[attr-defined]
    assert "لم يُرفق أي مستند." in text(browser)
    browser.find_element(_by("ID"), "file").send_keys(str(EVIDENCE))  # type: ignore[attr-defined]
    click(browser, "form[enctype='multipart/form-data'] button")
    assert "evidence-letter.pdf" in text(browser), text(browser)[:600]
    link = browser.find_element(_by("CSS_SELECTOR"), "ul.evidence a")  # type: ignore[attr-defined]
    assert link.get_attribute("href").endswith(tuple("0123456789abcdef"))
    accessible(browser)
    shoot(browser, "case-evidence-ar")


def test_the_public_dashboard_filtered_by_governorate_and_a_bad_range_refused(browser: object, site: Site) -> None:
    pack, month = load_pack(), Period.parse("2026-03")
    payroll.sync_enrollments(site.engine, pack, month, actor="test", today=month.start)
    browser.get(f"{site.url}/public")  # type: ignore[attr-defined]
    governorate = site.inside["governorate"]
    browser.find_element(_by("CSS_SELECTOR"), f"#governorate option[value='{governorate}']").click()  # type: ignore[attr-defined]
    click(browser, "form.filters button.primary")
    assert f"governorate={governorate.replace(' ', '+')}" in browser.current_url  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "public-filtered-ar")
    assert "الحماية الاجتماعية بالأرقام" in text(browser)
    browser.get(f"{site.url}/public?from=2026-05&to=2026-01")  # type: ignore[attr-defined]
    refused = text(browser)
    assert "الشهر الأول، 2026-05، يأتي بعد الشهر الأخير، 2026-01." in refused, refused[:600]
