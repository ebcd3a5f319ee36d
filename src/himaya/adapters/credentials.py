"""The command line's login: a signed credential in a file only its owner can read.

`himaya login` checks the password against the user store and writes here a token signed with the
store's own key (the one that signs the API's tokens), for an audience of its own: a credential of
the command line is not a bearer token of the API, nor the other way round. It names the store it
was made for; the user's token version makes a logout, a new password, a changed grant or a
deactivation end it, as they end the API's tokens."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import platformdirs

from himaya.core.errors import UsageError

AUDIENCE = "himaya-cli"
ISSUER = "himaya"
ALGORITHM = "HS256"
LIFETIME = timedelta(hours=8)  # a working day: log in again the next morning


def default_path() -> Path:
    """Where the credential is kept unless `HIMAYA_CREDENTIALS` says otherwise."""
    return Path(platformdirs.user_config_dir("himaya")) / "credentials.json"


@dataclass(frozen=True)
class Credential:
    username: str
    token_version: int
    store: str  # the database it was made for, without its password
    expires: datetime


def issue(key: str, credential: Credential) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": credential.username,
        "ver": credential.token_version,
        "store": credential.store,
        "iat": datetime.now(UTC),
        "exp": credential.expires,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def write(path: Path, token: str) -> None:
    """Replace the file whole, readable by its owner only (never a moment readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({"token": token}, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: Path) -> str | None:
    """The token in the file, or None when there is no file. A file others may read is refused:
    whoever could read it could act as its user."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & 0o077:
        raise UsageError(f"{path}: others may read this credential (mode {mode & 0o777:o}): run `himaya login` again")
    try:
        token = json.loads(path.read_text(encoding="utf-8"))["token"]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{path} is not a credential of `himaya login`: run `himaya login` again") from None
    return str(token)


def verify(key: str, token: str, *, store: str) -> Credential:
    """The credential the token carries, checked: signature, audience, expiry and store."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "ver", "store"]},
        )
    except jwt.ExpiredSignatureError:
        raise UsageError("your login has expired: run `himaya login USER` again") from None
    except jwt.InvalidTokenError:
        raise UsageError("your login is not good for this database: run `himaya login USER`") from None
    if claims["store"] != store:
        raise UsageError(f"your login is for {claims['store']}, not {store}: run `himaya login USER`")
    return Credential(
        str(claims["sub"]), int(claims["ver"]), str(claims["store"]), datetime.fromtimestamp(claims["exp"], UTC)
    )


def remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
