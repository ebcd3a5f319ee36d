"""Tokens and the acting user.

Access tokens are short-lived JWTs (HS256, signed with the service's key) naming the user and the
user's `token_version`; every request checks that version against the store, so a logout, a new
password, a changed grant or a deactivated user ends every token issued before. Refresh tokens are
opaque, stored hashed, and rotate at each use: presenting a spent one is a replay and revokes the
whole chain. The permissions come from the store, never from the token.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from himaya.access.rules import Throttle
from himaya.api.errors import ApiError
from himaya.bootstrap.access import acting_principal
from himaya.core.access import Permission, Principal

ISSUER = "himaya"
AUDIENCE = "himaya-api"
ALGORITHM = "HS256"
CLOCK_SKEW = 30  # seconds a token's issue time may lie ahead of this server's clock


@dataclass(frozen=True)
class TokenSettings:
    key: str
    access_lifetime: timedelta = timedelta(minutes=15)
    refresh_lifetime: timedelta = timedelta(hours=12)
    throttle: Throttle = field(default_factory=Throttle)  # failed logins per (name, address), per address


def issue_access(settings: TokenSettings, username: str, version: int) -> str:
    issued = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": username,
        "ver": version,
        "typ": "access",
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(settings.access_lifetime.total_seconds()),
        "jti": secrets.token_hex(12),
    }
    return jwt.encode(claims, settings.key, algorithm=ALGORITHM)


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


def decode_access(settings: TokenSettings, token: str) -> dict[str, Any]:
    """The claims of a genuine, current access token of this service; 401 otherwise.

    The library's own error texts are never echoed: they help whoever forges tokens. Beyond the
    signature, the audience and the issuer must be exactly ours (a list that merely contains our
    audience is another service's token), and no token may live longer than this service issues
    them for: a token minted elsewhere with the key and a far `exp` is refused."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.key,
            algorithms=[ALGORITHM],  # never "none", never a key confusion with another algorithm
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthenticated("the access token has expired: refresh it or log in again") from None
    except jwt.InvalidTokenError:
        raise _unauthenticated("the access token is not valid") from None
    if not _ours(claims, settings):
        raise _unauthenticated("the access token is not valid")
    return claims


def _ours(claims: dict[str, Any], settings: TokenSettings) -> bool:
    issued, expires = claims.get("iat"), claims.get("exp")
    if type(issued) is not int or type(expires) is not int:  # not a bool, not a float
        return False
    lifetime = max(int(settings.access_lifetime.total_seconds()), 0)
    return (
        claims.get("aud") == AUDIENCE
        and claims.get("iss") == ISSUER
        and claims.get("typ") == "access"
        and type(claims.get("ver")) is int
        and isinstance(claims.get("sub"), str)
        and issued <= time.time() + CLOCK_SKEW
        and expires - issued <= lifetime
    )


oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def current_principal(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    if not token:
        raise _unauthenticated("log in first: send 'Authorization: Bearer <access token>'")
    state = request.app.state
    claims = decode_access(state.tokens, token)
    principal = acting_principal(state.engine, state.principals, claims["sub"], claims["ver"])
    if principal is None:
        raise _unauthenticated("the access token is no longer valid (logged out, changed or deactivated): log in again")
    request.state.actor = principal.username
    return principal


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency: the acting user, who must hold `permission`."""

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.can(permission):
            raise ApiError(403, "forbidden", f"your roles do not allow {permission.value}")
        return principal

    return dependency
