"""The normalisation of `normalize.py` for the few words of one query, in plain Python.

The tokens of the whole registry are made by Polars expressions (`normalize.py`,
`name_search.name_tokens`); a query is a handful of words, for which running those expressions
costs more than the search itself. These functions apply the same folds, from the same tables,
with compiled regular expressions; `tests/registry/test_name_search.py` checks on thousands of
names that a query written as a name is stored finds its tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

from himaya.registry.normalize import (
    _ARABIC_FOLD,
    _CONNECTORS,
    _DIACRITICS,
    _LATIN_CONNECTORS,
    _LATIN_SKELETON,
    _SKELETON_LETTERS,
    INVISIBLE,
)

_FOLD = str.maketrans(_ARABIC_FOLD)
_STRIP = re.compile(f"{INVISIBLE}|{_DIACRITICS}")
_SPACES = re.compile(r"\s+")
_ARABIC_CONNECTORS = re.compile(_CONNECTORS)
_ABD = re.compile(r"عبد\s+ال")
_ARTICLE = re.compile(r"^ال(\S\S)")
_NOT_LATIN = re.compile(r"[^a-z]")
_LATIN_SEPARATORS = re.compile(r"[-'`’\s]+")
_LATIN_CONNECTOR = re.compile(_LATIN_CONNECTORS)
_LATIN_ARTICLE = re.compile(r"\b(el|al|ar|as|at|az|ash|an|ad)\s")
_RUNS = re.compile(r"([a-z])\1+")
_DIGRAPHS = re.compile("|".join(sorted(_LATIN_SKELETON, key=len, reverse=True)))
_SKELETON_RUNS = re.compile(f"([{_SKELETON_LETTERS}])\\1+")
_FINAL_H = re.compile(r"(.)h$")


def arabic_words(text: str) -> list[str]:
    """`name_search._arabic_words` for one text: normalised Arabic words, the article off each."""
    folded = _SPACES.sub(" ", _STRIP.sub("", text).translate(_FOLD)).strip()
    padded = _ARABIC_CONNECTORS.sub(" ", _ARABIC_CONNECTORS.sub(" ", f" {folded} "))
    joined = _SPACES.sub(" ", _ABD.sub("عبدال", padded)).strip()
    return [_ARTICLE.sub(r"\1", w) for w in joined.split(" ")] if joined else []


def latin(text: str) -> str | None:
    """`normalize.latin` for one text."""
    spaced = _LATIN_SEPARATORS.sub(" ", re.sub(INVISIBLE, "", text.lower())).strip()
    spaced = _LATIN_CONNECTOR.sub(" ", f" {spaced} ").strip()
    joined = _LATIN_ARTICLE.sub("al", spaced).replace(" ", "")
    for source, target in (("ou", "u"), ("oo", "u"), ("ee", "i"), ("ei", "i"), ("ph", "f")):
        joined = joined.replace(source, target)
    joined = _RUNS.sub(r"\1", joined)
    return joined or None


@lru_cache(maxsize=4096)
def latin_word(word: str) -> str | None:
    """`name_search._latin_word` for one word."""
    text = _NOT_LATIN.sub("", re.sub(INVISIBLE, "", word.lower()))
    if len(text) >= 6:
        text = re.sub(r"^(al|el)", "", text, count=1)
    folded = latin(text)
    return None if folded is None else re.sub(r"[ae]h$", "a", folded)


def skeleton_latin(normalised: str) -> str | None:
    """`normalize.skeleton_latin` for one normalised word."""
    text = _NOT_LATIN.sub("", normalised)
    text = re.sub(r"^y", "Y", text, count=1)
    text = re.sub(r"^w", "W", text, count=1)
    text = _DIGRAPHS.sub(lambda m: _LATIN_SKELETON[m.group()], text)
    text = _FINAL_H.sub(r"\1", _SKELETON_RUNS.sub(r"\1", text))
    return text or None
