"""Name normalisation for matching: the spellings clerks and systems produce become one.

Arabic: invisible marks (RLM, LRM, ZWNJ, ZWJ, BOM...), diacritics and tatweel go; Persian and Urdu
letters (ک, ی, ە, گ, پ, چ, ژ, ڤ) become their Arabic letters; alef with hamza or madda becomes bare
alef; ta marbuta becomes ha and alef maqsura ya; hamza on waw or ya becomes the letter and a bare
hamza goes (وفاء and وفا are one spelling); the connectors "بن", "ابن" and "بنت" between names go;
"عبد ال" is written together. A family name also loses its article (العبري, عبري and "آل عبري" are
one tribe).

Latin: lower case; hyphens, apostrophes and spaces go; the article is always "al"; common
transliteration pairs are folded (ou/oo to u, ee/ei to i, ph to f, doubled letters to one). A
family name loses its article, written apart ("Al Ajmi"), hyphenated or assimilated ("Az-Zadjali",
"Azzadjali").

Skeleton: a consonant key common to both scripts, the transliteration model that lets "Mohammed"
meet "محمد" and "Al Balushi" meet "البلوشي": each Arabic letter and each Latin letter or digraph
goes to one consonant class (ح/ه and h; ق/ك/غ and q/k/g/gh; ش and sh; ث/ت/ط and t/th...), vowels,
long-vowel letters, ع and hamza go, doubled consonants become one and a final h goes (ta marbuta
and its Latin "-ah" are not always written).
"""

from __future__ import annotations

import polars as pl

INVISIBLE = r"[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]"
_DIACRITICS = r"[\u064B-\u0652\u0670\u0640]"  # harakat, superscript alef, tatweel
_ARABIC_FOLD = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ة": "ه",
    "ى": "ي",
    "ؤ": "و",
    "ئ": "ي",
    "ء": "",
    # Persian and Urdu keyboards: the same letter from another code point.
    "ک": "ك",
    "ی": "ي",
    "ې": "ي",
    "ۍ": "ي",
    "ھ": "ه",
    "ە": "ه",
    "ۀ": "ه",
    "ۃ": "ه",
    "گ": "ك",
    "پ": "ب",
    "چ": "ج",
    "ژ": "ز",
    "ڤ": "ف",
}
_CONNECTORS = r" (بن|ابن|بنت) "
_LATIN_CONNECTORS = r" (bin|bint|ibn|binti|ben) "

# Consonant classes: Arabic letter -> class letter (empty: dropped).
_ARABIC_SKELETON = {
    "ب": "b",
    "ت": "t",
    "ث": "t",
    "ط": "t",
    "ج": "j",
    "ح": "h",
    "ه": "h",
    "خ": "x",
    "د": "d",
    "ذ": "d",
    "ض": "d",
    "ظ": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ص": "s",
    "ش": "S",
    "غ": "k",
    "ق": "k",
    "ك": "k",
    "ف": "f",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ع": "",
    "ا": "",
    "و": "",
    "ي": "",
    " ": "",
}
# Latin digraphs first (replace_many(leftmost=True) takes the first pattern listed), then single letters.
_LATIN_SKELETON = {
    "sh": "S",
    "ch": "S",
    "kh": "x",
    "gh": "k",
    "th": "t",
    "dh": "d",
    "ph": "f",
    "q": "k",
    "g": "k",
    "c": "k",
    "v": "f",
    "p": "b",
    "a": "",
    "e": "",
    "i": "",
    "o": "",
    "u": "",
    "y": "",
    "w": "",
}
_SKELETON_LETTERS = "bdfhjklmnrstxzSWY"


def _arabic_letters(name: pl.Expr) -> pl.Expr:
    text = name.str.replace_all(INVISIBLE, "").str.replace_all(_DIACRITICS, "")
    text = text.str.replace_many(list(_ARABIC_FOLD), list(_ARABIC_FOLD.values()))
    return text.str.replace_all(r"\s+", " ").str.strip_chars()


def arabic(name: pl.Expr) -> pl.Expr:
    """Normalised Arabic name part, for equality and similarity (empty becomes null)."""
    text = _padded(_arabic_letters(name)).str.replace_all(_CONNECTORS, " ")
    text = text.str.replace_all(_CONNECTORS, " ")  # twice: a match consumes the space the next needs
    text = text.str.replace_all(r"عبد\s+ال", "عبدال").str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def arabic_family(name: pl.Expr) -> pl.Expr:
    """Normalised Arabic family name without its article ("ال" joined, or "ال"/"آل" apart)."""
    text = arabic(name).str.replace(r"^ال\s+", "").str.replace(r"^ال(\S\S)", "$1")
    return pl.when(text.str.len_chars() > 0).then(text)


def latin(name: pl.Expr) -> pl.Expr:
    """Normalised Latin transliteration, for equality and similarity."""
    text = name.str.to_lowercase().str.replace_all(INVISIBLE, "")
    text = text.str.replace_all(r"[-'`’\s]+", " ").str.strip_chars()
    text = _padded(text).str.replace_all(_LATIN_CONNECTORS, " ").str.strip_chars()
    text = text.str.replace_all(r"\b(el|al|ar|as|at|az|ash|an|ad)\s", "al")
    text = text.str.replace_all(" ", "", literal=True)
    for source, target in (("ou", "u"), ("oo", "u"), ("ee", "i"), ("ei", "i"), ("ph", "f")):
        text = text.str.replace_all(source, target, literal=True)
    text = _single_letters(text)
    return pl.when(text.str.len_chars() > 0).then(text)


def latin_family(name: pl.Expr) -> pl.Expr:
    """Normalised Latin family name without its article: "Al Ajmi", "Al-Ajmi", "Ajmi" and
    "Az-Zadjali", "Azzadjali", "Zadjali" each become one."""
    text = name.str.to_lowercase().str.replace_all(INVISIBLE, "").str.strip_chars()
    text = text.str.replace(r"^(al|el)[\s\-'`’]+", "")
    for sun in ("sh", "th", "dh", "t", "d", "r", "z", "s", "n", "l"):
        # Rust's regex engine has no back-references: one pattern per sun letter.
        text = text.str.replace(f"^a{sun}[\\s\\-'`’]*{sun}", sun)
    return latin(text)


def skeleton_arabic(normalised: pl.Expr) -> pl.Expr:
    """The consonant key of a normalised Arabic name."""
    text = normalised.str.replace_all(r"[^\u0621-\u064A ]", "")
    # An initial ya or waw is a consonant (يوسف is not سيف), as is a Latin initial y or w.
    text = text.str.replace(r"^ي", "Y").str.replace(r"^و", "W")
    return _skeleton_tail(text.str.replace_many(list(_ARABIC_SKELETON), list(_ARABIC_SKELETON.values())))


def skeleton_latin(normalised: pl.Expr) -> pl.Expr:
    """The consonant key of a normalised Latin name (letters a-z only)."""
    text = normalised.str.replace_all(r"[^a-z]", "").str.replace(r"^y", "Y").str.replace(r"^w", "W")
    # leftmost: "gh" is one letter (غ), not "g" then "h" (the default reports the first match to end).
    return _skeleton_tail(text.str.replace_many(list(_LATIN_SKELETON), list(_LATIN_SKELETON.values()), leftmost=True))


def _skeleton_tail(text: pl.Expr) -> pl.Expr:
    for letter in _SKELETON_LETTERS:
        text = text.str.replace_all(f"{letter}{letter}+", letter)
    text = text.str.replace(r"(.)h$", "$1")
    return pl.when(text.str.len_chars() > 0).then(text)


def _padded(text: pl.Expr) -> pl.Expr:
    """A space either side (the expression keeps its input's name)."""
    return text.str.replace(r"^((?s).*)$", " $1 ")


def _single_letters(text: pl.Expr) -> pl.Expr:
    """Doubled letters to one (Rust's regex engine has no back-references: a pattern per letter)."""
    for letter in "abcdefghijklmnopqrstuvwxyz":
        text = text.str.replace_all(f"{letter}{letter}+", letter)
    return text
