"""Reading a printed letter back: its text in logical order (pdftotext from poppler-utils), and a page as PNG."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

LRE, RLE, POP = "\u202a", "\u202b", "\u202c"


def need_poppler() -> None:
    if shutil.which("pdftotext") and shutil.which("pdftoppm"):
        return
    message = "poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install poppler-utils"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def pdf_text(pdf: bytes, tmp: Path) -> str:
    """The PDF's text with each line in reading order. pdftotext writes a right-to-left line's
    left-to-right runs (numbers, the arithmetic between them) as embeddings in display order: each
    such run's words are put back in the order an Arabic reader reads them."""
    return _reading_order(_pdftotext(pdf, tmp))


def pdf_pages(pdf: bytes, tmp: Path) -> list[str]:
    """Each page's text, as `pdf_text` reads it (pdftotext ends a page with a form feed)."""
    return [_reading_order(page) for page in _pdftotext(pdf, tmp).split("\f") if page.strip()]


def _pdftotext(pdf: bytes, tmp: Path) -> str:
    need_poppler()
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _reading_order(raw: str) -> str:
    raw = re.sub(f"{LRE}([^{LRE}{RLE}{POP}]*){POP}", lambda m: " " + " ".join(reversed(m.group(1).split())) + " ", raw)
    raw = re.sub("[\u202a-\u202e]", "", raw)
    return "\n".join(re.sub(r"\s+", " ", line).replace(" :", ":").strip() for line in raw.splitlines())


def first_page_png(pdf: bytes, tmp: Path) -> Path:
    need_poppler()
    path = tmp / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp / "page")], check=True)
    return next(tmp.glob("page*.png"))
