"""Every string of the front office (templates and Python) has an Arabic translation that is not fuzzy."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import himaya.web
from himaya.web.i18n import Locale

WEB = Path(himaya.web.__file__).parent


def _extracted() -> set[str]:
    methods, options = parse_mapping_cfg(StringIO((WEB / "babel.cfg").read_text()))
    return {str(message) for _, _, message, _, _ in extract_from_dir(str(WEB), methods, options)}


def test_every_message_has_an_arabic_translation_that_is_not_fuzzy() -> None:
    wanted = _extracted()
    assert len(wanted) > 100 and "Log in" in wanted and "No such record in your branches." in wanted
    with (WEB / "locale" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ar")
    translated = {str(m.id): m for m in catalog if m.id}
    missing = sorted(m for m in wanted if m not in translated or not translated[m].string)
    fuzzy = sorted(m for m in wanted if m in translated and translated[m].fuzzy)
    assert not missing, f"no Arabic translation in web/locale/ar/LC_MESSAGES/messages.po for: {missing}"
    assert not fuzzy, f"fuzzy Arabic translations (check and clear the flag): {fuzzy}"


def test_the_english_catalog_knows_every_message() -> None:
    with (WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="en")
    assert not sorted(_extracted() - {str(m.id) for m in catalog if m.id})


def test_the_catalogs_are_used() -> None:
    assert Locale("ar").gettext("Log in") == "تسجيل الدخول"
    assert Locale("en").gettext("Log in") == "Log in"
