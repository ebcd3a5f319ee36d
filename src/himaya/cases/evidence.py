"""A case's evidence: files (PDF, JPEG, PNG) attached to a case and downloaded by those who may see it.

The type is sniffed from the content (its magic bytes), never taken from the name or the client's
word: a `.pdf` that is a PNG is refused, and so is an executable, naming the file. The content is
stored once, by its SHA-256, in the evidence folder (`adapters/evidence.py`, through the
`EvidenceFiles` port); the case gets a row per file. The file is written before the row, so a row
never names a file that is missing (a file without a row, after a failed upload, is never served).
Every attachment and every download is audited; a download of another branch's case, or of a
file the case does not hold, is answered as a missing one (and the probe is audited).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from himaya.cases.actions import _probe, _workable
from himaya.cases.model import EventKind
from himaya.cases.ports import CasesUnitOfWork, EvidenceFiles
from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import (
    ConflictError,
    ForbiddenError,
    NamedRuleError,
    NotFoundError,
    TooLargeError,
)
from himaya.core.text import an, unsafe_character

# The magic bytes of each accepted type, and the name endings that go with it.
MAGIC = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
MAX_NAME = 200  # characters of a file's name as kept
# A file name is shown to officers and saved to disk: besides control and direction characters
# (`unsafe_character`), none of the invisible ones that make two names look alike (tabs, the Arabic
# letter mark, zero-width spaces and joiners, the byte-order mark, soft hyphens, line separators).
INVISIBLE = re.compile("[\t\u00ad\u061c\u180e\u200b\u2028\u2029\u2060\ufeff]")


@dataclass(frozen=True)
class Attached:
    number: str
    sha256: str
    media_type: str
    size: int
    filename: str
    new: bool  # False: the case held this very content already (nothing written)


def sniff(content: bytes) -> str | None:
    """The media type the content is, by its first bytes; None for anything else.

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"MZ\\x90\\x00"), sniff(b"\\x89PNG\\r\\n\\x1a\\n....")
    ('application/pdf', None, 'image/png')
    """
    return next((media for media, (magic, _) in MAGIC.items() if content.startswith(magic)), None)


def check_upload(filename: str, content: bytes, *, max_bytes: int) -> tuple[str, str, str]:
    """(the name as kept, the media type sniffed, the SHA-256) of an acceptable file; else a clear refusal."""
    name = PurePath(filename.replace("\\", "/")).name.strip()  # the name only: never a path
    if not name or len(name) > MAX_NAME or unsafe_character(name) is not None or INVISIBLE.search(name):
        said = f"file: {filename[:MAX_NAME]!r} is not a usable file name"
        raise NamedRuleError(said, "file.name", most=MAX_NAME)
    if len(content) > max_bytes:
        raise TooLargeError(f"file {name!r}: {len(content):,} bytes; evidence may have at most {max_bytes:,} bytes")
    if not content:
        raise NamedRuleError(f"file {name!r} is empty", "file.empty")
    media = sniff(content)
    if media is None:
        raise NamedRuleError(f"file {name!r} is not a PDF, JPEG or PNG (by its content): refused", "file.kind")
    endings = MAGIC[media][1]
    if not name.lower().endswith(endings):
        said = (
            f"file {name!r} is {an(media)} by its content, but its name says otherwise: refused (name it {endings[0]})"
        )
        raise NamedRuleError(said, "file.ending", ending=endings[0])
    return name, media, hashlib.sha256(content).hexdigest()


def attach(
    uow: CasesUnitOfWork,
    files: EvidenceFiles,
    number: str,
    filename: str,
    content: bytes,
    *,
    max_bytes: int,
    principal: Principal,
) -> Attached:
    """Attach a file to an open case of the user's reach (case.work); audited. The same content twice
    on one case is kept once."""
    name, media, sha = check_upload(filename, content, max_bytes=max_bytes)
    with uow:
        case = _workable(uow, number, principal, "case.evidence")
        files.put(sha, content)
        row = {
            "case_id": case["id"], "sha256": sha, "media_type": media, "filename": name, "size": len(content),
            "uploaded_by": principal.username, "uploaded_at": now(),
        }  # fmt: skip
        new = uow.cases.add_evidence(row)
        if new:
            uow.cases.add_event(
                case["id"],
                EventKind.EVIDENCE,
                actor=principal.username,
                text=f"evidence attached: {name}",
                data={"sha256": sha},
            )
        shown = {"sha256": sha, "media_type": media, "filename": name, "size": len(content), "new": new}
        uow.audit.record([Change("case.evidence", f"case:{number}", None, shown)], actor=principal.username)
        uow.commit()
    return Attached(number, sha, media, len(content), name, new)


def download(
    uow: CasesUnitOfWork, files: EvidenceFiles, number: str, sha256: str, *, principal: Principal
) -> tuple[dict[str, Any], bytes]:
    """An evidence file of a case the user may see (case.read; sensitive cases as ever), with its row;
    every download audited. Another branch's case, or a file the case does not hold: not found."""
    if not principal.can(Permission.CASE_READ):
        raise ForbiddenError("reading a case's evidence needs case.read")
    with uow:
        case = uow.cases.visible(principal, number)
        row = uow.cases.evidence_file(case["id"], sha256) if case is not None else None
        if row is None:
            _probe(uow, f"case:{number}/evidence:{sha256}", "case.evidence.read", principal)
            raise NotFoundError(f"no evidence {sha256} of a case {number!r} in your branches")
        content = files.get(sha256)
        if content is None or len(content) != row["size"]:
            raise ConflictError(f"evidence {sha256} of case {number} is missing from the evidence folder")
        shown = {"what": "evidence", "sha256": sha256, "filename": row["filename"]}
        uow.audit.record([Change("read", f"case:{number}", None, shown)], actor=principal.username)
        uow.commit()
    return row, content
