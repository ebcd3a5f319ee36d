"""Evidence content in a folder, by its SHA-256 (`cases.ports.EvidenceFiles`): `ab/abcdef...`.

A file is written to a temporary name in the same folder, flushed to disk and renamed into place,
so a reader sees it whole or not at all, and a crash mid-write leaves no half file under the name.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import platformdirs

SHA = re.compile(r"^[0-9a-f]{64}$")


def default_folder() -> Path:
    """The user's data folder's `evidence` (HIMAYA_EVIDENCE_DIR elsewhere)."""
    return Path(platformdirs.user_data_dir("himaya")) / "evidence"


class FolderEvidence:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, sha256: str) -> Path:
        if not SHA.match(sha256):  # the name is ours, never a path from outside
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def put(self, sha256: str, content: bytes) -> None:
        path = self._path(sha256)
        if path.exists() and path.stat().st_size == len(content):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, sha256: str) -> bytes | None:
        path = self._path(sha256)
        return path.read_bytes() if path.exists() else None
