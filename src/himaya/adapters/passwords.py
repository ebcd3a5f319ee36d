"""Password and client-secret hashing: argon2id (argon2-cffi), with its recommended parameters."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy() -> str:
    """Verified against when the user does not exist, so that a wrong name costs as long as a wrong
    password and the response time does not tell which names exist. Made on first use, not when the
    module is imported: a hash costs a fifth of a second, and most commands never log anyone in."""
    return _hasher.hash("himaya: no such user")


MIN_LENGTH = 12


def ready() -> None:
    """Make the unknown user's hash now (a service calls this at start, so that even its first
    login of an unknown name costs what any other does)."""
    _dummy()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def weak_password(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if password.isdigit() or password.isalpha():
        return "a password needs letters and digits or other signs, not only one kind"
    return None
