"""Bilingual text: everything a person reads exists in English and Arabic."""

from __future__ import annotations

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
