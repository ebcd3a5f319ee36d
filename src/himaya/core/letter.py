"""A letter to a person, in one language, as the pieces a printer lays out (a PDF adapter renders it):
built by the capability that knows what to say (a statement of entitlements, a case's decision or
referral), rendered by `adapters/letters`."""

from __future__ import annotations

from dataclasses import dataclass

from himaya.core.text import Language


@dataclass(frozen=True)
class LetterLine:
    text: str
    amount: str | None = None  # a money amount as written (e.g. "82.635 ر.ع."), shown in its own column
    kind: str = "text"  # what the line is (the statement's line kinds: arithmetic, reference, ...), for styling


@dataclass(frozen=True)
class LetterBlock:
    heading: str
    amount: str | None
    lines: tuple[LetterLine, ...]


@dataclass(frozen=True)
class Letter:
    language: Language
    sender: str  # the institution
    title: str
    reference: tuple[tuple[str, str], ...]  # labelled facts under the title: (label, value)
    addressee: tuple[str, ...]
    opening: tuple[str, ...]  # paragraphs
    blocks: tuple[LetterBlock, ...] = ()
    closing: tuple[str, ...] = ()

    @property
    def right_to_left(self) -> bool:
        return self.language == "ar"
