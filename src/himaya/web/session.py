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
RENEW_AFTER = 60  # seconds of a cookie's age after which a page answers with a renewed one


@dataclass(frozen=True)
class Session:
    username: str
    version: int
    started: int = 0  # when the user logged in (seconds since the epoch): the session ends LIFETIME after
    active: int = 0  # when the cookie was last renewed: idle longer than the setting, the session ends

    def stale(self, at: float) -> bool:
        """Whether a page should renew the cookie (so that an officer at work is not logged out)."""
        return at - self.active >= RENEW_AFTER


def issue(key: str, username: str, version: int, *, idle: int, started: int | None = None) -> str:
    """A session cookie's value, good for `idle` seconds from now and never past `started` + LIFETIME.

    An unattended screen in a branch is a way into people's records: the cookie expires when the
    officer has not loaded a page for `idle` seconds (`HIMAYA_WEB_IDLE_MINUTES`), each page renewing
    it, and at the latest a working day after the login however active."""
    now = int(time.time())
    started = now if started is None else started
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": username,
        "ver": version,
        "iat": started,
        "act": now,
        "exp": min(started + LIFETIME, now + idle),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def max_age(started: int) -> int:
    """The cookie's lifetime in the browser: what is left of the working day."""
    return max(0, started + LIFETIME - int(time.time()))


def read(key: str, value: str | None) -> Session | None:
    """The session a cookie names, if it is genuine and current (not yet checked against the store).

    >>> read("k" * 32, issue("k" * 32, "amal", 3, idle=60)).username
    'amal'
    >>> read("k" * 32, issue("j" * 32, "amal", 3, idle=60)) is None
    True
    """
    if not value:
        return None
    try:
        claims = jwt.decode(
            value,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iat"]},
        )
    except jwt.InvalidTokenError:
        return None
    username, version, started, active = (claims.get(c) for c in ("sub", "ver", "iat", "act"))
    if not isinstance(username, str) or any(type(v) is not int for v in (version, started, active)):
        return None
    return Session(username, version, started, active)  # type: ignore[arg-type]


def new_secret() -> str:
    """A fresh CSRF cookie value."""
    return secrets.token_urlsafe(32)


def csrf_token(key: str, secret: str, bound: str = "") -> str:
    """What a form carries: keyed on the browser's CSRF cookie, so another site can neither read nor
    make it, and bound to the session it was given in (`bound`: the user and the login's time), so a
    token seen in one login is worthless in another user's or a later login of the same browser."""
    message = b"csrf:" + secret.encode() + b"\0" + bound.encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def csrf_ok(key: str, secret: str | None, given: str | None, bound: str = "") -> bool:
    """Whether a form's token is the one this browser's cookie makes in this session.

    >>> csrf_ok("k", "s", csrf_token("k", "s")), csrf_ok("k", "s", None), csrf_ok("k", None, "x")
    (True, False, False)
    >>> token = csrf_token("k", "s", "amal:1")
    >>> csrf_ok("k", "s", token, "amal:1"), csrf_ok("k", "s", token, "amal:2"), csrf_ok("k", "s", token)
    (True, False, False)
    """
    if not secret or not given:
        return False
    return hmac.compare_digest(csrf_token(key, secret, bound), given)


def binding(key: str, cookie: str | None) -> str:
    """What a CSRF token is bound to: the session cookie's user and login time, or "" without a session.

    >>> binding("k" * 32, None), binding("k" * 32, "forged")
    ('', '')
    """
    found = read(key, cookie)
    return "" if found is None else f"{found.username}:{found.started}"
