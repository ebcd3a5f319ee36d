"""Name normalisation for matching: the spellings clerks and systems produce become one.

Arabic: diacritics and tatweel go; alef with hamza or madda becomes bare alef; ta marbuta becomes
ha and alef maqsura ya; hamza on waw or ya becomes the letter; "عبد ال" is written together.
Latin: lower case; hyphens, apostrophes and spaces go; the article is always "al"; common
transliteration pairs are folded (ou/oo to u, ee/ei to i, ph to f, doubled letters to one).
"""

from __future__ import annotations

import polars as pl

_ARABIC_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"}
_DIACRITICS = r"[\u064B-\u0652\u0670\u0640]"  # harakat, superscript alef, tatweel


def arabic(name: pl.Expr) -> pl.Expr:
    """Normalised Arabic name, for equality and similarity."""
    text = name.str.replace_all(_DIACRITICS, "")
    for source, target in _ARABIC_FOLD.items():
        text = text.str.replace_all(source, target, literal=True)
    text = text.str.replace_all(r"عبد\s+ال", "عبدال")
    return text.str.replace_all(r"\s+", " ").str.strip_chars()


def latin(name: pl.Expr) -> pl.Expr:
    """Normalised Latin transliteration, for equality and similarity."""
    text = name.str.to_lowercase().str.replace_all(r"[-'`’\s]+", " ").str.strip_chars()
    text = text.str.replace_all(r"\b(el|al|ar|as|at|az|ash|an|ad)\s", "al")
    text = text.str.replace_all(" ", "", literal=True)
    for source, target in (("ou", "u"), ("oo", "u"), ("ee", "i"), ("ei", "i"), ("ph", "f")):
        text = text.str.replace_all(source, target, literal=True)
    return _single_letters(text)


def _single_letters(text: pl.Expr) -> pl.Expr:
    """Doubled letters to one (Rust's regex engine has no back-references: a pattern per letter)."""
    for letter in "abcdefghijklmnopqrstuvwxyz":
        text = text.str.replace_all(f"{letter}{letter}+", letter)
    return text
