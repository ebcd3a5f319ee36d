"""A journey in a real browser on a registry of Iraq's people (issue 17): the officer of a district
opens a family paid the subsidy and reads its entitlements in Arabic, then in English, in the
Iraq pack's words and dinars; axe-core finds no WCAG 2.1 A/AA violation. Skipped with the reason
when no browser is installed; required under CI=true (as `test_browser.py`)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from himaya.api.security import TokenSettings
from himaya.db.engine import connect
from himaya.policy.packs import load_pack
from himaya.service import create_app
from tests.api.conftest import KEY
from tests.web.test_browser import CHROMIUM, DRIVER, Site, _browser_missing, accessible, english, log_in, shoot, text
from tests.web.test_iraq_office import IraqRegistry, iraq_registry

pytestmark = pytest.mark.slow


@dataclass
class IraqSite:
    site: Site
    registry: IraqRegistry


@pytest.fixture(scope="module")
def iraq_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IraqSite]:
    problem = _browser_missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser journeys, but {problem}")
        pytest.skip(problem)
    tmp = tmp_path_factory.mktemp("browser-iraq")
    engine = connect(f"sqlite:///{tmp / 'iraq.db'}")
    registry = iraq_registry(engine)
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
    yield IraqSite(Site(f"http://127.0.0.1:{port}", {}, {}, engine), registry)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def browser(iraq_site: IraqSite) -> Iterator[object]:
    """Debian's Chromium, headless, in Arabic (as `test_browser.browser`)."""
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


def test_a_district_officer_reads_a_familys_entitlements_in_dinars(browser: object, iraq_site: IraqSite) -> None:
    site, family = iraq_site.site, iraq_site.registry.family
    names = load_pack("iraq").code_names
    district = names["district"][iraq_site.registry.head["district"]]
    log_in(browser, site, "officer")
    browser.get(f"{site.url}/office/families/{family}")  # type: ignore[attr-defined]
    shown = text(browser)
    assert "الرقم الوطني" in shown and "القضاء" in shown and district.ar in shown
    assert "د.ع." in shown and "ر.ع." not in shown and "المنحة الطلابية" in shown
    accessible(browser)
    shoot(browser, "iraq-family-ar")
    english(browser)
    shown = text(browser)
    assert "National ID number" in shown and "District" in shown and district.en in shown
    assert "IQD " in shown and "OMR" not in shown and "Student grant" in shown
