"""A case's evidence over the API, on SQLite and PostgreSQL, from the attacker's side too: a file that
is not what its name says, an executable, a file too large (the action's limit and the guard's), a
download of another branch's case or of a file the case does not hold (404, as a missing one), a
user without the permission; and every download in the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from himaya import bootstrap
from himaya.db.tables import audit_entry
from tests.api.conftest import World

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """The evidence folder of this test (HIMAYA_EVIDENCE_DIR)."""
    before = bootstrap.settings()
    bootstrap.configure(replace(before, evidence_dir=tmp_path / "evidence"))
    yield tmp_path / "evidence"
    bootstrap.configure(before)


def _attach(world: World, number: str, name: str, content: bytes, user: str = "case_worker") -> Any:
    files = {"file": (name, content, "application/pdf")}  # the client's word on the type is not believed
    return world.client.post(f"/cases/{number}/evidence", headers=world.headers(user), files=files)


def _downloads(world: World, number: str) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        rows = connection.execute(select(audit_entry).where(audit_entry.c.subject == f"case:{number}")).mappings()
        return [dict(r) for r in rows if r["action"] == "read" and "evidence" in str(r["after"])]


def test_evidence_is_attached_listed_and_downloaded_by_who_may_see_the_case(world: World, folder: Path) -> None:
    number = world.inside["case_number"]
    response = _attach(world, number, "card scan.pdf", PDF)
    assert response.status_code == 201, response.text
    sha = hashlib.sha256(PDF).hexdigest()
    assert response.json() | {"new": True} == {
        "number": number, "sha256": sha, "media_type": "application/pdf", "size": len(PDF),
        "filename": "card scan.pdf", "new": True,
    }  # fmt: skip
    assert (folder / sha[:2] / sha).read_bytes() == PDF and not list(folder.rglob(".upload-*"))
    again = _attach(world, number, "card scan.pdf", PDF)
    assert again.status_code == 201 and again.json()["new"] is False  # kept once
    case = world.client.get(f"/cases/{number}", headers=world.headers("case_worker")).json()
    assert [e["sha256"] for e in case["evidence"]] == [sha]
    before = len(_downloads(world, number))
    got = world.client.get(f"/cases/{number}/evidence/{sha}", headers=world.headers("supervisor"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf" and got.headers["content-disposition"].startswith(
        "attachment"
    )
    assert len(_downloads(world, number)) == before + 1


def test_an_arabic_file_name_survives_the_download_and_its_headers_are_pinned(world: World, folder: Path) -> None:
    """The download's name was `????? ???????.pdf`: it is sent whole as RFC 5987 `filename*` (UTF-8),
    with an ASCII `filename` beside it; the answer is a download that no browser sniffs, shows or runs,
    and another branch gets the 404 of a missing file."""
    number, name = world.inside["case_number"], "بطاقة الإعاقة 2026.pdf"
    content = PDF + b"% arabic name\n"
    assert _attach(world, number, name, content).status_code == 201
    sha = hashlib.sha256(content).hexdigest()
    got = world.client.get(f"/cases/{number}/evidence/{sha}", headers=world.headers("case_worker"))
    assert got.status_code == 200 and got.content == content
    (disposition,) = got.headers.get_list("content-disposition")
    kind, *params = [p.strip() for p in disposition.split(";")]
    fields = dict(p.split("=", 1) for p in params)
    assert kind == "attachment" and fields["filename"] == '"2026.pdf"' and fields["filename"].isascii()
    charset, language, encoded = fields["filename*"].split("'", 2)
    assert (charset, language, unquote(encoded, errors="strict")) == ("UTF-8", "", name)
    assert encoded.isascii() and " " not in encoded
    assert got.headers.get_list("x-content-type-options") == ["nosniff"]
    (policy,) = got.headers.get_list("content-security-policy")
    assert policy.startswith("default-src 'none'")
    assert got.headers["content-type"] == "application/pdf"
    theirs = world.client.get(f"/cases/{number}/evidence/{sha}", headers=world.headers("other_registrar"))
    assert theirs.status_code == 404 and "content-disposition" not in theirs.headers
    assert name not in theirs.text


def test_another_branch_and_a_missing_file_answer_the_same_404(world: World, folder: Path) -> None:
    number = world.inside["case_number"]
    sha = hashlib.sha256(PNG).hexdigest()
    assert _attach(world, number, "photo.png", PNG).status_code == 201
    theirs = world.client.get(f"/cases/{number}/evidence/{sha}", headers=world.headers("other_registrar"))
    missing = world.client.get(f"/cases/{number}/evidence/{'0' * 64}", headers=world.headers("case_worker"))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    outside = world.outside["case_number"]  # their own case does not open ours by its file's hash
    assert (
        world.client.get(f"/cases/{outside}/evidence/{sha}", headers=world.headers("other_registrar")).status_code
        == 404
    )
    assert _attach(world, outside, "photo.png", PNG).status_code == 404  # uploading to another branch's case
    assert world.client.get(f"/cases/{number}/evidence/{sha}", headers=world.headers("nobody")).status_code == 403
    assert _attach(world, number, "photo.png", PNG, user="nobody").status_code == 403


def test_a_file_that_is_not_what_its_name_says_is_refused_naming_it(world: World, folder: Path) -> None:
    number = world.inside["case_number"]
    for name, content, said in (
        ("scan.pdf", PNG, "is an image/png by its content"),
        ("invoice.pdf", EXE, "is not a PDF, JPEG or PNG"),
        ("run.exe", EXE, "is not a PDF, JPEG or PNG"),
        ("empty.pdf", b"", "is empty"),
    ):
        response = _attach(world, number, name, content)
        assert response.status_code == 422, (name, response.text)
        assert name in response.json()["error"]["message"] and said in response.json()["error"]["message"], name
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_file_name_too_long_for_the_form_parser_gets_a_clear_refusal(world: World, folder: Path) -> None:
    """An outside attack sent a 5,000-character file name: the form parser's header limit answered a
    bare 400. It is a 422 saying what is wrong and what to do, and nothing is kept."""
    response = _attach(world, world.inside["case_number"], "a" * 5000 + ".pdf", PDF)
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_upload"
    assert "file name" in error["message"] and "rename the file" in error["message"]
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_two_files_in_one_request_are_refused_not_the_first_dropped(world: World, folder: Path) -> None:
    """An outside attack sent two `file` parts: the last was kept and the first dropped, unsaid."""
    two = [("file", ("w7.pdf", PDF, "application/pdf")), ("file", ("w8.pdf", PDF + b" ", "application/pdf"))]
    number = world.inside["case_number"]
    response = world.client.post(f"/cases/{number}/evidence", headers=world.headers("case_worker"), files=two)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["error"]["code"] == "invalid_upload" and "2 files in one request" in response.text
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_part_without_a_file_name_is_told_to_send_a_file(world: World, folder: Path) -> None:
    """An outside attack sent the part without a file name: the framework's words came back."""
    number = world.inside["case_number"]
    response = world.client.post(
        f"/cases/{number}/evidence", headers=world.headers("case_worker"), files={"file": ("", PDF, "application/pdf")}
    )
    assert response.status_code == 422, response.text[:300]
    message = response.json()["error"]["message"]
    assert "send the file as a multipart part with its file name" in message and "UploadFile" not in message


def test_a_file_too_large_is_refused_with_413(world: World, folder: Path) -> None:
    number = world.inside["case_number"]
    app = world.client.app
    before = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = replace(before, evidence_max_bytes=4096)  # type: ignore[attr-defined]
    try:
        response = _attach(world, number, "big.pdf", PDF + b"0" * 5000)
    finally:
        app.state.settings = before  # type: ignore[attr-defined]
    assert response.status_code == 413 and "big.pdf" in response.json()["error"]["message"], response.text
    # Past the guard's limit for the path (the setting and the form's overhead): refused before it is read.
    huge = _attach(world, number, "huge.pdf", PDF + b"0" * (before.evidence_max_bytes + (64 << 10)))
    assert huge.status_code == 413, huge.text[:200]
