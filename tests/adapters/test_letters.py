"""Letters as PDF: Arabic shaped and in reading order, the statement's arithmetic and amounts there."""

from __future__ import annotations

import base64
import http.server
import threading
from datetime import date
from pathlib import Path

import pytest

from himaya.adapters import letters
from himaya.adapters.letters import render_html, render_pdf
from himaya.bootstrap import load_people
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.explain import explain
from himaya.policy.letters import entitlements_letter
from himaya.policy.pack import PolicyPack
from himaya.policy.statement import Member, statement
from tests.adapters.pdf_text import first_page_png, pdf_text

EXAMPLES = Path(__file__).parents[2] / "src/himaya/policy/packs/oman/examples/people.csv"
HEAD = ("10000051", Member(Text("Amina Al Hinai", "أمينة الهنائية"), "F"))


@pytest.fixture(scope="module")
def widow(oman: PolicyPack) -> dict[str, bytes]:
    people = load_people(EXAMPLES, oman)
    result = statement(explain(people, oman, oman.parameters, Period(2026, 1), family_id="F006"))
    return {
        lang: render_pdf(entitlements_letter(result, lang, sender=oman.institution, head=HEAD, day=date(2026, 2, 3)))
        for lang in ("ar", "en")
    }


def test_the_arabic_letter_reads_in_order(widow: dict[str, bytes], tmp_path: Path) -> None:
    text = pdf_text(widow["ar"], tmp_path)
    for line in (
        "صندوق الحماية الاجتماعية",
        "بيان الاستحقاقات",
        "إلى: أمينة الهنائية",
        "الرقم المدني: 10000051",
        "أفراد الأسرة المحتسبون: فردان",
        "مبلغ الدعم: الحد المستهدف 162.635 − الدخل المحتسب 80.000 = 82.635",
        "3 فبراير 2026",
    ):
        assert line in text, (line, text)
    assert "92.635" in text and "النفقة: 50.000" in text


def test_the_english_letter(widow: dict[str, bytes], tmp_path: Path) -> None:
    text = pdf_text(widow["en"], tmp_path)
    assert "Statement of entitlements" in text
    assert "the support: the target 162.635 − the income counted 80.000 = 82.635" in text
    assert "alimony: 50.000 OMR, alimony is not counted" in text


def test_a_page_renders(widow: dict[str, bytes], tmp_path: Path) -> None:
    png = first_page_png(widow["ar"], tmp_path)
    assert png.stat().st_size > 10_000  # a page of text, not a blank one


def test_the_html_is_right_to_left_and_escaped(oman: PolicyPack) -> None:
    people = load_people(EXAMPLES, oman)
    result = statement(explain(people, oman, oman.parameters, Period(2026, 1), family_id="F006"))
    evil = ("10000051", Member(Text("<script>x</script>", "<b>أمينة</b>"), "F"))
    html = render_html(entitlements_letter(result, "ar", sender=oman.institution, head=evil, day=date(2026, 2, 3)))
    assert 'dir="rtl"' in html and "<b>أمينة" not in html and "&lt;b&gt;أمينة" in html


def test_the_printer_reads_no_file_and_calls_no_address(
    oman: PolicyPack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker's view: the template escapes every value today, but should markup ever reach it
    (a name with `<img src="file:///…">`, a `<link href="http://…">`), WeasyPrint's own fetcher would
    read the local file into the PDF or call the address. The printer fetches nothing."""
    image = tmp_path / "secret.png"
    image.write_bytes(base64.b64decode(PIXEL))
    called: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            called.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.handle_request, daemon=True).start()
    hostile = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">'
        f'<img src="{image.as_uri()}"><img src="data:image/png;base64,{PIXEL}">'
    )
    monkeypatch.setattr(letters, "_template_text", lambda: "<html><body>" + hostile + "<p>x</p></body></html>")
    result = statement(explain(load_people(EXAMPLES, oman), oman, oman.parameters, Period(2026, 1), family_id="F006"))
    letter = entitlements_letter(result, "en", sender=oman.institution, head=HEAD, day=date(2026, 2, 3))
    pdf = letters.render_pdf(letter)
    server.server_close()
    assert called == []
    assert b"/Image" not in pdf  # neither the local file nor the inline picture


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
