"""The front office's cookies: the session (a signed token naming the user and their token
version, checked against the store at every request like the API's bearer tokens), the CSRF token
every form carries, and the reader's language and digits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt

SESSION = "himaya_session"
CSRF = "himaya_csrf"
LANGUAGE = "himaya_lang"
DIGITS = "himaya_digits"
AUDIENCE = "himaya-web"  # never accepted by the API, whose tokens are not accepted here either
ISSUER = "himaya"
ALGORITHM = "HS256"
LIFETIME = 8 * 3600  # seconds: a working day; a logout or a new password ends it sooner


@dataclass(frozen=True)
class Session:
    username: str
    version: int


def issue(key: str, username: str, version: int) -> str:
    issued = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": username, "ver": version, "iat": issued, "exp": issued + LIFETIME}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read(key: str, value: str | None) -> Session | None:
    """The session a cookie names, if it is genuine and current (not yet checked against the store).

    >>> read("k" * 32, issue("k" * 32, "amal", 3))
    Session(username='amal', version=3)
    >>> read("k" * 32, issue("j" * 32, "amal", 3)) is None
    True
    """
    if not value:
        return None
    try:
        claims = jwt.decode(
            value, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        return None
    username, version = claims.get("sub"), claims.get("ver")
    if not isinstance(username, str) or type(version) is not int:
        return None
    return Session(username, version)


def new_secret() -> str:
    """A fresh CSRF cookie value."""
    return secrets.token_urlsafe(32)


def csrf_token(key: str, secret: str) -> str:
    """What a form carries: keyed on the browser's CSRF cookie, so another site can neither read nor make it."""
    return hmac.new(key.encode(), b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def csrf_ok(key: str, secret: str | None, given: str | None) -> bool:
    """Whether a form's token is the one this browser's cookie makes.

    >>> csrf_ok("k", "s", csrf_token("k", "s")), csrf_ok("k", "s", None), csrf_ok("k", None, "x")
    (True, False, False)
    """
    if not secret or not given:
        return False
    return hmac.compare_digest(csrf_token(key, secret), given)
