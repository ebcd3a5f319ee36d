"""Letters as printable PDF: a `core/letter.Letter` laid out by an HTML template (Jinja2) and printed by
WeasyPrint, whose text engine (Pango with HarfBuzz) shapes Arabic and lays it out right to left.

The fonts are the system's: Noto Naskh Arabic or Noto Sans Arabic (Debian: fonts-noto-core) for
Arabic, DejaVu Sans (fonts-dejavu-core) for the rest; nothing is fetched, from the network or from
the disk: the printer's URL fetcher refuses every address (`file:`, `http:`, `data:`), so markup that
reached a letter could neither read a local file into it nor call another server.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from jinja2 import Environment, select_autoescape

from himaya.core.letter import Letter

# Arabic first for an Arabic letter (its digits and punctuation in the Arabic face too); DejaVu for an English one.
FONTS = {
    "ar": '"Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", sans-serif',
    "en": '"DejaVu Sans", "Noto Sans Arabic", sans-serif',
}


@cache
def _environment() -> Environment:
    environment = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    return environment


@cache
def _template_text() -> str:
    return (files("himaya.adapters.letters") / "templates" / "letter.html").read_text(encoding="utf-8")


def render_html(letter: Letter) -> str:
    """The letter as an HTML page (dir="rtl" for Arabic), the same that is printed."""
    template = _environment().from_string(_template_text())
    return template.render(letter=letter, fonts=FONTS[letter.language])


class FetchRefusedError(Exception):
    """A letter asked its printer for an address: a letter has everything it prints inside it."""


class Refuse:
    """WeasyPrint's URL fetcher for letters: every address refused (the printer logs and skips it).
    A callable, as WeasyPrint before 67 takes; `_fail_on_errors`, which later versions read."""

    _fail_on_errors = False

    def __call__(self, url: str, *args: object, **kwargs: object) -> dict[str, object]:
        raise FetchRefusedError(f"a letter fetches nothing: {url[:80]!r}")


def render_pdf(letter: Letter) -> bytes:
    """The letter as a PDF document (A4)."""
    from weasyprint import HTML  # noqa: PLC0415  (only printing needs it: it loads Pango, slow to start)

    return bytes(HTML(string=render_html(letter), url_fetcher=Refuse()).write_pdf())


def render_batch(letters: Sequence[Letter]) -> bytes:
    """Letters as one PDF document, each from a new page and in its own direction (a branch's batch)."""
    from weasyprint import HTML  # noqa: PLC0415  (see render_pdf)

    documents = [HTML(string=render_html(letter), url_fetcher=Refuse()).render() for letter in letters]
    pages = [page for document in documents for page in document.pages]
    return bytes(documents[0].copy(pages).write_pdf())
