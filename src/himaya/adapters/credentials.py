"""The command line's login file: the random secret of a login kept in the store (`cli_session`),
in a regular file that only its owner may read or write.

The file holds no claim that could be forged or re-signed: the secret is good only while the store
holds a live login with its SHA-256."""

from __future__ import annotations

import json
import os
import secrets
import stat
import tempfile
from datetime import timedelta
from pathlib import Path

import platformdirs

from himaya.core.errors import UsageError

LIFETIME = timedelta(hours=8)  # a working day: log in again the next morning


def default_path() -> Path:
    """Where the credential is kept unless `HIMAYA_CREDENTIALS` says otherwise."""
    return Path(platformdirs.user_config_dir("himaya")) / "credentials.json"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_place(path: Path) -> None:
    """Refuse, before anything is written, a place that is not a credential's: a directory, a device,
    a link, or a folder that cannot hold it (a login never overwrites what is not its own)."""
    try:
        found: os.stat_result | None = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        found = None
    if found is None:
        _check_folder(path)
        return
    if not stat.S_ISREG(found.st_mode):
        raise UsageError(f"{path} is not a regular file: name a file of its own for HIMAYA_CREDENTIALS")
    _owned(path, found)


def _check_folder(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"{path}: cannot make its folder ({error.strerror})") from None
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(f"{path}: its folder {parent} is not a folder this user may write")


def write(path: Path, secret: str) -> None:
    """Replace the file whole, readable by its owner only (never a moment readable by others)."""
    check_place(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    except OSError as error:
        raise UsageError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({"secret": secret}, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: Path) -> str | None:
    """The secret in the file, or None when there is no file."""
    try:
        found = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(found.st_mode):
        raise UsageError(f"{path} is not a regular file: remove it and run `himaya login USER`")
    _owned(path, found)
    try:
        secret = json.loads(path.read_text(encoding="utf-8"))["secret"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise UsageError(f"{path} is not a credential of `himaya login`: run `himaya login USER` again") from None
    return str(secret)


def _owned(path: Path, found: os.stat_result) -> None:
    if found.st_uid != os.geteuid():
        raise UsageError(f"{path} belongs to another user of this machine: run `himaya login USER`")
    if found.st_mode & 0o077:
        raise UsageError(
            f"{path}: others may read or write this credential (mode {found.st_mode & 0o777:o}):"
            " run `himaya login USER` again"
        )


def remove(path: Path) -> bool:
    try:
        found = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISREG(found.st_mode):
        return False
    path.unlink()
    return True
