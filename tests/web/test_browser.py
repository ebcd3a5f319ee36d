"""The front office's journeys in a real browser: Debian's Chromium driven by Selenium against a
real uvicorn server over a small migrated registry, with axe-core run in each main screen (WCAG
2.1 A and AA). Skipped with the reason when no browser is installed; required under CI=true.
Screenshots of the main screens go to docs/screens/ (HIMAYA_SCREENS=0 leaves them alone)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy import Engine

from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password, payroll
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.engine import connect
from himaya.events.model import LifeEvent
from himaya.policy.packs import load_pack
from himaya.service import create_app
from tests.api.conftest import KEY, PASSWORD
from tests.web.conftest import a_mother, apply_event, build

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

pytestmark = pytest.mark.slow


def _browser_missing() -> str | None:
    missing = [p for p in (CHROMIUM, DRIVER) if not (os.path.exists(p) or shutil.which(Path(p).name))]
    return (
        f"no browser: {', '.join(missing)} missing (apt-get install -y chromium chromium-driver)" if missing else None
    )


@dataclass
class Site:
    url: str
    inside: dict[str, str]
    outside: dict[str, str]
    engine: Engine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    problem = _browser_missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser journeys, but {problem}")
        pytest.skip(problem)
    tmp = tmp_path_factory.mktemp("browser")
    engine = connect(f"sqlite:///{tmp / 'web.db'}")
    inside, outside = build(engine)
    app = create_app(engine, tokens=TokenSettings(key=KEY), files=tmp / "bank-files")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", inside, outside, engine)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def browser(site: Site) -> Iterator[object]:
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,760", "--lang=ar"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or DRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def click(driver: object, selector: str) -> None:
    """Click a form's button and wait for the next page."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: PLC0415
    from selenium.webdriver.support.wait import WebDriverWait  # noqa: PLC0415

    for attempt in range(3):
        page = driver.find_element(_by("TAG_NAME"), "html")  # type: ignore[attr-defined]
        try:
            driver.find_element(_by("CSS_SELECTOR"), selector).click()  # type: ignore[attr-defined]
            break
        except (StaleElementReferenceException, WebDriverException) as error:
            # The page was still being replaced when the button was found (Chrome: "Node with given
            # id does not belong to the document"): the click did not happen; find it again.
            if attempt == 2 or not (
                isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)
            ):
                raise
            _loaded(driver)
    WebDriverWait(driver, 15).until(lambda _: _gone(page))
    _loaded(driver)


def _gone(element: object) -> bool:
    """Whether the element's page has been replaced. Chrome tells so either as a stale element or,
    while the next page is being built, as "Node with given id does not belong to the document"
    (which Selenium's `staleness_of` does not recognise)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: PLC0415

    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def _loaded(driver: object) -> None:
    """Wait until the page now shown has loaded whole (a stale old page does not mean a loaded new one)."""
    from selenium.webdriver.support.wait import WebDriverWait  # noqa: PLC0415

    ready = lambda d: d.execute_script("return document.readyState") == "complete"  # noqa: E731
    WebDriverWait(driver, 15).until(ready)  # type: ignore[arg-type]


def _by(kind: str) -> str:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    return str(getattr(By, kind))


def log_in(driver: object, site: Site, user: str, password: str = PASSWORD) -> None:
    driver.get(f"{site.url}/office/login")  # type: ignore[attr-defined]
    driver.find_element(_by("ID"), "username").send_keys(user)  # type: ignore[attr-defined]
    driver.find_element(_by("ID"), "password").send_keys(password)  # type: ignore[attr-defined]
    click(driver, "main form button")


def accessible(driver: object) -> None:
    """axe-core run in the page: no WCAG 2.1 A/AA violation."""
    import axe_core_python  # noqa: PLC0415

    script = (Path(axe_core_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    driver.execute_script(script)  # type: ignore[attr-defined]
    results = driver.execute_async_script(  # type: ignore[attr-defined]
        "var done = arguments[arguments.length - 1];"
        f"axe.run(document, {json.dumps(WCAG)}).then(r => done(r.violations),"
        " e => done([{id: 'axe', help: String(e), nodes: []}]))"
    )
    problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results]
    assert not problems, f"{driver.current_url}: {problems}"  # type: ignore[attr-defined]


def shoot(driver: object, name: str) -> None:
    if os.environ.get("HIMAYA_SCREENS", "1") != "0" and SCREENS.is_dir():
        driver.save_screenshot(str(SCREENS / f"{name}.png"))  # type: ignore[attr-defined]


def shoot_at(driver: object, name: str, selector: str) -> None:
    """A screenshot with the element `selector` scrolled to the top of the window."""
    found = driver.find_element(_by("CSS_SELECTOR"), selector)  # type: ignore[attr-defined]
    driver.execute_script("arguments[0].scrollIntoView()", found)  # type: ignore[attr-defined]
    shoot(driver, name)


def english(driver: object) -> None:
    click(driver, "button[name=language][value=en]")


def text(driver: object) -> str:
    return str(driver.find_element(_by("TAG_NAME"), "body").text)  # type: ignore[attr-defined]


def test_login_in_arabic_and_the_inbox(browser: object, site: Site) -> None:
    browser.get(f"{site.url}/")  # type: ignore[attr-defined]
    html = browser.find_element(_by("TAG_NAME"), "html")  # type: ignore[attr-defined]
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    accessible(browser)
    shoot(browser, "login-ar")
    log_in(browser, site, "case_worker")
    assert "صندوق وارد الفرع" in text(browser)
    accessible(browser)
    english(browser)
    assert "The branch inbox" in text(browser)
    assert browser.find_element(_by("TAG_NAME"), "html").get_attribute("dir") == "ltr"  # type: ignore[attr-defined]
    accessible(browser)


def _open_payment_issue(browser: object, site: Site) -> str:
    browser.get(f"{site.url}/office/cases/new?type=payment_issue")  # type: ignore[attr-defined]
    find = browser.find_element  # type: ignore[attr-defined]
    find(_by("ID"), "civil_number").send_keys(site.inside["person_id"])
    find(_by("CSS_SELECTOR"), "#category option[value=no_account]").click()
    click(browser, "form.card button.primary")
    assert "هذا الحقل مطلوب" in find(_by("ID"), "period-error").text  # the error next to its field
    accessible(browser)
    shoot(browser, "case-new-ar")
    find(_by("ID"), "f-period").send_keys("2026-01")
    click(browser, "form.card button.primary")
    return str(browser.current_url).rsplit("/", 1)[-1]  # type: ignore[attr-defined]


def _move(browser: object, to: str, reason: str = "") -> None:
    find = browser.find_element  # type: ignore[attr-defined]
    find(_by("CSS_SELECTOR"), f"#to option[value={to}]").click()
    if reason:
        find(_by("ID"), "reason").send_keys(reason)
    click(browser, "form[action$=move] button")


def test_a_case_opened_for_a_citizen_is_decided_by_a_second_user_not_the_first(browser: object, site: Site) -> None:
    log_in(browser, site, "supervisor")
    number = _open_payment_issue(browser, site)
    assert number.startswith("C-") and "مستلم" in text(browser)
    _move(browser, "in_review")
    _move(browser, "prepared")
    _move(browser, "reissue", "الحساب صحح")
    assert "مبدأ الفصل بين المُعِدّ والمعتمِد" in browser.find_element(_by("ID"), "problem").text  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "case-ar")
    browser.delete_all_cookies()  # type: ignore[attr-defined]
    log_in(browser, site, "supervisor2")
    browser.get(f"{site.url}/office/cases/{number}")  # type: ignore[attr-defined]
    _move(browser, "reissue", "الحساب صحح")
    assert "يُعاد صرفها" in browser.find_element(_by("ID"), "state").text  # type: ignore[attr-defined]
    browser.get(f"{site.url}/office/")  # type: ignore[attr-defined]
    assert number in text(browser)  # the inbox, the nearest deadline first
    shoot(browser, "inbox-ar")
    english(browser)
    shoot(browser, "inbox-en")
    browser.get(f"{site.url}/office/cases/{number}")  # type: ignore[attr-defined]
    shoot(browser, "case-en")


def test_another_branchs_person_and_case_answer_not_found(browser: object, site: Site) -> None:
    log_in(browser, site, "other_registrar")
    browser.get(f"{site.url}/office/cases/new?type=grievance")  # type: ignore[attr-defined]
    find = browser.find_element  # type: ignore[attr-defined]
    find(_by("ID"), "civil_number").send_keys(site.outside["person_id"])
    find(_by("CSS_SELECTOR"), "#category option[value=wrong_amount]").click()
    find(_by("ID"), "f-details").send_keys("المبلغ أقل")
    click(browser, "form.card button.primary")
    theirs = str(browser.current_url).rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    browser.delete_all_cookies()  # type: ignore[attr-defined]
    log_in(browser, site, "registrar")
    pages = {}
    for path in (
        f"/office/cases/{theirs}",
        "/office/cases/C-2026-999999",
        f"/office/people/{site.outside['person_id']}",
    ):
        browser.get(site.url + path)  # type: ignore[attr-defined]
        pages[path] = text(browser).split(browser.find_element(_by("TAG_NAME"), "main").text)[0]  # type: ignore[attr-defined]
        assert "لا يوجد سجل بهذا الرقم في فروعكم" in text(browser)
    accessible(browser)


def test_a_form_posted_without_its_csrf_token_is_refused(browser: object, site: Site) -> None:
    log_in(browser, site, "case_worker")
    browser.get(f"{site.url}/office/cases/new?type=grievance")  # type: ignore[attr-defined]
    browser.execute_script("document.querySelector('form.card input[name=csrf]').remove()")  # type: ignore[attr-defined]
    click(browser, "form.card button.primary")
    assert "انتهت صلاحية النموذج" in text(browser) and "غير مسموح" in text(browser)


def test_the_family_page_is_masked_for_a_user_who_may_not_identify_people(browser: object, site: Site) -> None:
    log_in(browser, site, "registrar")
    browser.get(f"{site.url}/office/people?q={site.inside['given_name_en']}")  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "search-ar")
    browser.get(f"{site.url}/office/people/{site.inside['person_id']}")  # type: ignore[attr-defined]
    assert site.inside["person_id"] in text(browser)
    accessible(browser)
    shoot(browser, "person-ar")
    browser.delete_all_cookies()  # type: ignore[attr-defined]
    log_in(browser, site, "auditor")
    browser.get(f"{site.url}/office/families/{site.inside['family_id']}")  # type: ignore[attr-defined]
    shown = text(browser)
    assert "محجوب" in shown and site.inside["person_id"] not in shown and site.inside["given_name_ar"] not in shown
    accessible(browser)
    shoot(browser, "family-masked-ar")


def test_a_payroll_run_submitted_by_finance_is_approved_by_a_second_user(browser: object, site: Site) -> None:
    pack, month = load_pack(), Period.parse("2026-02")
    payroll.sync_enrollments(site.engine, pack, month, actor="test", today=month.start)
    payroll.calculate(site.engine, pack, month, actor="finance_officer")
    log_in(browser, site, "finance_officer")
    browser.get(f"{site.url}/office/payroll")  # type: ignore[attr-defined]
    click(browser, "#submit-2026-02")
    assert "approve-2026-02" not in browser.page_source  # type: ignore[attr-defined]  (not theirs to approve)
    browser.delete_all_cookies()  # type: ignore[attr-defined]
    log_in(browser, site, "payroll_approver")
    browser.get(f"{site.url}/office/payroll")  # type: ignore[attr-defined]
    click(browser, "#approve-2026-02")
    assert "معتمدة" in browser.find_element(_by("ID"), "state-2026-02").text  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "payroll-ar")
    browser.get(f"{site.url}/office/payroll/2026-02/held")  # type: ignore[attr-defined]
    assert "محجوب" in text(browser)
    accessible(browser)
    shoot(browser, "payroll-held-ar")


def _with_cookies(driver: object, url: str) -> bytes:
    """What the browser would download from `url`: fetched with its session cookies."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())  # type: ignore[attr-defined]
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body: bytes = answer.read()
    return body


def _widow_family(site: Site) -> str:
    with site.engine.connect() as db:
        found = db.execute(
            sa.text(
                "select f.family_number from person_situation s join membership m on m.person_id = s.person_id"
                " join family f on f.id = m.family_id where s.marital_status = 'widowed' and s.valid_to is null"
                " and m.valid_to is null order by f.family_number limit 1"
            )
        ).scalar_one()
    return str(found)


def test_the_widows_family_explained_in_arabic_and_its_statement_letter(browser: object, site: Site) -> None:
    family = _widow_family(site)
    access.create_user(site.engine, "officer", hash_password(PASSWORD), actor="setup")
    access.grant(site.engine, "officer", roles=["case_worker"], scopes=[Scope("all")], actor="setup")
    log_in(browser, site, "officer")
    browser.get(f"{site.url}/office/families/{family}")  # type: ignore[attr-defined]
    shown = text(browser)
    assert "شرح الاستحقاقات" in shown and "ر.ع." in shown
    statement = browser.find_element(_by("CSS_SELECTOR"), "section.statement")  # type: ignore[attr-defined]
    assert not re.search(r"[A-Za-z]{2,}", statement.text), statement.text
    total = browser.find_element(_by("CSS_SELECTOR"), "section.statement .total strong").text  # type: ignore[attr-defined]
    accessible(browser)
    shoot_at(browser, "family-explained-ar", "section.statement")
    link = browser.find_element(_by("CSS_SELECTOR"), "a[hreflang=ar]").get_attribute("href")  # type: ignore[attr-defined]
    pdf = _with_cookies(browser, link)
    assert pdf.startswith(b"%PDF")
    words = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    amount = total.split()[0]
    assert "الحماية" in words and "الأسرة" in words and amount in words, (amount, words[:600])
    english(browser)
    shoot_at(browser, "family-explained-en", "section.statement")


def test_a_newborn_registered_into_a_family(browser: object, site: Site) -> None:
    log_in(browser, site, "registrar")
    family = site.inside["family_id"]
    browser.get(f"{site.url}/office/families/{family}/newborn")  # type: ignore[attr-defined]
    browser.find_element(_by("ID"), "person_id").send_keys("9876")  # type: ignore[attr-defined]
    click(browser, "form.card button.primary")
    assert browser.find_element(_by("ID"), "person_id-error").is_displayed()  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "newborn-ar")
    field = browser.find_element(_by("ID"), "person_id")  # type: ignore[attr-defined]
    field.clear()
    field.send_keys("97654321")
    browser.find_element(_by("CSS_SELECTOR"), "#sex option[value=F]").click()  # type: ignore[attr-defined]
    born = browser.find_element(_by("ID"), "birth_date")  # type: ignore[attr-defined]
    browser.execute_script("arguments[0].value = '2026-10-01'", born)  # type: ignore[attr-defined]
    browser.find_element(_by("ID"), "given_name_ar").send_keys("ريم")  # type: ignore[attr-defined]
    browser.find_element(_by("ID"), "given_name_en").send_keys("Reem")  # type: ignore[attr-defined]
    click(browser, "form.card button.primary")
    assert browser.current_url.endswith("/office/people/97654321")  # type: ignore[attr-defined]
    assert "ريم" in text(browser) and "الابن أو الابنة" in text(browser)
    accessible(browser)
    shoot(browser, "newborn-registered-ar")


def test_an_enrollment_a_life_event_started_names_the_event(browser: object, site: Site) -> None:
    day = today(load_pack().timezone) - timedelta(days=20)
    mother = a_mother(site.engine, site.inside["wilayat"], besides=site.inside["family_id"])
    facts = {"person_id": "97650001", "mother_id": mother, "sex": "M", "given_name_en": "Baby"}
    event = apply_event(site.engine, LifeEvent("crvs", "BRN-B1", "birth", day, facts))
    log_in(browser, site, "case_worker")
    browser.get(f"{site.url}/office/people/97650001")  # type: ignore[attr-defined]
    cause = browser.find_element(_by("CSS_SELECTOR"), "p.cause").text  # type: ignore[attr-defined]
    assert cause.startswith(f"بدأ بواقعة الولادة (الواقعة {event}) من crvs BRN-B1 بتاريخ"), cause
    accessible(browser)
    english(browser)
    cause = browser.find_element(_by("CSS_SELECTOR"), "p.cause").text  # type: ignore[attr-defined]
    assert cause.startswith(f"Started by the birth (event {event}) from crvs BRN-B1, dated"), cause


def test_the_public_dashboard_with_suppressed_cells_and_its_open_data(browser: object, site: Site) -> None:
    pack, month = load_pack(), Period.parse("2026-03")
    payroll.sync_enrollments(site.engine, pack, month, actor="test", today=month.start)
    browser.get(f"{site.url}/public")  # type: ignore[attr-defined]
    assert "الحماية الاجتماعية بالأرقام" in text(browser) and "✱" in text(browser)
    assert browser.find_elements(_by("CSS_SELECTOR"), "svg.chart rect.bar")  # type: ignore[attr-defined]
    accessible(browser)
    shoot(browser, "public-ar")
    shoot_at(browser, "public-chart-ar", "#trend")
    link = browser.find_element(_by("CSS_SELECTOR"), "a[href*='statistics.csv']").get_attribute("href")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(_with_cookies(browser, link).decode("utf-8"))))
    counts = [int(r["beneficiaries"]) for r in rows if r["beneficiaries"]]
    assert counts and all(n >= 10 for n in counts if n), "a count under 10 is published"
    assert any(r["suppressed"] == "true" and not r["beneficiaries"] for r in rows)
    english(browser)
    assert "Social protection in figures" in text(browser)
    accessible(browser)
    shoot_at(browser, "public-en", "#trend")
    shoot_at(browser, "public-table-en", "#by-place")
