"""The pure parts of a case's evidence and of an application's approval: the type sniffed from the
content, the name and size checks, the folder's atomic, content-addressed writes, and the pack's
`approval` section refused when it names what does not exist."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from himaya.adapters.evidence import FolderEvidence
from himaya.cases.evidence import check_upload, sniff
from himaya.core.errors import InvalidInputError, TooLargeError
from himaya.policy.case_loader import case_type
from himaya.policy.case_types import CaseTypeError
from himaya.policy.packs import load_pack

APPLICATION = Path(load_pack().cases_dir or "") / "application.yaml"


@pytest.mark.parametrize(
    ("content", "media"),
    [
        (b"%PDF-1.4\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\nIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"MZ\x90\x00", None),  # a Windows executable
        (b"\x7fELF", None),
        (b"<html><script>", None),
        (b"%PD", None),  # too short to be a PDF
        (b"GIF89a", None),
    ],
)
def test_the_type_is_read_from_the_content(content: bytes, media: str | None) -> None:
    assert sniff(content) == media


INVISIBLE_EXAMPLES = "\u061c\u200b\ufeff\t\u00ad\u2028"


def test_a_name_a_size_and_a_type_that_lie_are_refused() -> None:
    pdf = b"%PDF-1.4\n%%EOF"
    assert check_upload("../../etc/card.PDF", pdf, max_bytes=100) == (
        "card.PDF", "application/pdf", hashlib.sha256(pdf).hexdigest()
    )  # fmt: skip
    for name, content, error, said in (
        ("card.pdf", pdf, TooLargeError, "'card.pdf': 14 bytes; evidence may have at most 10 bytes"),
        ("photo.jpg", pdf, InvalidInputError, "'photo.jpg' is an application/pdf by its content"),
        ("x\u202egpj.pdf", pdf, InvalidInputError, "is not a usable file name"),
        ("", pdf, InvalidInputError, "is not a usable file name"),
        # invisible characters that make two names look alike (outside attack): the Arabic letter
        # mark, a zero-width space, a byte-order mark, a tab, a soft hyphen, a line separator
        *((f"ka{c}shf.pdf", pdf, InvalidInputError, "not a usable file name") for c in INVISIBLE_EXAMPLES),
    ):
        with pytest.raises(error, match=said):
            check_upload(name, content, max_bytes=10 if error is TooLargeError else 100)
    assert check_upload("نامه\u200cها.pdf", pdf, max_bytes=100)[0] == "نامه\u200cها.pdf"  # a joiner of Persian, Kurdish


def test_the_folder_writes_whole_files_by_their_hash(tmp_path: Path) -> None:
    files = FolderEvidence(tmp_path)
    content = b"%PDF-1.4\n" + bytes(100)
    sha = hashlib.sha256(content).hexdigest()
    files.put(sha, content)
    files.put(sha, content)  # kept once
    assert files.get(sha) == content and [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]
    assert files.get("0" * 64) is None
    with pytest.raises(ValueError, match="not a SHA-256"):
        files.get("../../etc/passwd")


def _refused(change: Any) -> str:
    document = copy.deepcopy(yaml.safe_load(APPLICATION.read_text(encoding="utf-8")))
    change(document["approval"])
    with pytest.raises(CaseTypeError) as refused:
        case_type(document, "application.yaml")
    return str(refused.value)


def test_an_approval_section_naming_what_does_not_exist_is_refused() -> None:
    assert "'evidence' must be a required code field" in _refused(lambda a: a.update(field="evidence"))
    assert "'pension' is not a value of programme" in _refused(lambda a: a["facts"].update(pension={"x": 1}))
    assert "{field: NAME} must name a form field" in _refused(
        lambda a: a["facts"].update(widow={"marital_status": {"field": "nope"}})
    )
    assert "{nope} in '{nope}_deceased' must name a code field" in _refused(
        lambda a: a["facts"].update(orphan={"{nope}_deceased": True})
    )
    assert "'granted' is not a state of this type" in _refused(lambda a: a.update(approved="granted"))
