"""Bilingual text: everything a person reads exists in English and Arabic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "ar"]
LANGUAGES: tuple[Language, ...] = ("en", "ar")


@dataclass(frozen=True)
class Text:
    """A message in English and Arabic.

    >>> Text("Child benefit", "منفعة الطفولة").in_("ar")
    'منفعة الطفولة'
    """

    en: str
    ar: str

    def in_(self, language: Language) -> str:
        return self.ar if language == "ar" else self.en


# Unicode bidi controls (UAX #9): an isolate keeps a left-to-right run (a number, a date, an id, a
# Latin name) from reordering the Arabic around it; a right-to-left mark first on a line makes a
# terminal or editor that picks the direction from the first strong letter lay the line out right
# to left, even when the line begins with a number.
LRI = "\u2066"  # left-to-right isolate
PDI = "\u2069"  # pop directional isolate
RLM = "\u200f"  # right-to-left mark
_LTR_WORD = r"[-/.]*[A-Za-z0-9%](?:[A-Za-z0-9.,:/_%+\-]*[A-Za-z0-9%])?"  # with a leading sign, dash or slash
_LTR_RUN = re.compile(rf"{_LTR_WORD}(?: {_LTR_WORD})*")


def isolate_ltr(text: str) -> str:
    """Every run of Latin letters and digits (with the dots, dashes and slashes inside it) isolated.

    >>> isolate_ltr("العمر في 2026-11-01: 38") == f"العمر في {LRI}2026-11-01{PDI}: {LRI}38{PDI}"
    True
    """
    return _LTR_RUN.sub(lambda match: f"{LRI}{match.group()}{PDI}", text)


def right_to_left(text: str) -> str:
    """Each line of an Arabic text made to read right to left: its indentation kept, then a
    right-to-left mark, then the line with its left-to-right runs isolated."""
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        lines.append(f"{indent}{RLM}{isolate_ltr(body)}" if body else line)
    return "\n".join(lines)


# Characters free text may not hold: the C0 and C1 controls but newline and tab (a terminal runs
# ESC sequences: colours, titles, a cleared screen, a hidden line), and the bidi embeddings,
# overrides, isolates and marks (U+202A-E, U+2066-9, U+200E/F: a note that reads backwards, a
# "Trojan Source" line). Refused where people type text in; neutralised where stored text is printed.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unsafe_character(text: str) -> str | None:
    r"""The first control or bidi character of the text, as `U+202E at character 7`, or None.

    >>> unsafe_character("paid \u202eless")
    'U+202E at character 6'
    >>> unsafe_character("line one\nline two\twith a tab") is None
    True
    """
    found = _UNSAFE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X} at character {found.start() + 1}"


def neutral(text: str) -> str:
    r"""Stored text made safe to print: each control or bidi character shown as its code, `<U+202E>`.

    >>> neutral("\x1b[2Jok\u202e")
    '<U+001B>[2Jok<U+202E>'
    """
    return _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def an(word: str) -> str:
    """`word` with its English indefinite article: a grievance, an application, an appeal.

    >>> an("application"), an("grievance")
    ('an application', 'a grievance')
    """
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
